"""The outbox's own bookkeeping: which messages are due, taking one to send, and its outcome.

Queueing a message belongs to the change that causes it (``appraisal_store.outbox``, in the
caller's transaction); these are the writes of whoever delivers it. Each takes the caller's
session: the sender opens one short transaction per step, so a crash between the mail
server's acceptance and the mark leaves at most that one message to go again.

A message ends sent (``sent_at``) or refused for good by the mail server (``failed_at``,
with the server's answer in ``last_error``); until then it is queued, and a failure that
may pass (a 4xx, no connection) backs it off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, text, update
from sqlmodel import Session, col

from ..models import Appraisal, OutboxMessage

LEASE = timedelta(minutes=2)
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MOST = timedelta(hours=6)
# Sign-in links are sent by the portal at once and never queued; a row of this template was
# queued by an earlier version, holds its link in clear, and has expired or soon will.
SIGN_IN_TEMPLATE = "sign_in_link"


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: 1, 2, 4, ... minutes, at most 6 hours."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MOST)  # type: ignore[no-any-return]  # int ** int


def _queued() -> tuple[Any, Any]:
    return (col(OutboxMessage.sent_at).is_(None),
            col(OutboxMessage.failed_at).is_(None))


def _is_due(now: datetime) -> tuple[Any, ...]:
    return (*_queued(),
            or_(col(OutboxMessage.next_attempt_at).is_(None),
                col(OutboxMessage.next_attempt_at) <= now))


def due_message_ids(session: Session, *, now: datetime, limit: int,
                    appraisal_id: int | None = None) -> list[int]:
    """Ids of unsent messages whose next attempt is due, oldest first."""
    statement = select(col(OutboxMessage.id)).where(*_is_due(now)).order_by(
        col(OutboxMessage.id)).limit(limit)
    if appraisal_id is not None:
        statement = statement.where(col(OutboxMessage.appraisal_id) == appraisal_id)
    return list(session.execute(statement).scalars())


def pending_count(session: Session) -> int:
    """Unsent messages still to be tried, due or backing off."""
    return int(session.execute(select(func.count()).select_from(OutboxMessage).where(
        *_queued())).scalar_one())


def claim_message(session: Session, *, message_id: int, now: datetime) -> OutboxMessage | None:
    """Take the message for ``LEASE``; None when it was sent or another sender holds it."""
    if session.get_bind().dialect.name == "postgresql":
        # A claim need not survive a crash of the database server: lost, the message is
        # merely unclaimed, and the mark that follows a delivery is itself flushed (which
        # flushes the claim before it). So this commit does not wait for the disk.
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    taken = session.execute(  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
        update(OutboxMessage).where(col(OutboxMessage.id) == message_id, *_is_due(now))
        .values(next_attempt_at=now + LEASE)
    ).rowcount
    return session.get(OutboxMessage, message_id) if taken else None


def mark_sent(session: Session, *, message_id: int, now: datetime) -> None:
    session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == message_id)
                    .values(sent_at=now, last_error=None, attempts=col(OutboxMessage.attempts) + 1))


def mark_failed(session: Session, *, message_id: int, error: str, now: datetime) -> None:
    """Count the attempt and back off; the message stays queued."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.sent_at is not None or message.failed_at is not None:
        return
    message.attempts += 1
    message.next_attempt_at = now + backoff(message.attempts)
    message.last_error = error[:2000]
    session.add(message)


def mark_undeliverable(session: Session, *, message_id: int, answer: str,
                       now: datetime) -> None:
    """The mail server refused the message for good: keep its answer, never try it again."""
    session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == message_id,
                                                *_queued())
                    .values(failed_at=now, last_error=answer[:2000], next_attempt_at=None,
                            attempts=col(OutboxMessage.attempts) + 1))


@dataclass(frozen=True)
class Undelivered:
    """A message the mail server refused for good."""

    id: int
    template: str
    recipient_name: str
    recipient_email: str
    appraisal_id: int | None
    failed_at: datetime
    answer: str


def undelivered_messages(session: Session, *, organisation_id: int | None = None,
                         limit: int = 100) -> list[Undelivered]:
    """The messages refused for good, newest first; of one organisation's appraisals when
    ``organisation_id`` is given."""
    statement = (select(col(OutboxMessage.id), col(OutboxMessage.template),
                        col(OutboxMessage.recipient_name), col(OutboxMessage.recipient_email),
                        col(OutboxMessage.appraisal_id), col(OutboxMessage.failed_at),
                        col(OutboxMessage.last_error))
                 .where(col(OutboxMessage.failed_at).is_not(None))
                 .order_by(col(OutboxMessage.failed_at).desc(),
                           col(OutboxMessage.id).desc())
                 .limit(limit))
    if organisation_id is not None:
        statement = (statement
                     .join(Appraisal, col(Appraisal.id) == OutboxMessage.appraisal_id)
                     .where(col(Appraisal.organisation_id) == organisation_id))
    return [Undelivered(*row[:6], row[6] or "")  # type: ignore[call-arg]  # a Row[Any] slice
            for row in session.execute(statement)]


@dataclass(frozen=True)
class OutboxSummary:
    """How the outbox stands: what waits, what is backing off, what went, what never will."""

    due: int
    backing_off: int
    sent: int
    undeliverable: int
    last_errors: dict[str, int]


def outbox_summary(session: Session, *, now: datetime) -> OutboxSummary:
    """Counts of the outbox and the reasons the queued ones last failed (with how many)."""
    count = func.count()
    due = session.execute(select(count).select_from(OutboxMessage).where(*_is_due(now))
                          ).scalar_one()
    queued = session.execute(select(count).select_from(OutboxMessage).where(*_queued())
                             ).scalar_one()
    sent = session.execute(select(count).select_from(OutboxMessage).where(
        col(OutboxMessage.sent_at).is_not(None))).scalar_one()
    failed = session.execute(select(count).select_from(OutboxMessage).where(
        col(OutboxMessage.failed_at).is_not(None))).scalar_one()
    errors = session.execute(select(col(OutboxMessage.last_error), count).where(
        *_queued(), col(OutboxMessage.last_error).is_not(None))
        .group_by(col(OutboxMessage.last_error)).order_by(count.desc()).limit(10)).all()
    return OutboxSummary(int(due), int(queued) - int(due), int(sent), int(failed),
                         {str(error): int(number) for error, number in errors})


def drop_sign_in_message(session: Session, *, message_id: int) -> None:
    """Delete a queued sign-in row unsent: its link is in clear and must never go out late."""
    session.execute(delete(OutboxMessage).where(col(OutboxMessage.id) == message_id,
                                                col(OutboxMessage.template) == SIGN_IN_TEMPLATE))
