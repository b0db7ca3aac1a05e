"""Mend the audit trail's head row when it was lost or left behind and the chain verifies."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from .actors import Actor
from .audit import record_event
from .audit_hashing import GENESIS_HASH, AuditAnchor
from .audit_verification import verify_chain, walk_chain
from .errors import AppraisalError
from .models import AuditHead

_HEAD = AuditHead.__table__  # type: ignore[attr-defined]


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
    report = walk_chain(session, 5000, wanted, seen)
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
