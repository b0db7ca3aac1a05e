"""The audit trail's writer: every event appended carries the hash of the one before it.

The hashing is ``audit_hashing``'s, the walk that checks the chain ``audit_verification``'s
and the mending of a lost head ``audit_head_repair``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import LargeBinary, bindparam, select, text
from sqlalchemy.engine import Connection
from sqlmodel import Session

from .actors import Actor
from .audit_hashing import (
    GENESIS_HASH,
    SERVER_HASH_SQL,
    AuditAnchor,
    canonical_details,
    event_hash,
    hashed_tail,
)
from .clock import moment_of
from .environment import EnvironmentFailure
from .models import AuditEvent, AuditHead
from .sql_types import table_of


class AuditHeadMissing(EnvironmentFailure):
    """The chain's head row is gone while events exist: nothing can be appended safely
    (the portal answers 503 with this, as for any store that cannot take a change)."""


_HEAD_MISSING = (
    "The audit trail's head row is missing, so no change can be recorded: run "
    "`appraisal audit verify`, then `appraisal audit repair-head` if the trail is intact.")


@dataclass(frozen=True)
class PendingEvent:
    """An event to append; ``details`` must be JSON-representable (dates become strings)."""

    action: str
    subject_type: str
    subject_id: str | int
    organisation_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


# Built once: these run on every audited change, where building the statement cost more
# than executing it.
_HEAD = table_of(AuditHead)
_LOCK_HEAD = select(_HEAD.c.last_event_id, _HEAD.c.last_hash).where(
    _HEAD.c.id == 1).with_for_update()
_CREATE_HEAD = _HEAD.insert().values(
    id=1, last_event_id=bindparam("event_id"), last_hash=bindparam("event_hash"))
_MOVE_HEAD = _HEAD.update().where(_HEAD.c.id == 1).values(
    last_event_id=bindparam("event_id"), last_hash=bindparam("event_hash"))
_EVENTS = table_of(AuditEvent)
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
    SELECT event_id, prev_hash, {hash} AS hash
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
""".replace("{hash}", SERVER_HASH_SQL)).bindparams(
    bindparam("tail", type_=LargeBinary()),
    bindparam("occurred_at", type_=_EVENTS.c.occurred_at.type),
    bindparam("details", type_=_EVENTS.c.details.type),
)


def start_chain(connection: Connection) -> bool:
    """Create the head row of an empty chain (``schema.upgrade`` and the first append).

    Returns:
        True when it was created; False when a head row is there already.

    Raises:
        AuditHeadMissing: There is no head row but there are events: the head was lost,
            and starting the chain again would fork it (``repair_head`` mends it).
    """
    if connection.execute(select(_HEAD.c.id)).first() is not None:
        return False
    if connection.execute(select(_EVENTS.c.id).limit(1)).first() is not None:
        raise AuditHeadMissing(_HEAD_MISSING)
    place_head(connection, AuditAnchor(0, GENESIS_HASH), create=True)
    return True


def place_head(connection: Connection, at: AuditAnchor, *, create: bool) -> None:
    """Write the chain's head row at ``at``: the one writer of that row.

    Args:
        connection: The caller's transaction.
        at: The event the head names, and its hash.
        create: Create the row (the chain's start, or a lost head mended) instead of
            moving it (an append, or a head left behind mended).
    """
    connection.execute(_CREATE_HEAD if create else _MOVE_HEAD,
                       {"event_id": at.event_id, "event_hash": at.hash})


def _lock_head(connection: Connection) -> tuple[int, str]:
    """The chain's head, locked until the transaction ends (FOR UPDATE on PostgreSQL; on
    SQLite the writer already holds the database's write lock)."""
    row = connection.execute(_LOCK_HEAD).first()
    if row is None:
        start_chain(connection)
        return 0, GENESIS_HASH
    return int(row[0]), str(row[1])


def chain_head(session: Session) -> AuditAnchor:
    """The chain's head as this session sees it (not locked): what a record sealed now
    is anchored to.

    Raises:
        AuditHeadMissing: The head row is gone while events exist.
    """
    row = session.connection().execute(
        select(_HEAD.c.last_event_id, _HEAD.c.last_hash).where(_HEAD.c.id == 1)).first()
    if row is not None:
        return AuditAnchor(int(row[0]), str(row[1]))
    if session.connection().execute(select(_EVENTS.c.id).limit(1)).first() is not None:
        raise AuditHeadMissing(_HEAD_MISSING)
    return AuditAnchor(0, GENESIS_HASH)


def record_events(
    session: Session, actor: Actor, events: Sequence[PendingEvent], *, at: datetime | None = None
) -> None:
    """Append ``events`` to the chain in the caller's transaction (one insert for all)."""
    if not events:
        return
    moment = (at or moment_of(session)).astimezone(UTC)
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
        details = canonical_details(pending.details)
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
    place_head(connection, AuditAnchor(event_id, prev), create=False)


def _chain_one_on_server(connection: Connection, actor: Actor, pending: PendingEvent,
                         moment: datetime) -> bool:
    """Chain ``pending`` in one statement (PostgreSQL); False, writing nothing, if the
    chain has no head row yet (``_lock_head`` creates it)."""
    details = canonical_details(pending.details)
    subject_id = str(pending.subject_id)
    tail = hashed_tail(
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


def record_event_alone(connection: Connection, actor: Actor, event: PendingEvent, *,
                       now: datetime) -> bool:
    """Append ``event`` as a transaction of its own, if this connection can: one statement
    on a PostgreSQL connection in autocommit, so no BEGIN or COMMIT travels and the head
    is locked only inside the server, for the statement. ``now``: when it happened (no
    unit of work here to say it; the caller's moment).

    Returns:
        False, with nothing written, where it cannot (SQLite, a connection that is not in
        autocommit, a store whose chain has no head row: ``schema.upgrade`` writes it, a
        store migrated by Alembic alone has none until its first event): append the
        event with ``record_events`` in a transaction instead.
    """
    if (connection.dialect.name != "postgresql"
            or connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT"):
        return False
    return _chain_one_on_server(connection, actor, event, now)


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
