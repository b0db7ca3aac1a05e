"""Mending the audit trail's head: the one write to the chain that is not an event's append.

The chain itself (hashing, appending, verifying, the head's repair) is ``appraisal_store.audit``;
the command line reaches the repair through here, inside its own transaction.
"""

from __future__ import annotations

from sqlmodel import Session

from ..actors import Actor
from ..audit import HeadRepair, repair_head


def repair_trail_head(*, session: Session, actor: Actor) -> HeadRepair | None:
    """Re-create the trail's head row, or move it up to the last event, when the trail
    verifies; the repair is audited (``audit.repair_head``).

    Returns:
        What was repaired, or None when the head was in place.

    Raises:
        ChainNotRepairable: The trail does not verify; nothing was written.
    """
    return repair_head(session, actor)
