"""The portal's sessions on the store: short ones, on an engine that keeps its connections.

A page reads in a read session (on SQLite a plain ``BEGIN``, which takes no lock; on
PostgreSQL no transaction at all, see ``_read_engine``) and only what changes something
opens a write session, kept as short as the change itself.

On SQLite the portal's writers queue for their turn across the worker processes
(``appraisal_store.sessions.queued_write_session``) instead of sleeping in SQLite's busy
handler.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from appraisal_store import engines, sessions
from appraisal_store.actors import Actor
from appraisal_store.follow_ups import take_follow_ups
from appraisal_store.models import Appraisal
from appraisal_store.services.content_views import (
    record_content_view,
    record_content_view_alone,
)

from . import follow_ups

_read_engines: dict[Engine, Engine] = {}


def _read_engine() -> Engine:
    """The engine of read sessions.

    On PostgreSQL it runs in autocommit. The portal reads under READ COMMITTED, where every
    statement takes a snapshot of its own whether or not a transaction surrounds it, so a
    transaction would add nothing but its BEGIN and ROLLBACK: two round trips a session,
    a large share of a page's. On SQLite the read transaction is kept: there it is what gives the
    page's statements one snapshot.
    """
    pooled = engines.pooled_engine()
    if pooled not in _read_engines:
        _read_engines[pooled] = (pooled if pooled.dialect.name == "sqlite"
                                 else pooled.execution_options(isolation_level="AUTOCOMMIT"))
    return _read_engines[pooled]


@contextmanager
def read_session(*, now: datetime | None = None) -> Iterator[Session]:
    """A session for reading, judging time at ``now`` (the clock's by default); nothing it
    does is committed."""
    with sessions.read_session(_read_engine(), now=now) as session:
        yield session


@contextmanager
def unit_of_work(*, now: datetime | None = None) -> Iterator[Session]:
    """The portal's transaction for a change: committed at the end, rolled back on any error.

    Not ``appraisal_store.sessions.write_session``: on SQLite it first waits for the
    portal's writer turn (``queued_write_session``), and what the change queued or signed
    is handed on once it committed (``portal.follow_ups``). Keep it short: on SQLite every
    other writer of the portal waits for it. Call services inside it; never add, update
    or delete through the session here. ``now``: the moment the change acts at (the
    clock's by default).
    """
    with sessions.queued_write_session(engines.pooled_engine(), now=now) as session:
        yield session
        noted = take_follow_ups(session)
    follow_ups.hand_over(noted)


@dataclass(frozen=True)
class RequestStore:
    """The store as one request sees it: its sessions act at the request's moment (the
    ``Now`` dependency), so a test that overrides the clock moves every stamp and every
    judgement of "today" the request makes."""

    now: datetime

    def read(self) -> AbstractContextManager[Session]:
        """A read session (see :func:`read_session`)."""
        return read_session(now=self.now)

    def unit_of_work(self) -> AbstractContextManager[Session]:
        """The request's transaction for a change (see :func:`unit_of_work`)."""
        return unit_of_work(now=self.now)


def record_view_alone(actor: Actor, appraisal: Appraisal, page: str, *, now: datetime) -> None:
    """Audit one view of the appraisal's content, seen at ``now``, in a transaction of its
    own (nothing else changes).

    On PostgreSQL it is one statement in autocommit on the read engine
    (``record_content_view_alone``); elsewhere, or when that cannot be done, a unit of
    work of its own.
    """
    engine = _read_engine()
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            if record_content_view_alone(connection=connection, actor=actor,
                                         appraisal=appraisal, page=page, now=now):
                return
    with unit_of_work(now=now) as session:
        record_content_view(session=session, actor=actor, appraisal=appraisal, page=page)
