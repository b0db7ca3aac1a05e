"""The deployments, registered once per release on a work pool or served by ``appraisal serve``.

Reminders run every day at 08:00 Europe/London (Prefect's cron follows the clock change);
the outbox every 5 minutes; sealing every 15. Each deployment runs one flow run at a time
across every worker (a deployment concurrency limit of 1, kept by the Prefect server), and
names its flow by module path (``flows.sealing:seal_records``), so a worker loads it from
the installed package whatever its working directory.

Two ways to run them:

- ``deploy_deployments`` (``appraisal flows deploy``) registers them on the ``appraisal``
  process work pool, with an automation that puts back on the schedule any run whose
  worker died (no heartbeat for ``dead_after``); ``appraisal flows worker`` on each
  machine runs what the pool schedules.
- ``serve_stack`` (``appraisal serve``), the embedded default on one machine: a local
  Prefect server when ``PREFECT_API_URL`` is unset, the portal beside it, and the
  deployments served here until interrupted. Stopping it leaves the schedules active.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx

from appraisal_store.errors import DeploymentError

log = logging.getLogger(__name__)
REMINDERS_CRON = "0 8 * * *"
TIMEZONE = "Europe/London"
OUTBOX_EVERY = timedelta(minutes=5)
SEALING_EVERY = timedelta(minutes=15)
LOCAL_PREFECT_PORT = 4200
WORK_POOL = "appraisal"
# Every deployed run carries this tag; the rescheduling automation watches only them.
TAG = "appraisal"
# Prefect's least heartbeat interval; a run silent for three of them has lost its worker.
HEARTBEAT_SECONDS = 30
DEAD_AFTER = timedelta(seconds=3 * HEARTBEAT_SECONDS)
RESCHEDULE_AUTOMATION = "appraisal: reschedule the runs of dead workers"
RESCHEDULED = "Rescheduled"
# What every flow run's process needs set: the flows keep their results in the store, so
# Prefect must not persist them too.
RUN_ENVIRONMENT = {"PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false"}


def deployments(*, heartbeat_seconds: int | None = None) -> list[Any]:
    """The runner deployments: daily reminders, the outbox and record sealing.

    Args:
        heartbeat_seconds: For a work pool: each run sends Prefect a heartbeat this often
            and carries the tag the rescheduling automation watches. Unset (served), runs
            carry neither: Prefect's default heartbeat is slower than the automation's
            patience, so it must never see them. Served runs carry no job variables
            either (Prefect accepts them only on a work pool): they inherit the serving
            process's environment, which ``serve_deployments`` sets.
    """
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron, Interval
    from prefect.types.entrypoint import EntrypointType

    from .outbox import send_outbox
    from .reminder_sweep import daily_reminders
    from .sealing import seal_records

    tags = []
    job_variables: dict[str, Any] = {}
    if heartbeat_seconds:
        env = dict(RUN_ENVIRONMENT,
                   PREFECT_FLOWS_HEARTBEAT_FREQUENCY=str(heartbeat_seconds))
        job_variables["env"] = env
        tags.append(TAG)
    # One run at a time across every worker; a run due while another holds the slot waits
    # for it (each flow is a sweep that is safe to repeat, so a wait costs nothing).
    one_at_a_time = ConcurrencyLimitConfig(limit=1,
                                           collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)
    common: dict[str, Any] = {
        "concurrency_limit": one_at_a_time, "tags": tags, "job_variables": job_variables,
        "entrypoint_type": EntrypointType.MODULE_PATH,
    }
    return [
        daily_reminders.to_deployment(
            name="daily-reminders", schedules=[Cron(REMINDERS_CRON, timezone=TIMEZONE)],
            description="Reminders and escalations, each once per appraisal, deadline and "
                        "due date; nothing on weekends and English bank holidays.", **common),
        send_outbox.to_deployment(
            name="send-outbox", schedules=[Interval(OUTBOX_EVERY, timezone=TIMEZONE)],
            description="Send due messages once; failures back off and stay queued.",
            **common),
        seal_records.to_deployment(
            name="seal-records", schedules=[Interval(SEALING_EVERY, timezone=TIMEZONE)],
            description="Seal records both parties signed and tell the appraisee, the "
                        "appraiser and the company secretary.", **common),
    ]


def serve_deployments() -> None:
    """Register the deployments and run their schedules here until interrupted.

    ``pause_on_shutdown=False``: Prefect's ``serve`` would otherwise pause every schedule
    when this process stops, and a routine restart would stop the year's work for anyone
    else running them.
    """
    from prefect import serve

    os.environ.update(RUN_ENVIRONMENT)  # the served runs' processes inherit it
    serve(*deployments(), pause_on_shutdown=False)


def ensure_work_pool(name: str = WORK_POOL) -> None:
    """Create the process work pool ``name`` unless it exists (its settings are kept)."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(
                name=name, type=ProcessWorker.type,
                base_job_template=ProcessWorker.get_default_base_job_template()))
        except ObjectAlreadyExists:
            pass


