"""The audit trail: every event carries the hash of the one before it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import LargeBinary, bindparam, select, text
from sqlalchemy.engine import Connection
from sqlmodel import Session

from .actors import Actor
from .models import AuditEvent, AuditHead
from .sql_types import utcnow

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class PendingEvent:
    """An event to append; ``details`` must be JSON-representable (dates become strings)."""

    action: str
    subject_type: str
    subject_id: str | int
    organisation_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _canonical_details(details: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so the hashed value is exactly what the database gives back.
    return json.loads(json.dumps(details, default=str, sort_keys=True))


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    *,
    event_id: int,
    prev_hash: str,
    occurred_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    subject_type: str,
    subject_id: str,
    organisation_id: int | None,
    details: dict[str, Any],
) -> str:
    """The SHA-256 that chains one event to the one before it.

    It is taken over the compact JSON array ``[event_id, prev_hash, occurred_at (ISO, UTC,
    microseconds), actor_id, actor_label, action, subject_type, subject_id,
    organisation_id, details]`` (keys sorted, UTF-8).
    """
    tail = _hashed_tail(occurred_at=occurred_at, actor_id=actor_id, actor_label=actor_label,
                        action=action, subject_type=subject_type, subject_id=subject_id,
                        organisation_id=organisation_id, details=details)
    return hashlib.sha256(_hashed_head(event_id, prev_hash) + tail).hexdigest()


def _hashed_head(event_id: int, prev_hash: str) -> bytes:
    """The start of the hashed array, up to and including the comma after ``prev_hash``."""
    return f'[{event_id},"{prev_hash}",'.encode("ascii")


def _hashed_tail(*, occurred_at: datetime, actor_id: int | None, actor_label: str,
                 action: str, subject_type: str, subject_id: str, organisation_id: int | None,
                 details: dict[str, Any]) -> bytes:
    """The rest of the hashed array, after ``prev_hash``: what is known before the head."""
    rest = json.dumps(
        [_timestamp(occurred_at), actor_id, actor_label, action, subject_type, subject_id,
         organisation_id, details],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return rest[1:].encode("utf-8")


# Built once: these run on every audited change, where building the statement cost more
# than executing it.
_HEAD = AuditHead.__table__  # type: ignore[attr-defined]
_LOCK_HEAD = select(_HEAD.c.last_event_id, _HEAD.c.last_hash).where(
    _HEAD.c.id == 1).with_for_update()
_CREATE_HEAD = _HEAD.insert().values(id=1, last_event_id=0, last_hash=GENESIS_HASH)
_MOVE_HEAD = _HEAD.update().where(_HEAD.c.id == 1).values(
    last_event_id=bindparam("event_id"), last_hash=bindparam("event_hash"))
_EVENTS = AuditEvent.__table__  # type: ignore[attr-defined]
_INSERT_EVENTS = _EVENTS.insert()
# PostgreSQL only (SQLite has no data-modifying WITH): one event is chained, written and
# the head moved by one statement, the server hashing the event's bytes with the head it
# has just locked. The head stays locked from there to the commit and every audited
# request (each save, each view of content) queues behind it: the statement replaces a
# locking read, the hashing here and a write, two round trips each waiting for the GIL.
# The bytes hashed are the same as ``event_hash`` hashes: the array's start is written
# by the server from the head, the rest (``:tail``) here; ``verify_chain`` recomputes all.
_CHAIN_ONE_EVENT = text("""
WITH head AS (
    SELECT last_event_id + 1 AS event_id, last_hash AS prev_hash
    FROM audithead WHERE id = 1 FOR UPDATE
), event AS (
    SELECT event_id, prev_hash,
           encode(sha256(convert_to('[' || event_id || ',"' || prev_hash || '",', 'UTF8')
                         || :tail), 'hex') AS hash
    FROM head
), moved AS (
    UPDATE audithead SET last_event_id = event.event_id, last_hash = event.hash
    FROM event WHERE audithead.id = 1
)
INSERT INTO auditevent (id, occurred_at, actor_id, actor_label, action, subject_type,
                        subject_id, organisation_id, details, prev_hash, hash)
SELECT event_id, :occurred_at, :actor_id, :actor_label, :action, :subject_type,
       :subject_id, :organisation_id, :details, prev_hash, hash
FROM event
RETURNING id
""").bindparams(
    bindparam("tail", type_=LargeBinary()),
    bindparam("occurred_at", type_=_EVENTS.c.occurred_at.type),
    bindparam("details", type_=_EVENTS.c.details.type),
)


def _lock_head(connection: Connection) -> tuple[int, str]:
    """The chain's head, locked until the transaction ends (FOR UPDATE on PostgreSQL; on
    SQLite the writer already holds the database's write lock)."""
    row = connection.execute(_LOCK_HEAD).first()
    if row is None:
        connection.execute(_CREATE_HEAD)
        return 0, GENESIS_HASH
    return int(row[0]), str(row[1])


