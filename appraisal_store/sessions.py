"""Sessions on the store: for reading, for writing, and for writing among many writers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.engine import Engine, Result
from sqlmodel import Session

from .clock import act_at
from .engines import engine
from .sqlite_pragmas import IMMEDIATE
from .sqlite_write_queue import write_turn


@contextmanager
def write_session(bind: Engine | None = None, *, now: datetime | None = None
                  ) -> Iterator[Session]:
    """A transaction for changes: committed at the end, rolled back on any error.

    Args:
        bind: The engine; the process's by default.
        now: The moment the changes act at (``clock.moment_of``); the clock's by default.
    """
    bound = (bind or engine()).execution_options(**{IMMEDIATE: True})
    with Session(bound, expire_on_commit=False) as session:
        act_at(session, now)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def queued_write_session(bind: Engine | None = None, *, now: datetime | None = None
                         ) -> Iterator[Session]:
    """``write_session`` for a writer among many: on SQLite it waits for its turn in a
    queue (``sqlite_write_queue``) instead of in SQLite's busy handler. Not to be nested
    in another write session of the same thread (nor can a write session on SQLite be)."""
    bound = bind or engine()
    with write_turn(bound), write_session(bound, now=now) as session:
        yield session


@contextmanager
def read_session(bind: Engine | None = None, *, now: datetime | None = None
                 ) -> Iterator[Session]:
    """A session for reading; nothing it does is committed. ``now``: the moment its
    judgements of time (who is in post today, what is overdue) are made at."""
    with Session(bind or engine(), expire_on_commit=False) as session:
        act_at(session, now)
        yield session


def run_columns(session: Session, statement: Executable,
                parameters: dict[str, Any] | None = None) -> Result[Any]:
    """Run a statement that loads no ORM entity on the session's connection.

    ``Session.execute`` takes every statement through the ORM's execution path, which costs
    more than SQLite takes to run a small indexed query, and is paid on every page. A
    statement of plain columns gains nothing from it. Pending changes are flushed first, as
    the ORM's autoflush would.
    """
    session.flush()
    return session.connection().execute(statement, parameters or {})

