"""``python -m bench.run``: the national-scale benchmark of issue 6 (what ``make bench`` runs).

Builds the synthetic dataset at each size on SQLite and (when it answers) PostgreSQL,
measures the cycle's flows, the portal under load and the records, prints a table and
writes ``bench/results.json``. A temporary Prefect server is started for the run (the flows
need an API) and stopped at the end.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .results import Entry, table, with_floor, write_json
from .scale import PREFECT_SETTLE_S

RESULTS = Path(__file__).parent / "results.json"
RECORDS_RATIO_GOAL = 1.15
GROWTH_GOAL = 1.5  # per-appraisal cost at the largest size / at the smallest (noise allowed)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--sizes", default="1000,5000,10000",
                        help="appraisal counts, comma-separated (default 1000,5000,10000)")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--records", type=int, default=1000,
                        help="records to render and seal per path (0 skips measurements 3 "
                             "and 8)")
    parser.add_argument("--portal-seconds", type=float, default=30.0,
                        help="load per size, in two halves (0 skips the portal)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--portal-workers", type=int, default=None,
                        help="uvicorn worker processes of the portal under load (default: "
                             "one per core, as `appraisal portal` runs)")
    parser.add_argument("--journey-seconds", type=float, default=None,
                        help="measurement 7, under the portal's load at the largest size "
                             "(default: as --portal-seconds; 0 skips)")
    parser.add_argument("--quick", action="store_true",
                        help="a few seconds of load (10 s for measurement 7), 100 records, "
                           "sizes 1000 and 10000")
    parser.add_argument("--only", choices=("all", "portal", "records", "deployed", "feedback"),
                        default="all",
                        help="portal: only measurements 4, 5 and 7 of the portal (no "
                             "Prefect server, no flows, no records); records: only "
                             "measurements 3 and 8; deployed: only measurement 8; "
                             "feedback: only measurement 9")
    parser.add_argument("--prefect-settle-seconds", type=float, default=PREFECT_SETTLE_S,
                        help="untimed pause before each timed flow, while Prefect's server "
                             f"records the runs before it (default {PREFECT_SETTLE_S:g})")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the stores live (default: a temporary folder)")
    options = parser.parse_args(argv)
    if options.quick:
        options.portal_seconds = min(options.portal_seconds, 3.0)
        if options.journey_seconds is None:
            options.journey_seconds = 10.0
        options.records = min(options.records, 100)
        if options.sizes == parser.get_default("sizes"):
            options.sizes = "1000,10000"
    if options.journey_seconds is None:
        options.journey_seconds = options.portal_seconds
    options.size_list = [int(s) for s in str(options.sizes).split(",") if s.strip()]
    return options


@contextmanager
def prefect_server(workdir: Path) -> Iterator[None]:
    """A temporary Prefect server of this run's own, unless PREFECT_API_URL names one."""
    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    os.environ["PREFECT_HOME"] = str(workdir / "prefect")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=120)
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        yield
    finally:
        server.stop()
        del os.environ["PREFECT_API_URL"]


