"""The scaled-out deployment on loopback, as the README describes it, for the distributed
test and ``make scale-demo``.

A Prefect server on a PostgreSQL database of its own with API authentication, the
``appraisal`` process work pool with two workers (separate homes and working
directories, one shared seal), an external Dask scheduler with two workers, two portals on
one PostgreSQL store (a schema of its own) and an SMTP sink. Every part is a real process
started from this environment; ``ScaleStack`` starts them, kills them on request and
removes the databases afterwards.

Kept in one module: the parts start in an order each depends on (databases, server, pool,
workers, cluster, portals) and stop in the reverse, and one class owns every process so
that a failed start never leaves one running.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import create_engine, text

from bench.deployed_bench import wait_until

BIN = Path(sys.executable).parent
ADMIN_URL = os.environ.get(
    "APPRAISAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SEAL_PASSWORD = "scale-demo-seal-password"
HEARTBEAT_SECONDS = 30
DEAD_AFTER = timedelta(seconds=45)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_pkcs12(folder: Path) -> Path:
    """One organisation seal for every machine: the self-signed seal ``appraisal init``
    would make, as a password-protected PKCS#12 file, like a real certificate."""
    from cryptography.hazmat.primitives.serialization import (
        BestAvailableEncryption,
        load_pem_private_key,
        pkcs12,
    )
    from cryptography.x509 import load_pem_x509_certificate

    from records.self_signed_seal import ensure_seal

    files = ensure_seal(folder / "seal-maker", organisation="Scale demo NHS Trust")
    key = load_pem_private_key(files.key_path.read_bytes(), password=None)
    cert = load_pem_x509_certificate(files.cert_path.read_bytes())
    path = folder / "organisation-seal.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"organisation seal", key, cert, None,  # type: ignore[arg-type]
        BestAvailableEncryption(SEAL_PASSWORD.encode())))
    path.chmod(0o600)
    return path


@dataclass
class Part:
    name: str
    process: subprocess.Popen
    log: Path


