"""Measurement 3: render and seal records (two signatures each), the flow against its floor.

:func:`records_measurements` is the measurement ``bench/run.py`` reports. It builds a
store (SQLite, or PostgreSQL when ``bench/run.py`` finds it) in which ``2 x count``
appraisals are signed by both parties but not sealed (written in bulk), then times on 1
and on 2 processes:

- the FLOOR: a bare loop over ``count`` of them calling ``records.build.build_content``,
  ``records.render.render_record`` and two ``records.pdf_signing.sign_record`` directly: no
  Prefect, nothing stored; on 2 processes a ``multiprocessing`` pool ('spawn', each
  worker loads the seal once; the pool's start is timed, as the Dask cluster's is). It is
  timed in two halves, one just before the flow and one just after, so that a drift in
  the machine's speed weighs on the floor and the flow alike;
- the FLOW: the real ``flows.sealing.seal_records`` flow over the same ``count`` (batches
  mapped over a Dask cluster of worker processes; in process on 1 worker), which also
  stores each record, audits it and queues its messages.

The 1-process paths use the first ``count`` appraisals, the 2-process paths the next.

The smaller helpers (``record_items``, ``render_and_seal``, ``bare_loop``) render sample
content without a store; the smoke test uses them.

Kept in one module: the floor and the flow run over the same store and the same kind of
appraisals, side by side, so that the ratio between them is like for like; apart, a change
to one would silently stop matching the other.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appraisal_store.cpus import usable_cpus

from .dataset import OPENED_ON, YEAR, generate

if TYPE_CHECKING:
    from .results import Entry

SIGNED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
RECORDS_RATIO_GOAL = 1.15


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
    from records.pdf_signing import sign_record
    from records.render import render_record
    from records.seal import load_seal

    # Test data lives with the tests; only the smoke test (run from a checkout) calls this.
    from samples.record_content import sample_content

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
    from flows.batching import batches

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


def prepare_seal(home: Path) -> None:
    from records.self_signed_seal import ensure_seal

    ensure_seal(home, organisation="Benchmark NHS seal")


# --- The measurement against the store: floor and flow over the same signed appraisals.

FLOOR_SIGNED_AT = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)
_REFLECTION = ("Over the year I {verb} the board's work on {domain}: I asked for clearer "
               "evidence from the committees, met staff networks twice and followed up the "
               "actions from last year's well-led review. Next year I want to {next}.")
_SCALE_PATTERN = ("almost_always", "frequently", "occasionally", "frequently",
                  "no_chance_to_demonstrate", "almost_always")


@dataclass(frozen=True)
class SignedSet:
    """The prepared store: the appraisal ids signed by both parties, in id order."""

    url: str
    home: Path
    appraisal_ids: list[int]
    store_appraisals: int
    database: str = "sqlite"


def prepare_signed_appraisals(bind: Any, signed: int) -> list[int]:
    """Take ``signed`` open appraisals to "complete" with both signatures, in bulk.

    Ratings for every statement, both parties' reflections on every domain, objectives
    (one EDI), a development action, a reviewed objective, the FPPT confirmation and
    both Signature rows, written with Core bulk inserts; no record is sealed.
    """
    from sqlalchemy import insert, select, update

    from appraisal_store.models import (
        Appraisal,
        DevelopmentAction,
        DomainReflection,
        FPPTAttestation,
        Objective,
        ObjectiveReview,
        Rating,
        Signature,
    )
    from appraisal_store.services.frameworks import framework_of
    from appraisal_store.sessions import read_session
    from appraisal_store.vocabulary import AppraisalState

    with read_session(bind) as session:
        rows = session.execute(
            select(Appraisal.id, Appraisal.appraisee_id, Appraisal.appraiser_id,
                   Appraisal.framework_version_id)
            .where(Appraisal.state == AppraisalState.NOT_STARTED,
                   Appraisal.appraiser_id.is_not(None))  # type: ignore[union-attr]
            .order_by(Appraisal.id).limit(signed)).all()
        framework = framework_of(session, rows[0].framework_version_id)
    if len(rows) < signed:
        raise RuntimeError(f"only {len(rows)} appraisals can be signed, {signed} wanted")
    ids = [r.id for r in rows]
    tables: dict[Any, list[dict[str, Any]]] = {t: [] for t in (
        Rating, DomainReflection, Objective, ObjectiveReview, DevelopmentAction,
        FPPTAttestation, Signature)}
    for row in rows:
        for position, statement_id in enumerate(framework.statement_ids()):
            tables[Rating].append({"appraisal_id": row.id, "revision": 1,
                                   "statement_id": statement_id,
                                   "value": _SCALE_PATTERN[(row.id + position) % 6]})
        for domain in framework.domains:
            for author, verb, view in (("appraisee", "led", None),
                                       ("appraiser", "saw you lead", "frequently")):
                tables[DomainReflection].append({
                    "appraisal_id": row.id, "revision": 1, "domain_id": domain.id,
                    "author": author, "view": view,
                    "text": _REFLECTION.format(verb=verb, domain=domain.name.lower(),
                                               next="bring patients' voices to the board")})
        tables[Objective] += [
            {"appraisal_id": row.id, "position": 0, "kind": "edi",
             "text": "Sponsor the race equality network and report its progress to the board",
             "measure": "Two board development sessions", "target_date": date(2027, 3, 31)},
            {"appraisal_id": row.id, "position": 1, "kind": "personal",
             "text": "Chair the quality committee's review of maternity services",
             "measure": "Review reported by December", "target_date": date(2026, 12, 31)}]
        tables[ObjectiveReview].append({"appraisal_id": row.id, "text": "Visit every division",
                                        "outcome": "met", "comment": "All six visited"})
        tables[DevelopmentAction].append({"appraisal_id": row.id, "position": 0,
                                          "need": "Digital leadership", "action": "Board course",
                                          "support": "ICB academy", "timescale": "By June"})
        tables[FPPTAttestation].append({"appraisal_id": row.id, "status": "fit_and_proper",
                                        "last_assessed_on": date(2025, 11, 1),
                                        "notes": "No concerns", "confirmed_by_id": row.appraiser_id,
                                        "confirmed_at": FLOOR_SIGNED_AT})
        tables[Signature] += [
            {"appraisal_id": row.id, "record_version": 1, "role": "appraisee",
             "signer_id": row.appraisee_id, "signed_at": FLOOR_SIGNED_AT},
            {"appraisal_id": row.id, "record_version": 1, "role": "appraiser",
             "signer_id": row.appraiser_id, "signed_at": FLOOR_SIGNED_AT}]
    with bind.begin() as connection:
        for table, batch in tables.items():
            for start in range(0, len(batch), 2000):
                connection.execute(insert(table), batch[start:start + 2000])
        for start in range(0, len(ids), 500):
            connection.execute(
                update(Appraisal).where(Appraisal.id.in_(ids[start:start + 500]))  # type: ignore[union-attr]
                .values(state=AppraisalState.COMPLETE, meeting_date=date(2026, 2, 10),
                        submitted_at=FLOOR_SIGNED_AT, agreed_at=FLOOR_SIGNED_AT,
                        completed_at=FLOOR_SIGNED_AT,
                        msf_summary="Eleven colleagues gave feedback through the 360 survey.",
                        appraisee_comments="A fair and useful conversation.",
                        appraiser_comments="A strong year with clear priorities for the next."))
    return ids


def floor_record(appraisal_id: int, seal: Any) -> int:
    """The floor's unit of work: build the content, render, sign twice; nothing stored."""
    from appraisal_store.sessions import read_session
    from records.build import RECORD_TIME_ZONE, build_content
    from records.pdf_signing import sign_record
    from records.render import render_record

    with read_session() as session:
        content = build_content(session, appraisal_id)
    pdf = render_record(content)
    signed_at = FLOOR_SIGNED_AT.astimezone(RECORD_TIME_ZONE)
    pdf = sign_record(pdf, field_name="Appraisee", signer_name=content.appraisee_name,
                      signer_role=content.appraisee_role, signed_at=signed_at, seal=seal)
    pdf = sign_record(pdf, field_name="Appraiser", signer_name=content.appraiser_name,
                      signer_role=content.appraiser_role, signed_at=signed_at, seal=seal)
    return len(pdf)


