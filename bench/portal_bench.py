"""Measurement 4 (and the portal half of 5): the portal under load, over loopback.

The portal runs as a deployment would run it: uvicorn with one worker process per core
(``portal.server``), in processes of its own; people are signed in by writing
``PortalSession`` rows directly (what ``portal.authentication.start_session`` stores: the
SHA-256 of the cookie's secret and a CSRF token); the load comes from
``bench.load_client`` in another process. The four pages are the portal's own routes: the
appraiser's queue (``/queue``), a director's domain page and its save, and the company
secretary's dashboard (``/organisations/{id}/dashboard``).

The sizes are measured in turn and then again in the reverse order, half the load each
time (``measure_portal_at_sizes``), and each size's two halves are put together: on a
machine whose speed drifts over minutes (seen here: 15 to 30%), a drift then weighs on
every size alike instead of on whichever was measured last, which is what measurement 6
(the growth of a page's p95 with the total) compares.

Kept in one module: starting the portal as deployed, signing the load's people in and
timing each size in two halves are one procedure, whose figures compare only when each
step is read beside the others.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psutil
from sqlalchemy import insert, select

from appraisal_store.clock import utcnow
from appraisal_store.cpus import usable_cpus
from appraisal_store.engines import engine
from appraisal_store.models import Appraisal, Person, PortalSession
from portal.server import APP_FACTORY, default_workers

from .dataset import Dataset
from .load_client import RAW, page_figures
from .results import Entry, at_most

if TYPE_CHECKING:
    from .stores import Store

SESSION_COOKIE = "appraisal_session"
CHAIR_QUEUE_PATH = "/queue"  # portal.routers.review.queue
SECRETARY_DASHBOARD_PATH = "/organisations/{organisation_id}/dashboard"  # routers.secretary


@dataclass
class PortalFigures:
    available: bool
    note: str = ""
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    peak_rss_mb: float | None = None  # all the portal's processes together
    workers: int = 1
    peak_worker_rss_mb: float | None = None  # the largest single worker
    wall_seconds: float = 0.0
    # CPU seconds spent during the load: "portal" (uvicorn's processes), "database" (the
    # PostgreSQL server's processes; SQLite runs inside the portal's) and "load generator".
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    runs: int = 1  # how many loads these figures put together (``combined``)
    runs_p95_ms: dict[str, list[float | None]] = field(default_factory=dict)


def combined(runs: list[PortalFigures]) -> PortalFigures:
    """The figures of several loads of the same store, as if they were one load.

    Every page's latencies and errors are pooled and its percentiles taken afresh; requests
    a second are over the loads' wall time together; memory is the highest peak. Each
    load's own p95 is kept beside (``runs_p95_ms``) to show how far they differed.
    """
    if len(runs) == 1:
        return runs[0]
    first = runs[0]
    if not all(run.available for run in runs):
        return next(run for run in runs if not run.available)
    wall = sum(run.wall_seconds for run in runs)
    pages = {name: page_figures(
        [v for run in runs for v in run.pages[name]["latencies_s"]],
        [e for run in runs for e in run.pages[name]["error_names"]], wall)
        for name in first.pages}
    return PortalFigures(
        True, first.note, pages, first.paths,
        max(run.peak_rss_mb or 0 for run in runs), first.workers,
        max(run.peak_worker_rss_mb or 0 for run in runs), wall,
        {part: sum(run.cpu_seconds.get(part, 0.0) for run in runs) for part in first.cpu_seconds},
        len(runs), {name: [run.pages[name]["p95_ms"] for run in runs] for name in first.pages})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@functools.cache
def portal_importable() -> str | None:
    """None when ``portal.app:create_app`` imports, else why not.

    Asked once a run (the answer is this checkout's): every load of every size asks, and
    each asking imports the whole portal in a process of its own.
    """
    probe = subprocess.run([sys.executable, "-c", "import portal.app; portal.app.create_app"],
                           capture_output=True, text=True, check=False)
    if probe.returncode == 0:
        return None
    return probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else "import failed"


def _sign_in(email: str) -> tuple[str, str, int]:
    """A live session for the person with ``email``: (cookie secret, CSRF token, person id)."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    with engine().begin() as connection:
        person_id = connection.execute(select(Person.id).where(Person.email == email)).scalar_one()
        connection.execute(insert(PortalSession), [{
            "session_hash": hashlib.sha256(secret.encode()).hexdigest(), "person_id": person_id,
            "csrf_token": csrf, "created_at": now, "last_seen_at": now}])
    return secret, csrf, person_id


def _own_appraisal(person_id: int) -> int:
    with engine().connect() as connection:
        return int(connection.execute(select(Appraisal.id).where(
            Appraisal.appraisee_id == person_id).order_by(Appraisal.id.desc())).scalars().first())  # type: ignore[union-attr]


def _organisation_of(person_id: int) -> int:
    with engine().connect() as connection:
        return int(connection.execute(select(Appraisal.organisation_id).where(
            Appraisal.appraisee_id == person_id)).scalars().first())


def _start_server(port: int, log: Path, workers: int) -> subprocess.Popen[bytes]:
    """uvicorn serving the portal with ``workers`` processes, as ``appraisal portal`` does;
    its messages (tracebacks of any 500) go to ``log``."""
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", APP_FACTORY,
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--log-level", "warning", "--no-access-log"],
        env={**os.environ}, stdout=subprocess.DEVNULL, stderr=log.open("wb"))


