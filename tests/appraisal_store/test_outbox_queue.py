"""Queueing messages: once per idempotency key, with an honest count of what was new."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from appraisal_store import sessions
from appraisal_store.models import OutboxMessage
from appraisal_store.outbox import QueuedMessage, queue_messages


def _message(key: str) -> QueuedMessage:
    return QueuedMessage(key, "reminder", f"{key}@x.nhs.uk", "Someone",
                         payload={"due": "2026-01-30"})


def test_each_key_is_queued_once_and_the_count_is_of_new_rows(store: Engine) -> None:
    with sessions.write_session() as session:
        assert queue_messages(session, [_message(f"k{i}") for i in range(5)], batch=2) == 5
    with sessions.write_session() as session:
        assert queue_messages(session, [_message(f"k{i}") for i in range(3, 8)], batch=2) == 3
        assert queue_messages(session, []) == 0
    with sessions.read_session() as session:
        keys = session.execute(select(OutboxMessage.idempotency_key)).scalars().all()
        assert sorted(keys) == [f"k{i}" for i in range(8)]
        assert session.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.sent_at.is_(None))).scalar_one() == 8