def record_events(
    session: Session, actor: Actor, events: Sequence[PendingEvent], *, at: datetime | None = None
) -> None:
    """Append ``events`` to the chain in the caller's transaction (one insert for all)."""
    if not events:
        return
    moment = (at or utcnow()).astimezone(UTC)
    # The caller's pending changes go first: the head is locked from here to the commit,
    # and every audited change in the store waits for it.
    session.flush()
    connection = session.connection()
    if len(events) == 1 and connection.dialect.name == "postgresql" and _chain_one_on_server(
            connection, actor, events[0], moment):
        return
    event_id, prev = _lock_head(connection)
    rows: list[dict[str, Any]] = []
    for pending in events:
        event_id += 1
        details = _canonical_details(pending.details)
        subject_id = str(pending.subject_id)
        digest = event_hash(
            event_id=event_id, prev_hash=prev, occurred_at=moment, actor_id=actor.person_id,
            actor_label=actor.label, action=pending.action, subject_type=pending.subject_type,
            subject_id=subject_id, organisation_id=pending.organisation_id, details=details,
        )
        rows.append({
            "id": event_id, "occurred_at": moment, "actor_id": actor.person_id,
            "actor_label": actor.label, "action": pending.action,
            "subject_type": pending.subject_type, "subject_id": subject_id,
            "organisation_id": pending.organisation_id, "details": details,
            "prev_hash": prev, "hash": digest,
        })
        prev = digest
    for start in range(0, len(rows), 2000):
        connection.execute(_INSERT_EVENTS, rows[start:start + 2000])
    connection.execute(_MOVE_HEAD, {"event_id": event_id, "event_hash": prev})


def _chain_one_on_server(connection: Connection, actor: Actor, pending: PendingEvent,
                         moment: datetime) -> bool:
    """Chain ``pending`` in one statement (PostgreSQL); False, writing nothing, if the
    chain has no head row yet (``_lock_head`` creates it)."""
    details = _canonical_details(pending.details)
    subject_id = str(pending.subject_id)
    tail = _hashed_tail(
        occurred_at=moment, actor_id=actor.person_id, actor_label=actor.label,
        action=pending.action, subject_type=pending.subject_type, subject_id=subject_id,
        organisation_id=pending.organisation_id, details=details)
    written = connection.execute(_CHAIN_ONE_EVENT, {
        "tail": tail, "occurred_at": moment, "actor_id": actor.person_id,
        "actor_label": actor.label, "action": pending.action,
        "subject_type": pending.subject_type, "subject_id": subject_id,
        "organisation_id": pending.organisation_id, "details": details,
    }).first()
    return written is not None


def record_event_alone(connection: Connection, actor: Actor, event: PendingEvent) -> bool:
    """Append ``event`` as a transaction of its own, if this connection can: one statement
    on a PostgreSQL connection in autocommit, so no BEGIN or COMMIT travels and the head
    is locked only inside the server, for the statement.

    Returns:
        False, with nothing written, where it cannot (SQLite, a connection that is not in
        autocommit, a store whose chain has no head row: ``schema.upgrade`` writes it, a
        store migrated by Alembic alone has none until its first event): append the
        event with ``record_events`` in a transaction instead.
    """
    if (connection.dialect.name != "postgresql"
            or connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT"):
        return False
    return _chain_one_on_server(connection, actor, event, utcnow().astimezone(UTC))


def record_event(
    session: Session,
    actor: Actor,
    action: str,
    *,
    subject_type: str,
    subject_id: str | int,
    organisation_id: int | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one event to the chain in the caller's transaction."""
    record_events(
        session, actor,
        [PendingEvent(action, subject_type, subject_id, organisation_id, details or {})], at=at,
    )


@dataclass(frozen=True)
class ChainReport:
    """The result of walking the chain: ``broken_at`` is the first event that does not match."""

    verified: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session, *, batch: int = 5000) -> ChainReport:
    """Recompute every event's hash in order and compare it with the stored chain."""
    prev, expected_id, verified = GENESIS_HASH, 1, 0
    last_id = 0
    while True:
        events = list(session.execute(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).scalars())
        if not events:
            break
        for event in events:
            assert event.id is not None
            if event.id != expected_id:
                return ChainReport(verified, event.id, f"event {expected_id} is missing")
            if event.prev_hash != prev:
                return ChainReport(verified, event.id, "it does not point to the event before it")
            digest = event_hash(
                event_id=event.id, prev_hash=event.prev_hash, occurred_at=event.occurred_at,
                actor_id=event.actor_id, actor_label=event.actor_label, action=event.action,
                subject_type=event.subject_type, subject_id=event.subject_id,
                organisation_id=event.organisation_id, details=event.details,
            )
            if digest != event.hash:
                return ChainReport(verified, event.id, "its content does not match its hash")
            prev, last_id = event.hash, event.id
            expected_id, verified = expected_id + 1, verified + 1
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_event_id != last_id or head.last_hash != prev):
        return ChainReport(verified, head.last_event_id, "events after it were removed")
    return ChainReport(verified)
