"""Queueing messages in the outbox, in the caller's transaction, once per idempotency key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from .models import OutboxMessage
from .types import utcnow


@dataclass(frozen=True)
class QueuedMessage:
    """A message to send; ``idempotency_key`` names the event so it is only ever queued once."""

    idempotency_key: str
    template: str
    recipient_email: str
    recipient_name: str
    appraisal_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def queue_messages(
    session: Session, messages: Sequence[QueuedMessage], *, batch: int = 2000
) -> int:
    """Insert the messages whose key is new; returns how many were new.

    Safe to call again with the same keys (a re-run of a flow, two sweeps at once): the
    unique key makes the database drop the repeats instead of raising.
    """
    if not messages:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # One compiled statement over many parameter sets (SQLAlchemy batches them itself):
    # compiling a multi-row VALUES clause per batch cost more than the inserts. RETURNING
    # counts the new rows; an executemany's rowcount is not reliable on every driver.
    statement = (insert(OutboxMessage)
                 .on_conflict_do_nothing(index_elements=["idempotency_key"])
                 .returning(OutboxMessage.id))
    now = utcnow()
    added = 0
    for start in range(0, len(messages), batch):
        rows = [
            {
                "idempotency_key": m.idempotency_key, "template": m.template,
                "recipient_email": m.recipient_email, "recipient_name": m.recipient_name,
                "appraisal_id": m.appraisal_id, "payload": m.payload, "created_at": now,
                "attempts": 0, "next_attempt_at": now,
            }
            for m in messages[start:start + batch]
        ]
        added += len(session.connection().execute(statement, rows).all())
    return added
