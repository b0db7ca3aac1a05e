"""Running the portal under uvicorn: one process per core by default.

Sessions, sign-in tokens and rate limits live in the store, so any worker can answer any
request; several workers let the portal use every core (one Python process runs Python on
one core at a time).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

APP_FACTORY = "portal.server:create_served_app"
GIL_SWITCH_INTERVAL_SQLITE = 0.001  # seconds; elsewhere the interpreter's own


def default_workers() -> int:
    """One worker process per CPU the portal may use (affinity and cgroup quota)."""
    from appraisal_store.cpus import usable_cpus

    return usable_cpus()


def uvicorn_options(*, host: str, port: int, workers: int | None) -> dict[str, object]:
    """What ``uvicorn.run`` is given for the portal (workers ``None`` or 0: one per core).

    Uvicorn's own reading of ``X-Forwarded-For`` is off: by default it believes any local
    peer, and the portal has one rule for whose address a request is, the trusted proxies
    of ``APPRAISAL_TRUSTED_PROXIES`` (``portal.client_address``).
    """
    return {"host": host, "port": port, "workers": workers or default_workers(),
            "factory": True, "log_level": "info", "proxy_headers": False}


def run_portal(*, host: str, port: int, workers: int | None = None) -> None:
    """Serve the portal in the foreground until interrupted.

    Args:
        host: Address to listen on.
        port: Port to listen on.
        workers: Worker processes (None or 0: one per core). Each imports the app afresh
            (``portal.app:create_app``), so nothing built in this process is shared.
    """
    import uvicorn

    from .assets import require_assets

    require_assets()  # fetched at install, never here
    uvicorn.run(APP_FACTORY, **uvicorn_options(host=host, port=port,  # type: ignore[arg-type]
                                                workers=workers))



def gil_switch_interval(database_url: str) -> float | None:
    """How often a page thread is made to hand the GIL on, for the store at ``database_url``
    (None: the interpreter's default).

    On SQLite, 1 ms: a page thread that holds the store's write turn and waits for the GIL
    after each SQLite call would hold the turn, and every writer behind it, that much
    longer. On PostgreSQL there is no such turn (locks are the server's, and the audit
    chain's head is taken and let go within one statement), and forced hand-overs, among
    page threads that each give the GIL up at every round trip, cost the workers CPU a
    request and the throughput with it (bench/FINDINGS.md).
    """
    from sqlalchemy.engine import make_url

    if make_url(database_url).get_backend_name() == "sqlite":
        return GIL_SWITCH_INTERVAL_SQLITE
    return None


def create_served_app() -> FastAPI:
    """The portal as ``appraisal portal`` serves it (the uvicorn factory of every worker)."""
    from appraisal_store.config import settings

    from .app import create_app

    interval = gil_switch_interval(settings().database)
    if interval is not None:
        sys.setswitchinterval(interval)
    return create_app()