def reschedule_automation(dead_after: timedelta = DEAD_AFTER) -> Any:
    """The automation that puts a run whose worker died back on the schedule.

    Prefect's own recipe for zombie runs (a heartbeat not followed, within ``dead_after``,
    by another heartbeat or a final state), with one change: the run goes back to
    Scheduled rather than to Crashed, so that a live worker picks it up. Forcing it out
    of Running also frees its deployment's concurrency slot. Every flow here is safe to
    repeat: what the dead run finished is skipped.
    """
    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    return Automation(
        name=RESCHEDULE_AUTOMATION,
        description=f"Runs of the {TAG!r} deployments silent for {dead_after} lost their "
                    "worker: reschedule them.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", "prefect.flow-run.Completed",
                    "prefect.flow-run.Failed", "prefect.flow-run.Cancelled",
                    "prefect.flow-run.Crashed", "prefect.flow-run.Scheduled"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            match_related=ResourceSpecification({"prefect.resource.id": f"prefect.tag.{TAG}",
                                                 "prefect.resource.role": "tag"}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive, threshold=1, within=dead_after),
        actions=[ChangeFlowRunState(
            state=StateType.SCHEDULED, name=RESCHEDULED, force=True,
            message=f"No heartbeat for {dead_after}: its worker is gone; rescheduled.")],
    )


def deploy_deployments(*, work_pool: str = WORK_POOL,
                       heartbeat_seconds: int = HEARTBEAT_SECONDS,
                       dead_after: timedelta = DEAD_AFTER) -> list[UUID]:
    """Register the deployments on the process work pool ``work_pool`` (created if need
    be) and the rescheduling automation; run once per release. Safe to repeat.

    Raises:
        DeploymentError: ``PREFECT_API_URL`` is unset, the server does not answer or
            refuses us, or ``dead_after`` is not longer than the heartbeat interval.
    """
    from prefect import get_client
    from prefect.exceptions import PrefectHTTPStatusError

    api_url = shared_api_url()
    if heartbeat_seconds < HEARTBEAT_SECONDS:
        raise DeploymentError(f"The heartbeat interval ({heartbeat_seconds} s) must be at "
                              f"least Prefect's least, {HEARTBEAT_SECONDS} s.")
    if dead_after.total_seconds() <= heartbeat_seconds:
        raise DeploymentError(f"The time after which a silent run is rescheduled "
                              f"({dead_after}) must exceed the heartbeat interval "
                              f"({heartbeat_seconds} s).")
    try:
        ensure_work_pool(work_pool)
        ids = [deployment.apply(work_pool_name=work_pool)
               for deployment in deployments(heartbeat_seconds=heartbeat_seconds)]
        with get_client(sync_client=True) as client:
            for existing in client.read_automations_by_name(RESCHEDULE_AUTOMATION):
                client.delete_automation(existing.id)
        reschedule_automation(dead_after).create()
    except PrefectHTTPStatusError as error:
        status = error.response.status_code
        why = ("refused our credentials: check PREFECT_API_AUTH_STRING"
               if status in (401, 403) else f"answered {status}")
        raise DeploymentError(f"The Prefect server at {api_url} {why}.") from error
    except (httpx.HTTPError, OSError) as error:
        raise DeploymentError(f"The Prefect server at {api_url} does not answer "
                              f"({error.__class__.__name__}).") from error
    return ids


