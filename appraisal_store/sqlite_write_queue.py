"""The queue of writers on one SQLite file, across threads and processes.

On SQLite a write session holds the database's single write lock. A writer that finds it
taken is left to SQLite's busy handler, which sleeps in growing steps (up to 100 ms at a
time) and polls, so under load a writer waits far longer than the lock is held. Writers
that expect company (the portal's workers, the sealing workers) queue for their turn
instead: a lock in the process and an advisory file lock across processes, each woken as
soon as the one before it finishes. The queue is an optimisation, not what keeps the data
safe: SQLite's own lock still does.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import Engine

try:
    import fcntl
except ImportError:  # not on a POSIX system: the in-process queue alone
    fcntl = None  # type: ignore[assignment]  # the module or None, tested before each use

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


def write_turn(bind: Engine) -> AbstractContextManager[None]:
    """Wait for this writer's turn on ``bind``'s SQLite file; nothing to wait for elsewhere."""
    url = bind.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return nullcontext()
    return _sqlite_write_turn(Path(f"{url.database}.writers"))


# What a forked child inherited and must never use nor close (see _start_afresh_after_fork).
_inherited: list[Any] = []


def _start_afresh_after_fork() -> None:
    """In a forked child, start with a write queue of its own.

    The queue's file handle shares its lock with the parent's (one open file), and the
    in-process lock may have been held by a thread that does not exist in the child. The
    inherited handles are kept referenced, never closed, for the child's life.
    """
    global _turn_in_process
    _inherited.append(dict(_turn_files))
    _turn_files.clear()
    _turn_in_process = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_start_afresh_after_fork)
