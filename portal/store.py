"""The portal's sessions on the store: short ones, on an engine that keeps its connections.

A page reads in a read session (on SQLite a plain ``BEGIN``, which takes no lock) and only
what changes something opens a write session, kept as short as the change itself.

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

from sqlalchemy.engine import make_url
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


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reading; nothing it does is committed."""
    with database.read_session(database.pooled_engine()) as session:
        yield session


@contextmanager
def write_session() -> Iterator[Session]:
    """A transaction for changes: committed at the end, rolled back on any error.

    Keep it short: on SQLite every other writer of the portal waits for it.
    """
    with _write_turn(), database.write_session(database.pooled_engine()) as session:
        yield session
