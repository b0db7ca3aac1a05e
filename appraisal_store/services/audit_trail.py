"""Mending the audit trail's head: the one write to the chain that is not an event's append.

The chain itself is ``appraisal_store``'s: hashing (``audit_hashing``), appending (``audit``),
verifying (``audit_verification``) and the head's repair (``audit_head_repair``);
the command line reaches the repair through here, inside its own transaction.
"""

from __future__ import annotations

from sqlmodel import Session

from ..actors import Actor
from ..audit_head_repair import HeadRepair, repair_head


def repair_trail_head(*, session: Session, actor: Actor) -> HeadRepair | None:
    """Re-create the trail's head row, or move it up to the last event, when the trail
    verifies; the repair is audited (``audit_head_repair.repair_head``).

    Returns:
        What was repaired, or None when the head was in place.

    Raises:
        ChainNotRepairable: The trail does not verify; nothing was written.
    """
    return repair_head(session, actor)