def _wait_until_up(base: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the portal exited with {server.returncode}")
        try:
            httpx.get(f"{base}/sign-in", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the portal did not answer within a minute")


def _cpu_of(processes: list[psutil.Process]) -> float:
    """User and system CPU seconds of ``processes`` so far, with their children that have
    ended and been reaped (a PostgreSQL backend that exits moves its CPU to the postmaster's
    children); a process of the list that has ended itself counts 0."""
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def _database_server_processes(url: str) -> list[psutil.Process]:
    """The PostgreSQL server's processes, when the store is PostgreSQL on this machine.

    Every ``postgres`` process running when the load starts is taken (the postmaster, its
    helpers and every backend; the untimed warm-up has opened the portal's connections by
    then), so anything else those processes do during the load counts too; the
    benchmark's machine has nothing else on it.
    """
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or parsed.host not in (
            None, "", "localhost", "127.0.0.1", "::1"):
        return []
    return [process for process in psutil.process_iter(["name"])
            if (process.info["name"] or "").startswith("postgres")]


class _PeakRss:
    """Samples the resident set of a process and its children every 50 ms in a thread.

    Keeps the peak of the sum (the supervisor and every worker) and of the largest process.
    """

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self.peak_single = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                tree = [self.process, *self.process.children(recursive=True)]
            except psutil.Error:
                return
            sizes = []
            for member in tree:
                try:
                    sizes.append(member.memory_info().rss)
                except psutil.Error:
                    continue
            self.peak = max(self.peak, sum(sizes))
            self.peak_single = max(self.peak_single, max(sizes, default=0))
            self._stop.wait(0.05)

    def stop(self) -> tuple[float, float]:
        """(peak of all processes together, peak of the largest one), in MB."""
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20, self.peak_single / 2**20


def scenarios(dataset: Dataset, clients: int) -> tuple[list[list[dict[str, Any]]], dict[str, str]]:
    """The four pages of issue 6 for each of ``clients`` clients.

    Every client is a different director, on their own appraisal: one person edits one
    appraisal, and a director's save holds that appraisal's row lock (so that a save cannot
    race a submission), so twenty clients saving one appraisal would measure a queue on
    one row that no board sees. The chair's queue and the company secretary's dashboard
    are read by everyone as the same chair and secretary (reads take no lock).
    """
    from competencies.loader import default_framework
    from competencies.scale import ScaleLabel

    directors = dataset.director_emails[:clients]
    if len(directors) < clients:
        raise RuntimeError(f"the dataset has {len(directors)} directors to sign in as, "
                           f"{clients} clients want one each")
    chair, _, _ = _sign_in(dataset.chair_email)
    secretary, _, _ = _sign_in(dataset.secretary_email)
    domain = default_framework().domains[0]
    signed_in = [_sign_in(email) for email in directors]
    pages = [f"/appraisals/{_own_appraisal(person_id)}/domains/{domain.id}"
             for _, _, person_id in signed_in]
    paths = {
        "chair queue": CHAIR_QUEUE_PATH,
        "director domain page": pages[0], "self-assessment save": pages[0],
        "secretary dashboard": SECRETARY_DASHBOARD_PATH.format(
            organisation_id=_organisation_of(signed_in[0][2])),
    }
    per_client = [[
        {"name": "chair queue", "method": "GET", "path": paths["chair queue"], "cookie": chair},
        {"name": "director domain page", "method": "GET", "path": page, "cookie": director},
        {"name": "self-assessment save", "method": "POST", "path": page, "cookie": director,
         "form": {"csrf_token": csrf, "reflection": "Steady progress on the board's work.",
                  "action": "save",
                  **{f"rating-{s.id}": ScaleLabel.FREQUENTLY.value
                     for s in domain.statements}}},
        {"name": "secretary dashboard", "method": "GET", "path": paths["secretary dashboard"],
         "cookie": secretary},
    ] for (director, csrf, _), page in zip(signed_in, pages, strict=True)]
    return per_client, paths


def _run_load(plan: dict[str, Any]) -> dict[str, Any]:
    client = subprocess.run([sys.executable, "-m", "bench.load_client"],
                            input=json.dumps(plan), capture_output=True, text=True, check=True)
    return dict(json.loads(client.stdout))


def measure_portal(dataset: Dataset, *, duration: float, clients: int = 20,
                   workers: int | None = None) -> PortalFigures:
    """Serve the configured store and put it under ``clients`` concurrent clients.

    Args:
        workers: uvicorn worker processes; None is one per core, as ``appraisal portal``.
    """
    reason = portal_importable()
    if reason:
        return PortalFigures(False, f"not available: portal does not import ({reason})")
    per_core = not workers
    workers = workers or default_workers()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    from appraisal_store.config import settings

    server = _start_server(port, settings().home / "portal.log", workers)
    try:
        _wait_until_up(base, server)
        rss = _PeakRss(server.pid)
        per_client, paths = scenarios(dataset, clients)
        plan = {"base_url": base, "duration": duration, "clients": clients,
                "cookie_name": SESSION_COOKIE, "scenarios": per_client}
        # Untimed: every worker compiles its templates and fills its connection pool.
        _run_load({**plan, "duration": min(2.0, max(duration / 5, 0.5))})
        supervisor = psutil.Process(server.pid)
        portal = [supervisor, *supervisor.children(recursive=True)]
        database = _database_server_processes(settings().database)
        before = _cpu_of(portal), _cpu_of(database)
        figures = _run_load(plan)
        cpu = {"portal": _cpu_of(portal) - before[0], "database": _cpu_of(database) - before[1],
               "load generator": figures["cpu_seconds"]}
        fallback = [n for n, p in paths.items() if p == "/"]
        note = (f"{clients} clients, each a different director, {duration:g} s; "
                f"uvicorn, {workers} worker process"
                f"{'es' if workers != 1 else ''}"
                f"{' (one per core, as `appraisal portal` runs)' if per_core else ''}, "
                f"load generator in its own process on the same machine")
        if fallback:
            note += f"; FALLBACK to the home page for {', '.join(fallback)}"
        total, single = rss.stop()
        return PortalFigures(True, note, figures["pages"], paths, total, workers, single,
                             figures["wall_seconds"], cpu)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


P95_GOAL_MS = 100.0
RSS_GOAL_MB = 300.0


def portal_entries(figures: PortalFigures, database: str, size: int) -> list[Entry]:
    """Measurements 4 and the portal half of 5 as entries."""
    entries: list[Entry] = []
    if not figures.available:
        entries.append(Entry("4 portal under load", None, "ms", database, size,
                             note=figures.note))
    note = figures.note
    if figures.runs > 1:
        note += (f"; {figures.runs} such loads (the sizes in turn, then in reverse), pooled: "
                 f"{figures.wall_seconds:.0f} s in all")
    for page, stats in figures.pages.items():
        shown = {k: v for k, v in stats.items() if k not in RAW}
        if page in figures.runs_p95_ms:
            shown["p95_ms_of_each_load"] = figures.runs_p95_ms[page]
        page_entry = at_most(Entry(f"4 portal p95: {page}", stats["p95_ms"], "ms", database,
                                   size, note=note,
                                   details={**shown, "path": figures.paths.get(page)}),
                             P95_GOAL_MS)
        page_entry.goal += ", no errors"
        page_entry.met = bool(page_entry.met) and stats["errors"] == 0
        entries.append(page_entry)
    requests = sum(stats["requests"] for stats in figures.pages.values())
    if figures.cpu_seconds and requests:
        per_request = {part: round(seconds / requests * 1000, 3)
                       for part, seconds in figures.cpu_seconds.items()}
        entries.append(Entry(
            "4 portal CPU per request", per_request["portal"], "ms", database, size,
            note="CPU of the portal's processes over every request of the four pages; beside "
                 "it the database server's and the load generator's, on the same cores",
            details={"cpu_ms_per_request": per_request, "requests": requests,
                     "requests_per_second": round(requests / figures.wall_seconds, 1),
                     "cores": usable_cpus()}))
    if figures.peak_rss_mb is not None:
        entries.append(at_most(Entry(
            "5 portal process peak RSS", round(figures.peak_rss_mb, 1), "MB", database, size,
            note=f"uvicorn supervisor and {figures.workers} worker(s) together; the largest "
                 f"worker {figures.peak_worker_rss_mb or 0:.0f} MB",
            details={"workers": figures.workers,
                     "largest_worker_mb": round(figures.peak_worker_rss_mb or 0, 1)}),
            RSS_GOAL_MB))
    return entries


def in_both_orders(sizes: list[int]) -> list[int]:
    """The order the sizes' loads run in: each in turn, then in reverse (1, 5, 10, 10, 5, 1)."""
    return [*sizes, *reversed(sizes)]


def measure_portal_at_sizes(prepared: dict[int, tuple[Store, Dataset]], *, seconds: float,
                            clients: int, workers: int | None = None) -> list[Entry]:
    """Measurement 4 (and the portal's memory) at every prepared size.

    Each size gets ``seconds`` of load in two halves, one in each pass of
    ``in_both_orders``, pooled by ``combined``.

    Args:
        workers: uvicorn worker processes; None is one per core, as ``appraisal portal``.
    """
    from .stores import store_in_use

    loads: dict[int, list[PortalFigures]] = {size: [] for size in prepared}
    for size in in_both_orders(list(prepared)):
        store, data = prepared[size]
        with store_in_use(store):
            loads[size].append(measure_portal(data, duration=seconds / 2, clients=clients,
                                              workers=workers))
    entries: list[Entry] = []
    for size, (store, _) in prepared.items():
        entries += portal_entries(combined(loads[size]), store.database, size)
    return entries


def prepare_portal_store(store: Store, size: int) -> tuple[list[dict[str, Any]], Dataset]:
    """Only the portal (``python -m bench.run --only portal``): fill ``store`` at ``size``
    and open the cycle through the service (no Prefect needed: the pages see the same rows
    the flow writes). No entries of its own; the dataset for the portal's load."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.cycles import open_cycles, resolve_dates
    from appraisal_store.sessions import write_session

    from . import dataset as synthetic
    from .stores import store_in_use

    with store_in_use(store):
        data = synthetic.load(engine(), size)
        with write_session() as session:
            open_cycles(session=session, actor=Actor.system("open-cycle flow"),
                        year=synthetic.YEAR, organisation_codes=data.organisations,
                        dates=resolve_dates(synthetic.YEAR), today=synthetic.OPENED_ON)
    return [], data
