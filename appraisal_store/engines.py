"""The process's engines: SQLite (WAL) by default, PostgreSQL when configured.

A forked child starts with no engines of its own (see :func:`_start_afresh_after_fork`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import NullPool, QueuePool
from sqlmodel import create_engine

from .config import settings
from .sqlite_pragmas import configure_sqlite


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with the settings this project relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=kwargs.pop("poolclass", NullPool),
            **kwargs,
        )
        configure_sqlite(engine)
        return engine
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


# A pooled connection used within this many seconds is taken as alive without a ping.
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it has been idle a while.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip per session, a
    quarter of a portal page's on PostgreSQL. A connection checked in moments ago is
    almost surely alive; one idle for longer (a restart of the server, a dropped
    connection) is pinged, and replaced if the ping fails. A connection that dies within
    the idle window fails its next statement once; SQLAlchemy then discards the pool.
    """

    @event.listens_for(engine, "checkin")
    def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is not None and (
                time.monotonic() - checked_in_at < PING_AFTER_IDLE_SECONDS):
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute(";")
            cursor.close()
            dbapi_connection.rollback()  # the driver began a transaction for the ping
        except Exception as error:  # noqa: BLE001 - any failure: the pool opens a new one
            raise DisconnectionError(str(error)) from error


_engines: dict[str, Engine] = {}

# A check of the store run once, before the first engine of this process is made: the
# command line sets it (``check_store_before_use``) so a command on a missing, old or
# foreign store fails with one sentence before it starts, and after its arguments parsed.
_store_check: list[Callable[[], object]] = []


def check_store_before_use(check: Callable[[], object] | None) -> None:
    """Run ``check`` (it raises to refuse) before the first engine is made; None: none."""
    _store_check.clear()
    if check is not None:
        _store_check.append(check)


def _run_store_check() -> None:
    if _store_check:
        _store_check.pop()()  # cleared first: the check itself may make the engine


def engine() -> Engine:
    """The process-wide engine for the configured database."""
    url = settings().database
    if url not in _engines:
        _run_store_check()
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def pooled_engine() -> Engine:
    """The process-wide engine for a long-lived process that opens many short sessions
    (the portal, a sealing worker).

    On SQLite the default engine opens a connection per session (no connection ever outlives
    a short command or crosses a fork); opening one and setting its pragmas is a large share
    of a page's work. This engine keeps its connections. Elsewhere it is
    ``engine()``, which pools already.
    """
    url = settings().database
    key = f"pooled:{url}"
    if key not in _engines:
        _run_store_check()
    if key not in _engines:
        _engines[key] = (make_engine(url, poolclass=QueuePool, pool_size=10, max_overflow=30)
                         if make_url(url).get_backend_name() == "sqlite" else engine())
    return _engines[key]


def reset_engines() -> None:
    """Forget cached engines (after the configuration changed, e.g. in tests)."""
    for cached in _engines.values():
        cached.dispose()
    _engines.clear()


# What a forked child inherited and must never use nor close (see _start_afresh_after_fork).
_inherited: list[Any] = []


def _start_afresh_after_fork() -> None:
    """In a child forked from this process, start with no engines (``multiprocessing``
    forks by default on Linux before Python 3.14).

    The inherited connections belong to the parent, which goes on using them: a statement
    from the child would interleave with the parent's on the same socket or SQLite handle,
    and closing one would end the parent's PostgreSQL session (libpq says goodbye to the
    server). So they are kept referenced, never closed, for the child's life.
    """
    _inherited.append(dict(_engines))
    _engines.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_start_afresh_after_fork)