@dataclass
class ScaleStack:
    """Every process of the deployment, on loopback, under ``root``."""

    root: Path
    parts: dict[str, Part] = field(default_factory=dict)
    prefect_port: int = field(default_factory=free_port)
    dask_port: int = field(default_factory=free_port)
    portal_ports: tuple[int, int] = field(default_factory=lambda: (free_port(), free_port()))
    auth: str = field(default_factory=lambda: f"appraisal:{secrets.token_urlsafe(16)}")
    prefect_database: str = field(default_factory=lambda: f"prefect_{uuid.uuid4().hex[:10]}")
    store_schema: str = field(default_factory=lambda: f"scale_{uuid.uuid4().hex[:10]}")
    smtp: Any = None
    seal: Path | None = None

    # --- addresses and environments

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.prefect_port}/api"

    @property
    def store_url(self) -> str:
        return f"{ADMIN_URL}?options=-csearch_path%3D{self.store_schema}"

    @property
    def prefect_database_url(self) -> str:
        base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql+psycopg", "postgresql+asyncpg")
        return f"{base}/{self.prefect_database}"

    def machine_env(self, home: Path) -> dict[str, str]:
        """What every machine of the deployment is given (README: a worker's settings)."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("APPRAISAL_", "PREFECT_"))}
        env.update({
            "APPRAISAL_HOME": str(home), "APPRAISAL_DATABASE_URL": self.store_url,
            "APPRAISAL_SEAL_PKCS12": str(self.seal), "APPRAISAL_SEAL_PASSWORD": SEAL_PASSWORD,
            "APPRAISAL_SMTP_URL": self.smtp.url, "APPRAISAL_ENV": "production",
            "APPRAISAL_DASK_ADDRESS": f"tcp://127.0.0.1:{self.dask_port}",
            "PREFECT_API_URL": self.api_url, "PREFECT_API_AUTH_STRING": self.auth,
            "PREFECT_HOME": str(home / "prefect"), "PREFECT_LOGGING_LEVEL": "INFO",
            # A run waiting for its deployment's one slot asks again this often.
            "PREFECT_DEPLOYMENT_CONCURRENCY_SLOT_WAIT_SECONDS": "3",
            "PREFECT_WORKER_QUERY_SECONDS": "2",
        })
        return env

    # --- processes

    def start(self, name: str, command: list[str], env: dict[str, str], cwd: Path) -> Part:
        cwd.mkdir(parents=True, exist_ok=True)
        log = self.root / f"{name}.log"
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log.open("ab"),
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.parts[name] = Part(name, process, log)
        return self.parts[name]

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Stop a part and everything it started (a machine lost: its flow runs too)."""
        part = self.parts.pop(name)
        try:
            family = [*psutil.Process(part.process.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            family = []
        part.process.send_signal(sig)
        if sig == signal.SIGKILL:
            for child in family:
                with _quiet():
                    child.kill()
        try:
            part.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            part.process.kill()
            part.process.wait()

    def start_prefect_server(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update({
            "PREFECT_HOME": str(self.root / "prefect-server"),
            "PREFECT_API_DATABASE_CONNECTION_URL": self.prefect_database_url,
            "PREFECT_SERVER_API_AUTH_STRING": self.auth,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false",
            "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
        })
        part = self.start("prefect-server", [str(BIN / "prefect"), "server", "start",
                                             "--host", "127.0.0.1", "--port",
                                             str(self.prefect_port)], env, self.root)
        wait_until("the Prefect server's start", self._server_healthy, 180,
                   process=part.process, log=part.log)

    def _server_healthy(self) -> bool:
        user, _, password = self.auth.partition(":")
        return httpx.get(f"{self.api_url}/health", auth=(user, password),
                         timeout=3).status_code == 200

    def worker_home(self, name: str) -> Path:
        return self.root / name / "home"

    def start_worker(self, name: str) -> Part:
        # Its own working directory and a home named relative to it, like a machine's.
        cwd = self.root / name
        env = {**self.machine_env(Path("home")), "PREFECT_HOME": str(cwd / "prefect")}
        return self.start(name, [str(BIN / "appraisal"), "flows", "worker", "--name", name],
                          env, cwd)

    def up(self, *, smtp: Any) -> None:
        """Databases, seal, Prefect server, deployments, Dask, two workers, two portals."""
        self.smtp = smtp
        self.root.mkdir(parents=True, exist_ok=True)
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.prefect_database}"'))
            connection.execute(text(f'CREATE SCHEMA "{self.store_schema}"'))
        admin.dispose()
        self.seal = make_pkcs12(self.root)
        init = subprocess.run([str(BIN / "appraisal"), "init"], capture_output=True,
                              env=self.machine_env(self.root / "operator"), cwd=self.root)
        if init.returncode:
            raise RuntimeError(f"appraisal init failed: {init.stdout!r} {init.stderr!r}")
        self.start_prefect_server()
        operator = self.machine_env(self.root / "operator")
        deploy = subprocess.run([str(BIN / "appraisal"), "flows", "deploy", "--heartbeat",
                                 str(HEARTBEAT_SECONDS), "--dead-after",
                                 str(int(DEAD_AFTER.total_seconds()))],
                                capture_output=True, env=operator, cwd=self.root)
        if deploy.returncode:
            raise RuntimeError(f"appraisal flows deploy failed: {deploy.stdout!r} "
                               f"{deploy.stderr!r}")
        self.start("dask-scheduler", [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                                      "--port", str(self.dask_port), "--no-dashboard"],
                   operator, self.root)
        for index in (1, 2):
            self.start(f"dask-worker-{index}", [
                str(BIN / "dask"), "worker", f"tcp://127.0.0.1:{self.dask_port}",
                "--nthreads", "1", "--nworkers", "1", "--no-dashboard", "--name",
                f"dask-{index}"], self.machine_env(self.root / f"dask-{index}"),
                self.root / f"dask-{index}")
        for name in ("worker-a", "worker-b"):
            self.start_worker(name)
        for index, port in enumerate(self.portal_ports):
            env = {**self.machine_env(self.root / f"portal-{index}"),
                   "APPRAISAL_BASE_URL": f"http://127.0.0.1:{port}",
                   "APPRAISAL_SECRET_KEY": "one-key-for-every-portal"}
            self.start(f"portal-{index}", [str(BIN / "appraisal"), "portal", "--host",
                                           "127.0.0.1", "--port", str(port), "--workers", "1"],
                       env, self.root / f"portal-{index}")
        wait_until("two Dask workers joining", lambda: self.dask_workers() == 2, 120,
                   log=self.root / "dask-scheduler.log")
        wait_until("two Prefect workers online", lambda: len(self.online_workers()) == 2, 120,
                   log=self.root / "worker-a.log")

    def dask_workers(self) -> int:
        from distributed import Client

        with Client(f"tcp://127.0.0.1:{self.dask_port}", timeout="5s",
                    set_as_default=False) as client:
            return len(client.nthreads())

    def online_workers(self) -> list[str]:
        from prefect import get_client
        from prefect.client.schemas.filters import WorkerFilter, WorkerFilterStatus
        from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: self.api_url,
                                         PREFECT_API_AUTH_STRING: self.auth}), \
                get_client(sync_client=True) as client:
            workers = client.read_workers_for_work_pool(
                "appraisal", worker_filter=WorkerFilter(
                    status=WorkerFilterStatus(any_=["ONLINE"])))
        return [w.name for w in workers]

    def down(self) -> None:
        for name in list(self.parts):
            with _quiet():
                self.kill(name)
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{self.store_schema}" CASCADE'))
            connection.execute(text(
                f'DROP DATABASE IF EXISTS "{self.prefect_database}" WITH (FORCE)'))
        admin.dispose()


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, *_: Any) -> bool:
        return kind is not None and issubclass(kind, (psutil.Error, OSError, RuntimeError))


