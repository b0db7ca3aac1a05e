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
from .environment import EnvironmentFailure
from .errors import AppraisalError
from .models import AuditEvent, AuditHead, Record
from .sql_types import utcnow

# The hash the first event points back to: the chain's start, defined here only (the head
# row is created from it by ``start_chain``, its one writer).
GENESIS_HASH = "0" * 64


class AuditHeadMissing(EnvironmentFailure):
    """The chain's head row is gone while events exist: nothing can be appended safely
    (the portal answers 503 with this, as for any store that cannot take a change)."""


_HEAD_MISSING = (
    "The audit trail's head row is missing, so no change can be recorded: run "
    "`appraisal audit verify`, then `appraisal audit repair-head` if the trail is intact.")


@dataclass(frozen=True)
class AuditAnchor:
    """A point of the chain: event ``event_id`` and its hash (``GENESIS_HASH`` at 0).

    Written ``HASH@N``: the form a sealed record carries and ``audit verify --anchor``
    takes.
    """

    event_id: int
    hash: str

    def __str__(self) -> str:
        return f"{self.hash}@{self.event_id}"

    @classmethod
    def parse(cls, written: str) -> AuditAnchor:
        """Read ``HASH@N``; ValueError with the reason when it is not that."""
        digest, at, number = written.strip().partition("@")
        digest = digest.lower()
        if not at or not number.isdigit() or len(digest) != 64 or any(
                c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"{written!r} is not an audit anchor: write it as HASH@N, the "
                             "64 hex digits of the hash, @, and the event number "
                             "(as `appraisal audit anchor` prints it)")
        return cls(int(number), digest)


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
    return json.loads(json.dumps(details, default=str, sort_keys=True))  # type: ignore[no-any-return]  # JSON object


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
# The event's hash computed by the server, over the same bytes as ``event_hash``: the
# array's start from the event number and previous hash, then ``:tail`` from Python.
# There are two computations of one hash because the server's lets a single event be
# chained in one statement on PostgreSQL (below); the test suite proves they agree byte
# for byte, and ``verify_chain`` recomputes every hash in Python.
_SERVER_HASH_SQL = ("encode(sha256(convert_to('[' || event_id || ',\"' || prev_hash || '\",', "
                    "'UTF8') || :tail), 'hex')")
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
""".replace("{hash}", _SERVER_HASH_SQL)).bindparams(
    bindparam("tail", type_=LargeBinary()),
    bindparam("occurred_at", type_=_EVENTS.c.occurred_at.type),
    bindparam("details", type_=_EVENTS.c.details.type),
)


def server_event_hash(connection: Connection, *, event_id: int, prev_hash: str,
                      tail: bytes) -> str:
    """The hash PostgreSQL computes for an event (``_SERVER_HASH_SQL``), for the test
    that proves it is ``event_hash``'s."""
    statement = text(f"SELECT {_SERVER_HASH_SQL} FROM (SELECT CAST(:event_id AS bigint) "
                     "AS event_id, CAST(:prev_hash AS text) AS prev_hash) AS event"
                     ).bindparams(bindparam("tail", type_=LargeBinary()))
    return str(connection.execute(statement, {"event_id": event_id, "prev_hash": prev_hash,
                                              "tail": tail}).scalar_one())


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
    connection.execute(_CREATE_HEAD)
    return True


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
    """The result of walking the chain.

    ``broken_at`` is the first event that does not match (``reason`` says why);
    ``anchor_problems`` names each sealed record (or the anchor given) whose anchor is no
    longer a point of the chain: events removed, or rewritten with their hashes
    recomputed. ``head_missing`` is set when the head row is gone while events exist.
    """

    verified: int
    broken_at: int | None = None
    reason: str = ""
    anchors_checked: int = 0
    anchor_problems: tuple[str, ...] = ()
    head_missing: bool = False
    last: AuditAnchor = AuditAnchor(0, GENESIS_HASH)

    @property
    def ok(self) -> bool:
        return self.broken_at is None and not self.anchor_problems and not self.head_missing

    @property
    def events_intact(self) -> bool:
        """Every event matches its hash and the one before it, and every anchor holds
        (the head row aside)."""
        return self.broken_at is None and not self.anchor_problems


# Who holds an anchor and when it was made ("the ... record of appraisal 3 (version 1)
# was sealed", "the anchor given was taken"), and the anchor.
_Anchored = tuple[str, AuditAnchor]


def _record_anchors(session: Session) -> list[_Anchored]:
    rows = session.execute(
        select(Record.appraisal_id, Record.version, Record.stage, Record.audit_anchor_event,
               Record.audit_anchor_hash)
        .where(Record.audit_anchor_event.is_not(None))  # type: ignore[union-attr]
        .order_by(Record.id)
    )
    return [(f"the {stage.value.replace('_', ' ')} record of appraisal {appraisal_id} "
             f"(version {version}) was sealed", AuditAnchor(int(event), str(digest)))
            for appraisal_id, version, stage, event, digest in rows]


def _anchor_problem(holder: str, anchor: AuditAnchor, seen: dict[int, str],
                    report: ChainReport) -> str | None:
    found = seen.get(anchor.event_id)
    if found == anchor.hash:
        return None
    if found is not None:
        return (f"{holder} when event {anchor.event_id} had hash "
                f"{anchor.hash[:16]}…, it now has {found[:16]}…: the trail was rewritten")
    if report.broken_at is not None and anchor.event_id >= report.broken_at:
        return (f"{holder} at event {anchor.event_id}, past the break at event "
                f"{report.broken_at}")
    return (f"{holder} at event {anchor.event_id}, but the trail now ends at "
            f"event {report.last.event_id}: events were removed")


