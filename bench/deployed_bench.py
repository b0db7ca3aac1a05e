"""Measurement 8: records sealed through the deployed flow on an external Dask cluster.

Issue 17's deployment, on this machine: the ``seal-records`` deployment as
``appraisal flows deploy`` registers it (module-path entrypoint, one run at a time) on a
process work pool, run by ``appraisal flows worker``, with ``APPRAISAL_DASK_ADDRESS``
naming an external Dask cluster of two single-threaded worker processes (``dask scheduler``
and two ``dask worker``). Against it, the FLOOR: the bare loop of
``bench.records_bench.floor_record`` (build, render, two signatures, nothing stored) mapped
over the SAME two Dask worker processes, in the flow's batches.

Both pay the same for what is already running (the Prefect server, the cluster, the worker
waiting for runs); each Dask worker has the seal and the store's engine loaded before
either is timed. The deployed run is timed from the request (``run_deployment``) to its
final state, so it includes what a deployment costs: the worker's pick-up, the flow run's
own process and imports, its Prefect and Dask bookkeeping, and storing, auditing and
announcing each record. The floor is timed in two halves, one before the flow and one
after, as measurement 3's.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .results import Entry

DEPLOYED_RATIO_GOAL = 1.2
DASK_WORKERS = 2
BENCH_POOL = "appraisal-bench"
DEPLOYMENT = "seal-records/seal-records"
BIN = Path(sys.executable).parent
CHECKOUT = Path(__file__).resolve().parents[1]
# The worker asks the server for runs this often (Prefect's default is 10 s); a scheduled
# run is prefetched before it is due, a run asked for now waits up to one interval.
WORKER_QUERY_SECONDS = 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(what: str, ready: Callable[[], Any], timeout: float, *,
               process: subprocess.Popen[bytes] | None = None, log: Path | None = None) -> Any:
    """Poll ``ready`` until it returns something truthy; fail naming ``what`` after
    ``timeout`` seconds (or as soon as ``process`` exits), with the tail of ``log``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = ready()
        except Exception:  # noqa: BLE001 - not ready yet
            value = None
        if value:
            return value
        if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"{what} did not happen within {timeout:.0f} s\n{tail}")
        time.sleep(0.25)


class Processes:
    """The processes a measurement starts, each logging to a file in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> Path:
        log = self.folder / f"{name}.log"
        self.started.append(subprocess.Popen(
            command, env=env, cwd=self.folder, stdout=log.open("ab"),
            stderr=subprocess.STDOUT, start_new_session=True))
        return log

    def stop(self) -> None:
        for process in reversed(self.started):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.started):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _dask_workers(address: str) -> int:
    from distributed import Client

    with Client(address, timeout="5s", set_as_default=False) as client:
        return len(client.nthreads())


@contextmanager
def external_cluster(processes: Processes, env: dict[str, str]) -> Iterator[str]:
    """``dask scheduler`` and two ``dask worker`` processes of one thread; yields the
    scheduler's address. The workers see this checkout (the floor's functions are here)."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    port = address.rpartition(":")[2]
    scheduler_log = processes.start("dask-scheduler", [
        str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", port,
        "--no-dashboard"], env)
    worker_env = {**env, "PYTHONPATH": str(CHECKOUT)}
    for index in range(1, DASK_WORKERS + 1):
        processes.start(f"dask-worker-{index}", [
            str(BIN / "dask"), "worker", address, "--nthreads", "1", "--nworkers", "1",
            "--no-dashboard", "--name", f"bench-dask-{index}"], worker_env)
    wait_until("two Dask workers joining", lambda: _dask_workers(address) == DASK_WORKERS,
               180, log=scheduler_log)
    yield address


def register_deployment(pool: str) -> None:
    """The ``seal-records`` deployment exactly as ``appraisal flows deploy`` makes it, on
    ``pool``, but with no schedule: the measurement asks for its one run."""
    from flows.deployments import HEARTBEAT_SECONDS, deployments, ensure_work_pool

    ensure_work_pool(pool)
    sealing = next(d for d in deployments(heartbeat_seconds=HEARTBEAT_SECONDS)
                   if d.name == "seal-records")
    sealing.schedules = []
    sealing.apply(work_pool_name=pool)


