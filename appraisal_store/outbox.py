"""Queueing messages in the outbox, in the caller's transaction, once per idempotency key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection
from sqlmodel import Session

from .clock import utcnow
from .follow_ups import note_messages
from .models import OutboxMessage
from .upsert import dialect_insert

_COLUMNS = ("idempotency_key", "template", "recipient_email", "recipient_name", "appraisal_id",
            "payload", "created_at", "attempts", "next_attempt_at")


@dataclass(frozen=True)
class QueuedMessage:
    """A message to send; ``idempotency_key`` names the event so it is only ever queued once."""

    idempotency_key: str
    template: str
    recipient_email: str
    recipient_name: str
    appraisal_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def _insert_new(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (idempotency_key) DO NOTHING RETURNING id: RETURNING counts
    the new rows (an executemany's rowcount is not reliable on every driver)."""
    return (dialect_insert(dialect)(OutboxMessage)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(OutboxMessage.id))


_psycopg_sql: dict[type, str] = {}


def _queue_with_psycopg(connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """One single-row insert per message, pipelined by psycopg, RETURNING counted per row.

    SQLAlchemy would send an executemany with RETURNING as multi-row VALUES statements
    ("insertmanyvalues"), which psycopg re-parses character by character; psycopg's own
    pipelined executemany prepares the short statement once and costs far less client CPU
    for the same server work (bench/FINDINGS.md).
    """
    from psycopg.types.json import Json

    dialect = type(connection.dialect)
    if dialect not in _psycopg_sql:
        _psycopg_sql[dialect] = str(_insert_new("postgresql").compile(
            dialect=connection.dialect, column_keys=list(_COLUMNS)))
    for row in rows:
        row["payload"] = Json(row["payload"])
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    added: list[int] = []
    with cursor:
        cursor.executemany(_psycopg_sql[dialect], rows, returning=True)
        while True:
            added += [row[0] for row in cursor.fetchall()]
            if not cursor.nextset():
                break
    return added


def queue_messages(
    session: Session, messages: Sequence[QueuedMessage], *, batch: int = 2000
) -> int:
    """Insert the messages whose key is new; returns how many were new.

    Safe to call again with the same keys (a re-run of a flow, two sweeps at once): the
    unique key makes the database drop the repeats instead of raising. The new messages'
    ids are noted on the session for delivery after the commit (``follow_ups``).
    """
    if not messages:
        return 0
    connection = session.connection()
    on_psycopg = connection.dialect.driver == "psycopg"
    # One compiled statement over many parameter sets (SQLAlchemy batches them itself):
    # compiling a multi-row VALUES clause per batch cost more than the inserts.
    statement = None if on_psycopg else _insert_new(connection.dialect.name)
    now = utcnow()
    added: list[int] = []
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
        if on_psycopg:
            added += _queue_with_psycopg(connection, rows)
        else:
            added += [row[0] for row in connection.execute(statement, rows).all()]  # type: ignore[arg-type]  # set unless on_psycopg
    note_messages(session, added)
    return len(added)
