"""The outbox's own bookkeeping: which messages are due, taking one to send, and its outcome.

Queueing a message belongs to the change that causes it (``appraisal_store.outbox``, in the
caller's transaction); these are the writes of whoever delivers it. Each takes the caller's
session: the sender opens one short transaction per step, so a crash between the mail
server's acceptance and the mark leaves at most that one message to go again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlmodel import Session

from ..models import OutboxMessage

LEASE = timedelta(minutes=2)
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MOST = timedelta(hours=6)
# Sign-in links are sent by the portal at once and never queued; a row of this template was
# queued by an earlier version, holds its link in clear, and has expired or soon will.
SIGN_IN_TEMPLATE = "sign_in_link"


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: 1, 2, 4, ... minutes, at most 6 hours."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MOST)


def _is_due(now: datetime) -> tuple[Any, Any]:
    return (OutboxMessage.sent_at.is_(None),  # type: ignore[union-attr]
            or_(OutboxMessage.next_attempt_at.is_(None),  # type: ignore[union-attr]
                OutboxMessage.next_attempt_at <= now))  # type: ignore[operator]


def due_message_ids(session: Session, *, now: datetime, limit: int,
                    appraisal_id: int | None = None) -> list[int]:
    """Ids of unsent messages whose next attempt is due, oldest first."""
    statement = select(OutboxMessage.id).where(*_is_due(now)).order_by(
        OutboxMessage.id).limit(limit)  # type: ignore[arg-type]
    if appraisal_id is not None:
        statement = statement.where(OutboxMessage.appraisal_id == appraisal_id)
    return list(session.execute(statement).scalars())


def pending_count(session: Session) -> int:
    """Unsent messages, due or backing off."""
    return int(session.execute(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None))).scalar_one())  # type: ignore[union-attr]


def claim_message(session: Session, *, message_id: int, now: datetime) -> OutboxMessage | None:
    """Take the message for ``LEASE``; None when it was sent or another sender holds it."""
    taken = session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, *_is_due(now))
        .values(next_attempt_at=now + LEASE)
    ).rowcount
    return session.get(OutboxMessage, message_id) if taken else None


def mark_sent(session: Session, *, message_id: int, now: datetime) -> None:
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                    .values(sent_at=now, last_error=None, attempts=OutboxMessage.attempts + 1))


def mark_failed(session: Session, *, message_id: int, error: str, now: datetime) -> None:
    """Count the attempt and back off; the message stays queued."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.sent_at is not None:
        return
    message.attempts += 1
    message.next_attempt_at = now + backoff(message.attempts)
    message.last_error = error[:2000]
    session.add(message)


def drop_sign_in_message(session: Session, *, message_id: int) -> None:
    """Delete a queued sign-in row unsent: its link is in clear and must never go out late."""
    session.execute(delete(OutboxMessage).where(OutboxMessage.id == message_id,
                                                OutboxMessage.template == SIGN_IN_TEMPLATE))