def _online_workers(pool: str) -> int:
    from prefect import get_client
    from prefect.client.schemas.filters import WorkerFilter, WorkerFilterStatus

    with get_client(sync_client=True) as client:
        return len(client.read_workers_for_work_pool(pool, worker_filter=WorkerFilter(
            status=WorkerFilterStatus(any_=["ONLINE"]))))


def _warm_dask_worker() -> bool:
    """In a Dask worker: the seal, the store's engine and the rendering and signing code
    loaded, as a worker of a running deployment has them."""
    from appraisal_store.engines import engine
    from records.build import build_content  # noqa: F401 - imported to be loaded
    from records.configured_seal import deployment_seal
    from records.render import render_record  # noqa: F401

    deployment_seal()
    engine()
    return True


def _dask_floor_batch(appraisal_ids: list[int]) -> int:
    """The floor's batch in a Dask worker: build, render and sign each, nothing stored."""
    from records.configured_seal import deployment_seal

    from .records_bench import floor_record

    seal = deployment_seal()
    return sum(floor_record(appraisal_id, seal) for appraisal_id in appraisal_ids)


def _floor_on_cluster(address: str, appraisal_ids: list[int]) -> float:
    """Seconds for the bare loop over ``appraisal_ids`` on the cluster's workers, in the
    batches the flow makes for that many workers."""
    from distributed import Client

    from flows.batching import batches
    from flows.sealing import BATCHES_PER_WORKER, LEAST_BATCH

    chunks = batches(appraisal_ids, most_batches=BATCHES_PER_WORKER * DASK_WORKERS,
                     least_size=LEAST_BATCH)
    with Client(address, timeout="10s", set_as_default=False) as client:
        started = time.perf_counter()
        futures = client.map(_dask_floor_batch, chunks, pure=False)
        client.gather(futures)
        return time.perf_counter() - started


def _deployed_run(count: int, log_file: Path) -> tuple[float, float, str]:
    """Ask the deployment for one run over ``count`` records; wall seconds from the request
    to its final state, seconds it spent Running, and that state."""
    from prefect import get_client
    from prefect.deployments import run_deployment

    started = time.perf_counter()
    run = run_deployment(DEPLOYMENT, parameters={"limit": count}, timeout=0)

    def final() -> Any:
        with get_client(sync_client=True) as client:
            current = client.read_flow_run(run.id)
        return current if current.state and current.state.is_final() else None

    finished = wait_until(f"the deployed run {run.id} finishing", final, 3600, log=log_file)
    seconds = time.perf_counter() - started
    with get_client(sync_client=True) as client:
        states = sorted(client.read_flow_run_states(run.id), key=lambda s: s.timestamp)
    running: datetime | None = next(
        (s.timestamp for s in states if s.type.value == "RUNNING"), None)
    ran = (states[-1].timestamp - running).total_seconds() if running else 0.0
    return seconds, ran, str(finished.state.type.value)


def _sealed_records() -> int:
    from sqlalchemy import func, select

    from appraisal_store.models import Record
    from appraisal_store.sessions import read_session
    from appraisal_store.vocabulary import RecordStage

    with read_session() as session:
        return int(session.execute(select(func.count()).select_from(Record).where(
            Record.stage == RecordStage.COMPLETE)).scalar_one())


