"""How many CPUs this process may use: the one count behind every "one a core" default.

``os.cpu_count()`` counts the machine's cores, not the ones this process is allowed: a
container limited to two CPUs on a 64-core host would start 64 portal processes or Dask
workers, which then share two CPUs. The process may use the smaller of the CPUs it is
pinned to (``os.sched_getaffinity``) and its cgroup v2 quota (``cpu.max``, the tightest of
its cgroup and every ancestor's), rounded up.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

__all__ = ["cgroup_cpu_limit", "usable_cpus"]

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def _affinity() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _quota(cpu_max: Path) -> float | None:
    """The CPUs a ``cpu.max`` file allows ("200000 100000" is 2.0), or None for "max"."""
    try:
        quota, _, period = cpu_max.read_text().strip().partition(" ")
    except OSError:
        return None
    if quota == "max":
        return None
    try:
        return int(quota) / int(period or 100000)
    except (ValueError, ZeroDivisionError):
        return None


def cgroup_cpu_limit(*, root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> float | None:
    """The cgroup v2 CPU quota of this process in CPUs, or None when there is none.

    A cgroup's quota bounds all its descendants, so the tightest ``cpu.max`` on the way
    from the process's cgroup up to the root is the one that holds.
    """
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None
    own = next((line[3:] for line in lines if line.startswith("0::")), None)
    if own is None:  # cgroup v1 only: no unified hierarchy to read
        return None
    folder = root / own.strip().lstrip("/")
    limits = []
    while True:
        if (limit := _quota(folder / "cpu.max")) is not None:
            limits.append(limit)
        if folder == root or root not in folder.parents:
            break
        folder = folder.parent
    return min(limits) if limits else None


def usable_cpus() -> int:
    """The CPUs this process may use (affinity and cgroup quota), at least one."""
    cpus = _affinity()
    limit = cgroup_cpu_limit()
    if limit is not None:
        cpus = min(cpus, math.ceil(limit))
    return max(1, cpus)