def stamp() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S")


# --- the year's work through the deployments

SIGNED = int(os.environ.get("APPRAISAL_SCALE_RECORDS", "150"))
OTHERS = 20  # appraisals left open, for the reminders


@dataclass
class Outcome:
    """What the scenario saw, for the test's assertions and the demo's summary."""

    sealed_ids: list[int] = field(default_factory=list)
    reminders_queued: int = 0
    killed_worker: str = ""
    killed_run_states: list[str] = field(default_factory=list)
    seal_runs_running: list[list[tuple[datetime, datetime]]] = field(default_factory=list)
    seal_run_final: list[str] = field(default_factory=list)
    schedules_after_shutdown: dict[str, bool] = field(default_factory=dict)
    portal_statuses: list[int] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def start_run(name: str, parameters: dict[str, Any] | None = None) -> Any:
    from prefect.deployments import run_deployment

    return run_deployment(name, parameters=parameters or {}, timeout=0)


def read_run(run_id: Any) -> Any:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id)


def run_states(run_id: Any) -> list[Any]:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return sorted(client.read_flow_run_states(run_id), key=lambda s: s.timestamp)


def finished(run_id: Any, timeout: float, log: Path) -> Any:
    return wait_until(f"flow run {run_id} finishing", lambda: (
        run if (run := read_run(run_id)).state and run.state.is_final() else None),
        timeout, log=log)


def running_spans(run_id: Any) -> list[tuple[datetime, datetime]]:
    states = run_states(run_id)
    spans = []
    for state, following in zip(states, [*states[1:], None], strict=True):
        if state.type.value == "RUNNING":
            spans.append((state.timestamp, following.timestamp if following
                          else datetime.now(UTC)))
    return spans


def sealed_count() -> int:
    from sqlalchemy import func, select

    from appraisal_store.models import Record
    from appraisal_store.sessions import read_session
    from appraisal_store.vocabulary import RecordStage

    with read_session() as session:
        return session.execute(select(func.count()).select_from(Record).where(
            Record.stage == RecordStage.COMPLETE)).scalar_one()


def queued_count() -> int:
    from sqlalchemy import func, select

    from appraisal_store.models import OutboxMessage
    from appraisal_store.sessions import read_session

    with read_session() as session:
        return session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()


