"""Measurement 3: render and seal records (two signatures each), flows against a bare loop.

The floor is a bare loop calling ``records.render.render_record`` and
``records.seal.sign_record`` directly, spread over processes with ``multiprocessing``. The
flow path runs the same work as Prefect tasks on a ``ProcessPoolTaskRunner``: through the
records flow of ``flows`` when there is one, else through a minimal flow here (flagged).
"""

from __future__ import annotations

import importlib
import multiprocessing
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .dataset import generate

SIGNED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class RecordItem:
    """What differs between two records: the people and the organisation."""

    record_id: str
    appraisee_name: str
    appraisee_role: str
    appraiser_name: str
    organisation_name: str


def record_items(count: int) -> list[RecordItem]:
    """``count`` records of the synthetic boards (the same for every path)."""
    organisations, people, appointments = generate(max(count * 2, 30))
    org_names = {o["id"]: o["name"] for o in organisations}
    chairs = {a["organisation_id"]: people[a["person_id"] - 1]["name"] for a in appointments
              if a["role"].value == "chair"}
    items = []
    for appointment in appointments:
        if len(items) == count:
            break
        if not appointment["role"].is_board_member or appointment["role"].value == "chair":
            continue
        items.append(RecordItem(
            f"REC-2025-{appointment['id']:05d}", people[appointment["person_id"] - 1]["name"],
            appointment["role"].label, chairs[appointment["organisation_id"]],
            org_names[appointment["organisation_id"]]))
    return items


def render_and_seal(item: RecordItem, home: str) -> int:
    """One record rendered and signed by both parties; returns its size in bytes."""
    from records.render import render_record
    from records.sample import sample_content
    from records.seal import load_seal, sign_record

    seal = load_seal(home=Path(home))
    pdf = render_record(sample_content(
        record_id=item.record_id, appraisee_name=item.appraisee_name,
        appraisee_role=item.appraisee_role, appraiser_name=item.appraiser_name,
        appraiser_role="Chair", organisation_name=item.organisation_name,
        issued_on=date(2026, 3, 2)))
    for field_name, name, role in (("Appraisee", item.appraisee_name, item.appraisee_role),
                                   ("Appraiser", item.appraiser_name, "Chair")):
        pdf = sign_record(pdf, field_name=field_name, signer_name=name, signer_role=role,
                          signed_at=SIGNED_AT, seal=seal)
    return len(pdf)


def render_and_seal_batch(items: list[RecordItem], home: str) -> int:
    return sum(render_and_seal(item, home) for item in items)


def _chunks(items: list[RecordItem], processes: int) -> list[list[RecordItem]]:
    from flows.runtime import batches

    return batches(items, most_batches=max(processes * 4, 1), least_size=10)


def bare_loop(items: list[RecordItem], home: Path, processes: int) -> float:
    """Seconds for the bare loop over ``items`` on ``processes`` processes."""
    started = time.perf_counter()
    if processes == 1:
        render_and_seal_batch(items, str(home))
    else:
        context = multiprocessing.get_context("spawn")
        # The pool's start (spawning, imports) is timed, as the flow's task runner's is.
        with context.Pool(processes) as pool:
            pool.starmap(render_and_seal_batch,
                         [(chunk, str(home)) for chunk in _chunks(items, processes)])
    return time.perf_counter() - started


def _records_flow() -> Any | None:
    for name in ("flows.records", "flows.sealing", "flows.record_sealing"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for attribute in ("run_render_and_seal", "render_and_seal_records"):
            if hasattr(module, attribute):
                return getattr(module, attribute)
    return None


def _bench_flow(items: list[RecordItem], home: Path, processes: int) -> int:
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE
    from prefect.task_runners import ProcessPoolTaskRunner

    sealed = task(name="render-and-seal", cache_policy=NO_CACHE,
                  persist_result=False)(render_and_seal_batch)

    @flow(name="bench-render-and-seal", persist_result=False,
          task_runner=ProcessPoolTaskRunner(max_workers=processes))
    def render_and_seal_records(chunks: list[list[RecordItem]], home: str) -> int:
        futures = [sealed.submit(chunk, home) for chunk in chunks]
        return sum(f.result() for f in futures)

    return render_and_seal_records(_chunks(items, processes), str(home))


def through_flow(items: list[RecordItem], home: Path, processes: int) -> tuple[float, str]:
    """Seconds for the same work through Prefect tasks; and what ran."""
    from flows.runtime import flow_settings

    runner = _records_flow()
    with flow_settings():
        if runner is not None:
            started = time.perf_counter()
            runner(items, home=home, processes=processes)
            return time.perf_counter() - started, f"flow {runner.__module__}"
        _bench_flow(items[:1], home, 1)  # warm-up: this process's first flow run
        started = time.perf_counter()
        _bench_flow(items, home, processes)
        return (time.perf_counter() - started,
                "FALLBACK: bench's own flow of records tasks (flows has no records flow yet)")


def prepare_seal(home: Path) -> None:
    from records.seal import ensure_seal

    ensure_seal(home, organisation="Benchmark NHS seal")