def deployed_measurement(count: int, workdir: Path, log: Any,
                         database: str = "sqlite") -> list[Entry]:
    """Measurement 8 on ``database``: ``count`` records through the deployed flow on an
    external Dask cluster of two workers, against the bare loop on those two workers.

    Needs a Prefect API (``bench/run.py`` starts one).
    """
    from appraisal_store.actors import Actor
    from appraisal_store.engines import engine
    from appraisal_store.services.cycles import open_cycles, resolve_dates
    from appraisal_store.sessions import write_session
    from records.configured_seal import ensure_deployment_seal

    from . import dataset
    from .records_bench import cpu_seconds, prepare_signed_appraisals
    from .results import Entry, with_floor
    from .stores import fresh_store

    size = int(count * 1.1) + 30
    with fresh_store(database, workdir, f"deployed-{count}") as store:
        log(f"deployed: preparing {count:,} signed appraisals in a store of {size:,} ...")
        data = dataset.load(engine(), size)
        with write_session() as session:
            open_cycles(session=session, actor=Actor.system("benchmark"), year=dataset.YEAR,
                        organisation_codes=data.organisations,
                        dates=resolve_dates(dataset.YEAR), today=dataset.OPENED_ON)
        ids = prepare_signed_appraisals(engine(), count)
        ensure_deployment_seal()
        engine().dispose()  # the cluster and the flow run open their own connections
        folder = store.home / "processes"
        folder.mkdir(parents=True, exist_ok=True)
        from prefect.settings import get_current_settings

        # What every process of the deployment is given: this store, the seal, the API.
        env = {**os.environ,
               **get_current_settings().to_environment_variables(exclude_unset=True),
               "PREFECT_LOGGING_LEVEL": "WARNING"}
        processes = Processes(folder)
        try:
            with external_cluster(processes, env) as address:
                log(f"deployed: Dask scheduler at {address} with {DASK_WORKERS} workers; "
                    f"registering seal-records on the {BENCH_POOL!r} work pool ...")
                register_deployment(BENCH_POOL)
                worker_log = processes.start("prefect-worker", [
                    str(BIN / "appraisal"), "flows", "worker", "--pool", BENCH_POOL,
                    "--name", "bench-worker"], {
                        **env, "APPRAISAL_DASK_ADDRESS": address,
                        "PREFECT_WORKER_QUERY_SECONDS": str(WORKER_QUERY_SECONDS)})
                wait_until("the Prefect worker online",
                           lambda: _online_workers(BENCH_POOL) == 1, 180, log=worker_log)
                from distributed import Client

                with Client(address, timeout="10s", set_as_default=False) as client:
                    client.run(_warm_dask_worker)
                middle = len(ids) // 2
                load = [round(os.getloadavg()[0], 2)]
                log(f"deployed: {middle} x floor on the cluster's {DASK_WORKERS} workers, "
                    "first half ...")
                halves = [_floor_on_cluster(address, ids[:middle])]
                log(f"deployed: {count} through the deployed seal-records flow ...")
                cpu_before = cpu_seconds()
                flowed, running, final = _deployed_run(count, worker_log)
                cpu_flow_here = cpu_seconds() - cpu_before
                log(f"deployed: {len(ids) - middle} x floor, second half ...")
                halves.append(_floor_on_cluster(address, ids[middle:]))
                load.append(round(os.getloadavg()[0], 2))
        finally:
            processes.stop()
        sealed = _sealed_records()
        if final != "COMPLETED" or sealed != count:
            raise RuntimeError(f"the deployed run ended {final} with {sealed} records sealed, "
                               f"not {count} (logs in {folder})")
    floor = sum(halves)
    floor_entry = Entry(
        f"8 records floor on the external Dask cluster, {DASK_WORKERS} workers",
        round(count / floor, 2), "records/s", database, count,
        note="build_content + render + 2 signatures, nothing stored, mapped over the "
             "cluster's workers",
        details={"seconds": round(floor, 3),
                 "seconds_before_and_after_the_flow": [round(h, 3) for h in halves],
                 "load_average_1min": load})
    entry = Entry(
        f"8 records through the deployed flow, external Dask ({DASK_WORKERS} workers)",
        round(flowed, 3), "s", database, count,
        note="deployment seal-records on a process work pool, APPRAISAL_DASK_ADDRESS; "
             "timed from run_deployment to the final state",
        details={"records_per_second": round(count / flowed, 2),
                 "seconds_running": round(running, 3),
                 "cpu_seconds_of_the_requesting_process": round(cpu_flow_here, 3),
                 "worker_query_seconds": WORKER_QUERY_SECONDS, "load_average_1min": load})
    with_floor(entry, round(floor, 3))
    entry.goal = f"ratio <= {DEPLOYED_RATIO_GOAL}"
    entry.met = entry.ratio is not None and entry.ratio <= DEPLOYED_RATIO_GOAL
    return [floor_entry, entry]