def _in_child(function: Any, *args: Any) -> Any:
    """Run ``function(*args)`` in a fresh process (its own imports and peak memory)."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(function, args)


def store_measurements(options: argparse.Namespace, workdir: Path, log: Any,
                       run: Callable[..., Any] | None = None) -> list[Entry]:
    """Measurements 1, 2, 4, 5, 6 and 7 on each database asked for (PostgreSQL when it
    answers).

    Every size's store is made and filled first, each in a process of its own (the flows'
    measurements, or only the opening for ``--only portal``); the portal is then loaded at
    every size in turn, twice (``bench.portal_bench.measure_portal_at_sizes``), and the
    journeys measured under its load at the largest size (``bench.journeys_bench``); the
    stores are dropped at the end.

    Args:
        run: how a size is prepared, ``run(function, *args)``: by default in a fresh
            process (``_in_child``).
    """
    from .journeys_bench import measure_journeys
    from .portal_bench import measure_portal_at_sizes, prepare_portal_store
    from .scale import measure_flows
    from .stores import create_store, drop_store, postgres_answers

    prepare = prepare_portal_store if options.only == "portal" else functools.partial(
        measure_flows, settle_seconds=options.prefect_settle_seconds)
    databases = ["sqlite", "postgres"] if options.database == "both" else [options.database]
    entries: list[Entry] = []
    for database in databases:
        if database == "postgres" and not postgres_answers():
            entries.append(Entry("PostgreSQL", None, "", database, 0,
                                 note="skipped: PostgreSQL does not answer"))
            continue
        made = []
        try:
            prepared = {}
            for size in options.size_list:
                log(f"[bold]{database}[/], {size:,} appraisals ...")
                store = create_store(database, workdir, f"n{size}")
                made.append(store)
                raw, data = (run or _in_child)(prepare, store, size)
                entries += [Entry(**r) for r in raw]
                prepared[size] = (store, data)
            if options.portal_seconds > 0:
                log(f"[bold]{database}[/], the portal at each size in turn, then in reverse ...")
                entries += measure_portal_at_sizes(prepared, seconds=options.portal_seconds,
                                                   clients=options.clients,
                                                   workers=options.portal_workers)
            if options.journey_seconds > 0:
                largest = max(prepared)
                log(f"[bold]{database}[/], {largest:,} appraisals: a sign-in's email and a "
                    "signature's record, under the portal's load ...")
                entries += measure_journeys(*prepared[largest], seconds=options.journey_seconds,
                                            clients=options.clients,
                                            workers=options.portal_workers)
        finally:
            for store in made:
                drop_store(store)
        entries += growth(entries, database)
    return entries


def growth(entries: list[Entry], database: str) -> list[Entry]:
    """Measurement 6: per-appraisal cost at the largest size over that at the smallest."""
    out = []
    names = {e.name for e in entries if e.database == database}
    for name in sorted(names):
        if not (name.startswith(("1 ", "2 ", "4 portal p95"))):
            continue
        series = sorted((e.dataset_size, e.figure) for e in entries
                        if e.name == name and e.database == database and e.figure)
        if len(series) < 2:
            continue
        (small, small_figure), (large, large_figure) = series[0], series[-1]
        if name.startswith("4 "):  # a page's latency must not grow at all with the total
            per_small, per_large, unit = small_figure, large_figure, "ms (p95)"
        else:
            per_small, per_large, unit = small_figure / small, large_figure / large, "s/appraisal"
        grown = Entry(f"6 growth: {name[2:]}", round(per_large, 7), unit, database, large,
                      note=f"at {large:,} vs {small:,}: " + ", ".join(
                          f"{n:,}={f:.4g}" for n, f in series))
        with_floor(grown, round(per_small, 7))
        grown.goal = f"ratio <= {GROWTH_GOAL}"
        grown.met = grown.ratio is not None and grown.ratio <= GROWTH_GOAL
        out.append(grown)
    return out


def records_measurements(options: argparse.Namespace, workdir: Path,
                         log: Any) -> list[Entry]:
    """Measurement 3: the real seal-records flow against its floor (bench/records_bench.py),
    on each database asked for (PostgreSQL when it answers)."""
    from . import records_bench
    from .stores import postgres_answers

    databases = ["sqlite", "postgres"] if options.database == "both" else [options.database]
    entries: list[Entry] = []
    for database in databases:
        if database == "postgres" and not postgres_answers():
            continue  # store_measurements already says PostgreSQL was skipped
        entries += records_bench.records_measurements(options.records, workdir, log,
                                                      database=database)
    return entries


def deployed_measurements(options: argparse.Namespace, workdir: Path,
                          log: Any) -> list[Entry]:
    """Measurement 8: the deployed seal-records flow on an external Dask cluster of two
    workers against the bare loop on them (bench/deployed_bench.py), on each database
    asked for (PostgreSQL when it answers)."""
    from .deployed_bench import deployed_measurement
    from .stores import postgres_answers

    databases = ["sqlite", "postgres"] if options.database == "both" else [options.database]
    entries: list[Entry] = []
    for database in databases:
        if database == "postgres" and not postgres_answers():
            continue  # store_measurements already says PostgreSQL was skipped
        entries += deployed_measurement(options.records, workdir, log, database=database)
    return entries


def feedback_measurements(options: argparse.Namespace, workdir: Path, log: Any,
                          run: Callable[..., Any] | None = None) -> list[Entry]:
    """Measurement 9: opening the feedback rounds against its floor (bench/feedback_bench.py),
    at the largest size (the goal's 10,000 in a quick run too), on each database asked for."""
    from .feedback_bench import measure_feedback
    from .stores import create_store, drop_store, postgres_answers

    size = max(options.size_list)
    databases = ["sqlite", "postgres"] if options.database == "both" else [options.database]
    entries: list[Entry] = []
    for database in databases:
        if database == "postgres" and not postgres_answers():
            continue  # said once, by store_measurements or here below
        log(f"[bold]{database}[/], {size:,} appraisals: opening the feedback rounds ...")
        store = create_store(database, workdir, f"feedback{size}")
        try:
            measure = functools.partial(measure_feedback,
                                        settle_seconds=options.prefect_settle_seconds)
            entries += [Entry(**r) for r in (run or _in_child)(measure, store, size)]
        finally:
            drop_store(store)
    return entries


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    options = parse(argv)
    console = Console()
    with tempfile.TemporaryDirectory(prefix="appraisal-bench-") as temporary:
        workdir = options.workdir or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        entries: list[Entry] = []
        if options.only == "portal":
            entries += store_measurements(options, workdir, console.print)
        else:
            with prefect_server(workdir):
                if options.only == "all":
                    entries += store_measurements(options, workdir, console.print)
                if options.records > 0 and options.only in ("all", "records"):
                    entries += records_measurements(options, workdir, console.print)
                if options.records > 0 and options.only in ("all", "records", "deployed"):
                    entries += deployed_measurements(options, workdir, console.print)
                if options.only in ("all", "feedback"):
                    entries += feedback_measurements(options, workdir, console.print)
    console.print(table(entries))
    write_json(options.output, entries, {
        "sizes": options.size_list, "database": options.database, "records": options.records,
        "portal_seconds": options.portal_seconds, "clients": options.clients,
        "portal_workers": options.portal_workers,
        "journey_seconds": options.journey_seconds,
        "prefect_settle_seconds": options.prefect_settle_seconds,
        "only": options.only,
        "argv": sys.argv[1:] if argv is None else argv})
    console.print(f"wrote {options.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