def verify_chain(session: Session, *, batch: int = 5000,
                 witness: AuditAnchor | None = None) -> ChainReport:
    """Recompute every event's hash in order and compare it with the stored chain, the
    head row, every sealed record's anchor and ``witness`` (an anchor kept elsewhere).

    An anchor holds when the event at its number exists and has its hash: the chain up
    to there is then the one the record was sealed on, since every later hash depends on
    it. Records sealed before anchors were kept carry none and are not checked.
    """
    anchors = _record_anchors(session)
    if witness is not None:
        anchors.append(("the anchor given was taken", witness))
    wanted = {anchor.event_id for _, anchor in anchors}
    seen = {0: GENESIS_HASH}
    report = _walk(session, batch, wanted, seen)
    problems = tuple(problem for holder, anchor in anchors
                     if (problem := _anchor_problem(holder, anchor, seen, report)) is not None)
    return ChainReport(report.verified, report.broken_at, report.reason, len(anchors),
                       problems, report.head_missing, report.last)


def _walk(session: Session, batch: int, wanted: set[int], seen: dict[int, str]) -> ChainReport:
    """The walk of ``verify_chain``, noting in ``seen`` the hashes of the ``wanted`` events."""
    prev, expected_id, verified = GENESIS_HASH, 1, 0
    last_id = 0
    while True:
        events = list(session.execute(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)  # type: ignore[operator]  # SQLModel reads the column as its value
        ).scalars())
        if not events:
            break
        for event in events:
            assert event.id is not None
            last = AuditAnchor(last_id, prev)
            if event.id != expected_id:
                return ChainReport(verified, event.id, f"event {expected_id} is missing",
                                   last=last)
            if event.prev_hash != prev:
                return ChainReport(verified, event.id,
                                   "it does not point to the event before it", last=last)
            digest = event_hash(
                event_id=event.id, prev_hash=event.prev_hash, occurred_at=event.occurred_at,
                actor_id=event.actor_id, actor_label=event.actor_label, action=event.action,
                subject_type=event.subject_type, subject_id=event.subject_id,
                organisation_id=event.organisation_id, details=event.details,
            )
            if digest != event.hash:
                return ChainReport(verified, event.id, "its content does not match its hash",
                                   last=last)
            prev, last_id = event.hash, event.id
            if last_id in wanted:
                seen[last_id] = prev
            expected_id, verified = expected_id + 1, verified + 1
        session.expunge_all()
    last = AuditAnchor(last_id, prev)
    head = session.get(AuditHead, 1)
    if head is None:
        return ChainReport(verified, head_missing=last_id > 0, last=last)
    if head.last_event_id != last_id or head.last_hash != prev:
        return ChainReport(verified, head.last_event_id, "events after it were removed",
                           last=last)
    return ChainReport(verified, last=last)


@dataclass(frozen=True)
class HeadRepair:
    """What ``repair_head`` did: the head before (None if it was missing) and after."""

    before: AuditAnchor | None
    after: AuditAnchor


class ChainNotRepairable(AppraisalError):
    """The head cannot be mended because the chain itself does not verify."""


def repair_head(session: Session, actor: Actor) -> HeadRepair | None:
    """Re-create the chain's head row, or move it up to the chain's last event, when the
    chain verifies; the repair is itself audited (``audit_head_repaired``).

    Only a head that is missing, or behind the chain's last event while naming an event
    of it, is mended: a head ahead of the chain means events were removed, and no head
    is written over a chain that is broken or that a sealed record's anchor contradicts.

    Returns:
        What was repaired, or None when the head was in place.

    Raises:
        ChainNotRepairable: The chain does not verify; nothing was written.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # No writer appends while the head is judged and mended (a missing row cannot be
        # locked with FOR UPDATE).
        connection.execute(text("LOCK TABLE audithead IN SHARE ROW EXCLUSIVE MODE"))
    head = session.get(AuditHead, 1)
    before = None if head is None else AuditAnchor(head.last_event_id, head.last_hash)
    wanted = {before.event_id} if before is not None else set()
    seen = {0: GENESIS_HASH}
    report = _walk(session, 5000, wanted, seen)
    if report.broken_at is not None and not (
            before is not None and before.event_id < report.last.event_id
            and seen.get(before.event_id) == before.hash and report.broken_at == before.event_id
            and report.verified == report.last.event_id):
        where = report.broken_at
        raise ChainNotRepairable(
            f"The audit trail is broken at event {where} ({report.reason}), so its head is "
            "left as it is: the trail itself must be restored (from a backup) first.")
    full = verify_chain(session)
    if full.anchor_problems:
        raise ChainNotRepairable(
            "The audit trail no longer matches what sealed records were anchored to ("
            + "; ".join(full.anchor_problems) + "), so its head is left as it is.")
    if before == report.last:
        return None
    after = report.last
    values = {"last_event_id": after.event_id, "last_hash": after.hash}
    if head is None:
        connection.execute(_HEAD.insert().values(id=1, **values))
    else:
        connection.execute(_HEAD.update().where(_HEAD.c.id == 1).values(**values))
    session.expire_all()
    record_event(session, actor, "audit_head_repaired", subject_type="audit_trail",
                 subject_id="head",
                 details={"before": str(before) if before else None, "after": str(after)})
    return HeadRepair(before, after)