def shared_api_url() -> str:
    """The shared Prefect server's API URL.

    Raises:
        DeploymentError: ``PREFECT_API_URL`` is unset: deployments and workers live on a
            shared server, never on a temporary one that ends with this process.
    """
    from prefect.settings import PREFECT_API_URL

    api_url = PREFECT_API_URL.value()
    if not api_url:
        raise DeploymentError(
            "PREFECT_API_URL is not set: deployments and workers need the shared Prefect "
            "server (e.g. PREFECT_API_URL=http://10.0.0.20:4200/api); for one machine, "
            "use `appraisal serve`.")
    return str(api_url)


def worker_command(*, work_pool: str = WORK_POOL, name: str | None = None,
                   limit: int | None = None) -> list[str]:
    """``prefect worker start`` for the process work pool, from this environment."""
    prefect = os.path.join(os.path.dirname(sys.executable), "prefect")
    command = [prefect, "worker", "start", "--pool", work_pool, "--type", "process"]
    if name:
        command += ["--name", name]
    if limit:
        command += ["--limit", str(limit)]
    return command


def worker_environment() -> dict[str, str]:
    """This environment as a worker hands it to its flow runs: ``APPRAISAL_HOME`` made
    absolute, since each run starts in a temporary directory of its own.

    Raises:
        DeploymentError: ``PREFECT_API_URL`` is unset (a worker needs the shared server).
    """
    from appraisal_store.config import settings

    shared_api_url()
    return {**os.environ, "APPRAISAL_HOME": str(settings().home.resolve())}


def run_worker(*, work_pool: str = WORK_POOL, name: str | None = None,
               limit: int | None = None) -> None:
    """Become a Prefect process worker on ``work_pool`` (this process is replaced, so
    signals reach Prefect's worker directly).

    Raises:
        DeploymentError: as ``worker_environment``.
    """
    env = worker_environment()
    command = worker_command(work_pool=work_pool, name=name, limit=limit)
    os.execve(command[0], command, env)


def _healthy(api_url: str) -> bool:
    try:
        return httpx.get(f"{api_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def local_prefect_server(port: int = LOCAL_PREFECT_PORT, timeout: float = 90) -> Iterator[str]:
    """A ``prefect server start`` subprocess on loopback; yields its API URL.

    Raises:
        RuntimeError: the server did not answer within ``timeout`` seconds.
    """
    api_url = f"http://127.0.0.1:{port}/api"
    if _healthy(api_url):  # already running (e.g. a second ``appraisal serve``)
        yield api_url
        return
    prefect = os.path.join(os.path.dirname(sys.executable), "prefect")
    server = subprocess.Popen([prefect, "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(api_url):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The Prefect server did not start on port {port}.")
            time.sleep(0.5)
        yield api_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


def serve_stack(*, start_companions: Callable[[], object] | None = None) -> None:
    """The embedded stack in the foreground until interrupted: a Prefect server (unless
    PREFECT_API_URL is set), then ``start_companions`` (the command line starts the portal
    there, once the API address is known), then the deployments."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        if start_companions:
            start_companions()
        serve_deployments()
        return
    with local_prefect_server() as api_url:
        os.environ["PREFECT_API_URL"] = api_url  # for the flow runs and the portal
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            if start_companions:
                start_companions()
            serve_deployments()
