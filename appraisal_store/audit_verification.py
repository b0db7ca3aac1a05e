"""Check the audit trail: every event's hash recomputed, the head row, every anchor."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from .audit_hashing import GENESIS_HASH, AuditAnchor, event_hash
from .models import AuditEvent, AuditHead, Record


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
        select(col(Record.appraisal_id), col(Record.version), col(Record.stage),
               col(Record.audit_anchor_event), col(Record.audit_anchor_hash))
        .where(col(Record.audit_anchor_event).is_not(None))
        .order_by(col(Record.id))
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
    report = walk_chain(session, batch, wanted, seen)
    problems = tuple(problem for holder, anchor in anchors
                     if (problem := _anchor_problem(holder, anchor, seen, report)) is not None)
    return ChainReport(report.verified, report.broken_at, report.reason, len(anchors),
                       problems, report.head_missing, report.last)


def walk_chain(session: Session, batch: int, wanted: set[int], seen: dict[int, str]) -> ChainReport:
    """The walk of ``verify_chain``, noting in ``seen`` the hashes of the ``wanted`` events."""
    prev, expected_id, verified = GENESIS_HASH, 1, 0
    last_id = 0
    while True:
        events = list(session.execute(
            select(AuditEvent).where(col(AuditEvent.id) > last_id)
            .order_by(col(AuditEvent.id)).limit(batch)
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