_worker_seal: Any = None


def _floor_worker_start(url: str, home: str, database: str = "sqlite") -> None:
    """A floor pool worker: point at the store and load the seal, once per process."""
    global _worker_seal
    from records.configured_seal import deployment_seal

    from .stores import Store, use_store

    use_store(Store(database, url, Path(home)))
    _worker_seal = deployment_seal()


def _floor_batch(appraisal_ids: list[int]) -> int:
    return sum(floor_record(appraisal_id, _worker_seal) for appraisal_id in appraisal_ids)


def cpu_seconds() -> float:
    """CPU time of this process and of its reaped children (pool and Dask workers)."""
    import resource

    own, children = (resource.getrusage(resource.RUSAGE_SELF),
                     resource.getrusage(resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class FloorRunner:
    """Times the floor over lists of appraisals on ``processes`` processes.

    On more than one process a single pool ('spawn') serves every call and its start is
    timed in the first, as the flow's cluster start is timed once in the flow: the floor
    can then be measured in two halves, one before the flow and one after, at no cost
    the flow does not also pay.
    """

    def __init__(self, signed: SignedSet, processes: int) -> None:
        self.signed, self.processes = signed, processes
        self._pool: Any = None

    def __enter__(self) -> FloorRunner:
        if self.processes == 1:  # warm, as the flow's own process is
            _floor_worker_start(self.signed.url, str(self.signed.home), self.signed.database)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()  # reaped: the workers' CPU counts in RUSAGE_CHILDREN

    def __call__(self, appraisal_ids: list[int]) -> float:
        """Seconds for the floor over ``appraisal_ids``."""
        from flows.batching import batches
        from flows.sealing import BATCHES_PER_WORKER, LEAST_BATCH

        started = time.perf_counter()
        if self.processes == 1:
            _floor_batch(appraisal_ids)
            return time.perf_counter() - started
        if self._pool is None:
            self._pool = multiprocessing.get_context("spawn").Pool(
                self.processes, initializer=_floor_worker_start,
                initargs=(self.signed.url, str(self.signed.home), self.signed.database))
        chunks = batches(appraisal_ids, most_batches=BATCHES_PER_WORKER * self.processes,
                         least_size=LEAST_BATCH)
        list(self._pool.imap_unordered(_floor_batch, chunks))
        return time.perf_counter() - started


def flow_run(count: int, processes: int) -> tuple[float, int]:
    """Seconds for the real ``seal_records`` flow over the next ``count`` pending appraisals."""
    from flows.sealing import run_seal_records

    started = time.perf_counter()
    sealed = run_seal_records(limit=count, workers=processes)
    return time.perf_counter() - started, len(sealed)


def records_measurements(count: int, workdir: Path, log: Any,
                         store_appraisals: int | None = None,
                         database: str = "sqlite") -> list[Entry]:
    """Measurement 3: the flow against its floor on 1 and 2 processes, and the scaling.

    Needs a Prefect API (``bench/run.py`` starts one). The store is a SQLite file in
    ``workdir`` or a throw-away PostgreSQL schema; the settings of this process point at
    it during the measurement.

    Args:
        count: Records per path (each path seals its own ``count`` appraisals).
        workdir: Where the store goes.
        log: Called with progress lines.
        store_appraisals: Board members in the store (default: just enough for 2 x count).
        database: "sqlite" or "postgres" (see ``bench.stores``).
    """
    from appraisal_store.actors import Actor
    from appraisal_store.engines import engine
    from appraisal_store.services.cycles import open_cycles, resolve_dates
    from appraisal_store.sessions import write_session
    from flows.sealing import run_seal_records
    from records.configured_seal import ensure_deployment_seal

    from . import dataset
    from .results import Entry, with_floor
    from .stores import fresh_store

    size = max(store_appraisals or 0, int(count * 2 * 1.1) + 30)
    entries: list[Entry] = []
    with fresh_store(database, workdir, f"records-{count}") as store:
        log(f"records: preparing {2 * count:,} signed appraisals in a store of {size:,} ...")
        data = dataset.load(engine(), size)
        with write_session() as session:
            open_cycles(session=session, actor=Actor.system("benchmark"), year=YEAR,
                        organisation_codes=data.organisations, dates=resolve_dates(YEAR),
                        today=OPENED_ON)
        ids = prepare_signed_appraisals(engine(), 2 * count)
        ensure_deployment_seal()
        signed = SignedSet(store.url, store.home, ids, size, database)
        run_seal_records(limit=0)  # warm: this process's first flow run and API calls
        times: dict[tuple[str, int], float] = {}
        cpu: dict[tuple[str, int], float] = {}
        load = [round(os.getloadavg()[0], 2)]
        halves: dict[int, list[float]] = {}
        for processes, chunk in ((1, ids[:count]), (2, ids[count:])):
            # The floor is timed in two halves, one before the flow and one after, so
            # that a change in the machine's speed during the run (seen here: 15% from
            # one minute to the next) weighs on both alike, not on whichever runs second.
            middle = len(chunk) // 2
            before = cpu_seconds()
            with FloorRunner(signed, processes) as time_floor:
                log(f"records: {middle} x (build, render, 2 signatures) on {processes} "
                    f"process(es), floor, first half ...")
                halves[processes] = [time_floor(chunk[:middle])]
                log(f"records: {count} through the seal-records flow on {processes} ...")
                flow_started = cpu_seconds()
                times["flow", processes], sealed = flow_run(count, processes)
                cpu["flow", processes] = cpu_seconds() - flow_started
                log(f"records: {len(chunk) - middle} x floor, second half ...")
                halves[processes].append(time_floor(chunk[middle:]))
            cpu["floor", processes] = cpu_seconds() - before - cpu["flow", processes]
            times["floor", processes] = sum(halves[processes])
            load.append(round(os.getloadavg()[0], 2))
            if sealed != count:
                raise RuntimeError(f"the flow sealed {sealed} records, not {count}")
        for processes in (1, 2):
            floor, flowed = times["floor", processes], times["flow", processes]
            floor_cpu, flow_cpu = cpu["floor", processes], cpu["flow", processes]
            entries.append(Entry(
                f"3 records floor (bare loop), {processes} proc", round(count / floor, 2),
                "records/s", database, count,
                note="build_content + render + 2 signatures, nothing stored",
                details={"seconds": round(floor, 3),
                         "seconds_before_and_after_the_flow": [
                             round(half, 3) for half in halves[processes]],
                         "cpu_ms_per_record": round(floor_cpu / count * 1000, 1),
                         "load_average_1min": load}))
            entry = Entry(
                f"3 records through flow, {processes} proc", round(flowed, 3), "s",
                database, count, note="flow flows.sealing.seal_records"
                + (" (Dask, worker processes)" if processes > 1 else " (in process)"),
                details={"records_per_second": round(count / flowed, 2),
                         "cpu_ms_per_record": round(flow_cpu / count * 1000, 1),
                         "cpu_ratio": round(flow_cpu / floor_cpu, 3),
                         "store_appraisals": size, "load_average_1min": load})
            with_floor(entry, round(floor, 3))
            entry.goal = f"ratio <= {RECORDS_RATIO_GOAL}"
            entry.met = entry.ratio is not None and entry.ratio <= RECORDS_RATIO_GOAL
            entries.append(entry)
        for path in ("floor", "flow"):
            entries.append(Entry(
                f"3 records scaling 1 -> 2 proc ({path})",
                round(times[path, 1] / times[path, 2], 3), "x speed-up", database, count,
                note=f"{usable_cpus()} cores"))
    return entries
