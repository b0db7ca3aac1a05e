"""The CPUs a process may use: affinity and the cgroup v2 quota, the tightest on the way up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from appraisal_store import cpus
from appraisal_store.config import Settings


def cgroup_tree(tmp_path: Path, own: str, quotas: dict[str, str]) -> tuple[Path, Path]:
    root = tmp_path / "cgroup"
    for folder, cpu_max in quotas.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "cpu.max").write_text(cpu_max + "\n")
    (root / own.lstrip("/")).mkdir(parents=True, exist_ok=True)
    proc = tmp_path / "proc-cgroup"
    proc.write_text(f"4:memory:/elsewhere\n0::{own}\n")
    return root, proc


def test_the_tightest_quota_from_the_process_cgroup_up_holds(tmp_path: Path) -> None:
    root, proc = cgroup_tree(tmp_path, "/kubepods/pod1/box", {
        "kubepods": "400000 100000", "kubepods/pod1": "150000 100000",
        "kubepods/pod1/box": "max 100000"})
    assert cpus.cgroup_cpu_limit(root=root, proc_cgroup=proc) == 1.5


def test_no_quota_anywhere_is_no_limit(tmp_path: Path) -> None:
    root, proc = cgroup_tree(tmp_path, "/user.slice", {"user.slice": "max 100000"})
    assert cpus.cgroup_cpu_limit(root=root, proc_cgroup=proc) is None
    assert cpus.cgroup_cpu_limit(root=root, proc_cgroup=tmp_path / "missing") is None


def test_usable_cpus_rounds_a_fractional_quota_up_and_never_exceeds_affinity(
        monkeypatch: pytest.MonkeyPatch) -> None:
    affinity = len(os.sched_getaffinity(0))
    monkeypatch.setattr(cpus, "cgroup_cpu_limit", lambda: 0.5)
    assert cpus.usable_cpus() == 1
    monkeypatch.setattr(cpus, "cgroup_cpu_limit", lambda: affinity + 8.0)
    assert cpus.usable_cpus() == affinity
    monkeypatch.setattr(cpus, "cgroup_cpu_limit", lambda: None)
    assert cpus.usable_cpus() == affinity


def test_every_default_worker_count_is_the_usable_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.sealing import default_workers as sealing_workers
    from portal.server import default_workers as portal_workers

    monkeypatch.setattr(cpus, "usable_cpus", lambda: 3)
    assert sealing_workers() == 3
    assert portal_workers() == 3


def test_the_dask_address_is_a_scheduler_address(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("APPRAISAL_DASK_ADDRESS", "10.0.0.30:8786")
    assert Settings().dask_address == "tcp://10.0.0.30:8786"
    monkeypatch.setenv("APPRAISAL_DASK_ADDRESS", "tls://dask.example:8786")
    assert Settings().dask_address == "tls://dask.example:8786"
    monkeypatch.setenv("APPRAISAL_DASK_ADDRESS", "")
    assert Settings().dask_address is None
    monkeypatch.setenv("APPRAISAL_DASK_ADDRESS", "http://dask.example")
    with pytest.raises(ValidationError, match="APPRAISAL_DASK_ADDRESS: 'http://dask.example'"):
        Settings()
