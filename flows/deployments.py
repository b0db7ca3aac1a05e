"""The deployments Prefect serves, and the embedded stack behind ``appraisal serve``.

Reminders run every day at 08:00 Europe/London (Prefect's cron follows the clock change);
the outbox every 5 minutes; sealing every 15. ``serve_stack`` starts a local Prefect
server when ``PREFECT_API_URL`` is unset, what the caller starts beside it (the portal),
and serves the deployments in the foreground until interrupted.
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

import httpx

log = logging.getLogger(__name__)
REMINDERS_CRON = "0 8 * * *"
TIMEZONE = "Europe/London"
OUTBOX_EVERY = timedelta(minutes=5)
SEALING_EVERY = timedelta(minutes=15)
LOCAL_PREFECT_PORT = 4200


def deployments() -> list[Any]:
    """The runner deployments: daily reminders, the outbox and record sealing."""
    from prefect.schedules import Cron, Interval

    from .outbox import send_outbox
    from .reminder_sweep import daily_reminders
    from .sealing import seal_records

    return [
        daily_reminders.to_deployment(
            name="daily-reminders", schedules=[Cron(REMINDERS_CRON, timezone=TIMEZONE)],
            description="Reminders and escalations, each once per appraisal, deadline and "
                        "due date; nothing on weekends and English bank holidays."),
        send_outbox.to_deployment(
            name="send-outbox", schedules=[Interval(OUTBOX_EVERY, timezone=TIMEZONE)],
            description="Send due messages once; failures back off and stay queued."),
        seal_records.to_deployment(
            name="seal-records", schedules=[Interval(SEALING_EVERY, timezone=TIMEZONE)],
            description="Seal records both parties signed and tell the appraisee, the "
                        "appraiser and the company secretary."),
    ]


def serve_deployments() -> None:
    """Register the deployments and run their schedules here until interrupted."""
    from prefect import serve

    serve(*deployments())


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
