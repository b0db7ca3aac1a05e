"""Queueing the day's reminders and escalations, in the caller's transaction.

What is due is planned outside the store (``flows.reminders.plan_reminders``, a pure
function of the open appraisals, the day and the working-day calendar); queueing it is a
write, so it comes here. The idempotency key of each reminder makes a repeat queue nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from ..outbox import QueuedMessage, queue_messages


def queue_planned_reminders(*, session: Session, reminders: Sequence[QueuedMessage]) -> int:
    """Queue each planned reminder whose key is new; returns how many were new.

    Safe to call again with the same plan (a re-run, two sweeps of one day at once).
    """
    return queue_messages(session, reminders)
