"""The portal's sessions on the store: short ones, on an engine that keeps its connections.

A page reads in a read session (on SQLite a plain ``BEGIN``, which takes no lock; on
PostgreSQL no transaction at all, see ``_read_engine``) and only what changes something
opens a write session, kept as short as the change itself.

On SQLite a write session holds the database's single write lock. A writer that finds it
taken is left to SQLite's busy handler, which sleeps in growing steps (up to 100 ms at a
time) and polls, so under load a page waits far longer than the lock is held. The portal's
writers therefore queue for their turn (a lock in the process, and an advisory file lock
across the worker processes) and each is woken as soon as the one before it finishes.
The queue is an optimisation, not what keeps the data safe: SQLite's own lock still does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import IO

from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from appraisal_store import database
from appraisal_store.config import settings

try:
    import fcntl
except ImportError:  # not on a POSIX system: the in-process queue alone
    fcntl = None  # type: ignore[assignment]

_turn_in_process = threading.Lock()
_turn_files: dict[Path, IO[bytes]] = {}


@contextmanager
def _sqlite_write_turn(path: Path) -> Iterator[None]:
    with _turn_in_process:
        if fcntl is None:
            yield
            return
        handle = _turn_files.get(path)
        if handle is None:
            handle = _turn_files[path] = path.open("ab")
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_turn() -> AbstractContextManager[None]:
    url = make_url(settings().database)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return nullcontext()
    return _sqlite_write_turn(Path(f"{url.database}.portal-writers"))


_read_engines: dict[Engine, Engine] = {}


def _read_engine() -> Engine:
    """The engine of read sessions.

    On PostgreSQL it runs in autocommit. The portal reads under READ COMMITTED, where every
    statement takes a snapshot of its own whether or not a transaction surrounds it, so a
    transaction would add nothing but its BEGIN and ROLLBACK: two round trips a session,
    a fifth of a page's. On SQLite the read transaction is kept: there it is what gives the
    page's statements one snapshot.
    """
    pooled = database.pooled_engine()
    if pooled not in _read_engines:
        _read_engines[pooled] = (pooled if pooled.dialect.name == "sqlite"
                                 else pooled.execution_options(isolation_level="AUTOCOMMIT"))
    return _read_engines[pooled]


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reading; nothing it does is committed."""
    with database.read_session(_read_engine()) as session:
        yield session


@contextmanager
def write_session() -> Iterator[Session]:
    """A transaction for changes: committed at the end, rolled back on any error.

    Keep it short: on SQLite every other writer of the portal waits for it.
    """
    with _write_turn(), database.write_session(database.pooled_engine()) as session:
        yield session