def a_weekday_after(day: Any) -> Any:
    day += timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def run_scenario(stack: ScaleStack, say: Callable[[str], None] = print, *,
                 signed: int = SIGNED) -> Outcome:
    """Open, remind, send, restart the Prefect server, seal ``signed`` appraisals (killing a
    worker mid-seal), send again and shut the other worker down; the caller's settings
    point at ``stack``."""
    from appraisal_store.actors import Actor
    from appraisal_store.engines import engine
    from appraisal_store.services.cycles import open_cycles, resolve_dates
    from appraisal_store.sessions import write_session
    from bench import dataset
    from bench.records_bench import prepare_signed_appraisals

    outcome = Outcome()
    began = time.monotonic()
    data = dataset.load(engine(), signed + OTHERS)
    with write_session() as session:
        open_cycles(session=session, actor=Actor.system("scale demo"), year=dataset.YEAR,
                    organisation_codes=data.organisations, dates=resolve_dates(dataset.YEAR),
                    today=dataset.OPENED_ON)
    say(f"{stamp()} opened the {dataset.YEAR} cycle for {signed + OTHERS} board members")
    reminders_day = a_weekday_after(resolve_dates(dataset.YEAR).self_assessment_due)
    queued_before = queued_count()
    run = finished(start_run("daily-reminders/daily-reminders",
                             {"today": reminders_day.isoformat()}).id, 180,
                   stack.root / "worker-a.log")
    outcome.reminders_queued = queued_count() - queued_before
    say(f"{stamp()} reminders for {reminders_day}: {run.state.name}")
    run = finished(start_run("send-outbox/send-outbox").id, 180, stack.root / "worker-a.log")
    say(f"{stamp()} outbox: {run.state.name}; {len(stack.smtp.mailbox.keys())} emails so far")
    outcome.seconds["open, remind, send"] = time.monotonic() - began

    say(f"{stamp()} killing the Prefect server and starting it again")
    stack.kill("prefect-server")
    stack.start_prefect_server()
    wait_until("two Prefect workers online again", lambda: len(stack.online_workers()) == 2,
               120, log=stack.root / "worker-a.log")

    ids = prepare_signed_appraisals(engine(), signed)
    outcome.sealed_ids = ids
    began = time.monotonic()
    runs = [start_run("seal-records/seal-records").id for _ in range(2)]
    say(f"{stamp()} {signed} appraisals signed by both parties; two sealing runs asked for")
    first_running = wait_until("a sealing run sealing", lambda: next(
        (run_id for run_id in runs if sealed_count() >= 10
         and (run := read_run(run_id)).state.is_running() and run.infrastructure_pid), None),
        240, log=stack.root / "worker-a.log")
    pid = int(str(read_run(first_running).infrastructure_pid).rpartition(":")[2])
    outcome.killed_worker = next(
        name for name, part in stack.parts.items() if name.startswith("worker-")
        and pid in {c.pid for c in psutil.Process(part.process.pid).children(recursive=True)})
    say(f"{stamp()} {sealed_count()} sealed; killing {outcome.killed_worker} "
        f"and its flow run (pid {pid})")
    stack.kill(outcome.killed_worker)
    for run_id in runs:
        run = finished(run_id, 300, stack.root / "worker-b.log")
        outcome.seal_run_final.append(run.state.type.value)
        outcome.seal_runs_running.append(running_spans(run_id))
    outcome.killed_run_states = [state.name for state in run_states(first_running)]
    outcome.seconds["seal with a worker killed"] = time.monotonic() - began
    say(f"{stamp()} sealing runs {outcome.seal_run_final}; the killed one went "
        f"{' -> '.join(outcome.killed_run_states)}")

    survivor = next(name for name in ("worker-a", "worker-b") if name in stack.parts)
    run = finished(start_run("send-outbox/send-outbox").id, 180, stack.root / f"{survivor}.log")
    say(f"{stamp()} outbox: {run.state.name}; {len(stack.smtp.mailbox.keys())} emails in all")

    stack.kill(survivor, signal.SIGTERM)  # a routine restart of the last worker
    from prefect import get_client

    with get_client(sync_client=True) as client:
        for name in ("daily-reminders/daily-reminders", "send-outbox/send-outbox",
                     "seal-records/seal-records"):
            deployment = client.read_deployment_by_name(name)
            outcome.schedules_after_shutdown[name] = not deployment.paused and all(
                schedule.active for schedule in deployment.schedules)
    for port in stack.portal_ports:
        outcome.portal_statuses.append(wait_until(
            f"the portal on port {port}", lambda port=port: httpx.get(
                f"http://127.0.0.1:{port}/sign-in", timeout=5).status_code, 60))
    return outcome


def main() -> None:
    """``make scale-demo``: the whole scenario, narrated, then everything removed."""
    import tempfile

    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    from appraisal_store import config, engines
    from tests.flows.conftest import SmtpServer

    smtp = SmtpServer(free_port())
    smtp.start()
    with tempfile.TemporaryDirectory(prefix="scale-demo-") as folder:
        stack = ScaleStack(Path(folder))
        try:
            print(f"{stamp()} starting the deployment under {folder} (logs there) ...")
            stack.up(smtp=smtp)
            for key, value in stack.machine_env(Path(folder) / "demo-home").items():
                if key.startswith("APPRAISAL_"):
                    os.environ[key] = value
            config.settings.cache_clear()
            engines.reset_engines()
            with temporary_settings(updates={PREFECT_API_URL: stack.api_url,
                                             PREFECT_API_AUTH_STRING: stack.auth}):
                outcome = run_scenario(stack)
            print(f"{stamp()} {len(outcome.sealed_ids)} records sealed, "
                  f"{len(smtp.mailbox.keys())} emails delivered; schedules after the last "
                  f"worker stopped: {outcome.schedules_after_shutdown}")
        finally:
            engines.reset_engines()
            stack.down()
            smtp.stop()


if __name__ == "__main__":
    main()
