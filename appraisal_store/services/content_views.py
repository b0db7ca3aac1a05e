"""Views of appraisal content, from every door: audited when they happen, logged when refused.

A view that shows content (a portal page, a record downloaded or exported at the command
line) is a ``content_viewed`` event on the audit chain, written before the content leaves
the store. A refused attempt to reach content changes nothing, so it is not chained: it is
a line in ``APPRAISAL_HOME/logs/access.log`` (the ``appraisal.access`` logger) saying who
tried, what, and when.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import PendingEvent, record_event_alone, record_events
from ..config import settings
from ..errors import NotFound
from ..models import Appraisal

CONTENT_VIEWED = "content_viewed"
ACCESS_LOGGER = "appraisal.access"


def content_view(appraisal: Appraisal, page: str) -> PendingEvent:
    """The audit event of one view of the appraisal's content.

    Args:
        appraisal: The appraisal whose content is shown (its revision is recorded).
        page: What showed it: a portal page ("review", "record") or a command
            ("records export").
    """
    return PendingEvent(CONTENT_VIEWED, "appraisal", appraisal.id or 0,
                        appraisal.organisation_id, {"page": page, "revision": appraisal.revision})


def record_content_view(*, session: Session, actor: Actor, appraisal: Appraisal,
                        page: str) -> None:
    """Audit one view of the appraisal's content (an appraisal in hand) in the session's
    transaction; commit it before the content is shown."""
    record_events(session, actor, [content_view(appraisal, page)])


def record_content_view_alone(*, connection: Connection, actor: Actor, appraisal: Appraisal,
                              page: str, now: datetime) -> bool:
    """Audit one view of the appraisal's content as a transaction of its own, if the
    connection can: one statement on a PostgreSQL connection in autocommit, so the chain's
    head is locked only inside the server, never while a round trip travels (every audited
    request queues for it).

    Returns:
        False, with nothing written, where it cannot (SQLite, a connection in a
        transaction, a chain without its head row): audit it with
        :func:`record_content_view` in a transaction instead.
    """
    return record_event_alone(connection, actor, content_view(appraisal, page), now=now)


def record_content_views(*, session: Session, actor: Actor, appraisal_ids: Iterable[int],
                         page: str) -> None:
    """Audit one view of each appraisal's content in the session's transaction.

    Commit it before the content is shown or written anywhere.

    Raises:
        NotFound: an id names no appraisal (nothing is recorded).
    """
    wanted = sorted(set(appraisal_ids))
    if not wanted:
        return
    found = {a.id: a for a in session.execute(select(Appraisal).where(
        col(Appraisal.id).in_(wanted))).scalars()}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(f"There is no appraisal {missing[0]}.")
    record_events(session, actor, [content_view(found[i], page) for i in wanted])


class _AccessLogFile(logging.Handler):
    """Appends each record to ``APPRAISAL_HOME/logs/access.log``, opened per record.

    Refusals are rare, so the file is not held open: each line goes to the home configured
    at that moment, and worker processes forked by the portal share nothing.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            folder = settings().home / "logs"
            folder.mkdir(parents=True, exist_ok=True)
            with (folder / "access.log").open("a", encoding="utf-8") as handle:
                handle.write(self.format(record) + "\n")
        except Exception:  # noqa: BLE001 - logging must never break the request it logs
            self.handleError(record)


access_log = logging.getLogger(ACCESS_LOGGER)
access_log.setLevel(logging.INFO)
if not any(isinstance(h, _AccessLogFile) for h in access_log.handlers):
    access_log.addHandler(_AccessLogFile())


def log_refused_access(*, actor: Actor, what: str, appraisal_id: int | None,
                       reason: str, at: datetime) -> None:
    """Log a refused attempt to reach content: who, what and when (never audited).

    Args:
        actor: Who tried (a person's id and name, or the operator).
        what: What they tried to reach: a page of the portal or a command.
        appraisal_id: The appraisal asked for, when there is one.
        reason: Why it was refused (the message they were shown).
        at: When (the caller's moment).
    """
    when = at.astimezone(UTC).isoformat(timespec="seconds")
    who = (f"person {actor.person_id} ({actor.label})" if actor.person_id is not None
           else actor.label)
    access_log.warning(
        "%s refused: %s tried %s of appraisal %s: %s", when, who, what,
        appraisal_id if appraisal_id is not None else "(none)", reason,
        extra={"actor_id": actor.person_id, "actor_label": actor.label, "what": what,
               "appraisal_id": appraisal_id, "at": when, "reason": reason})
