"""What a committed change leaves for delivery: the messages it queued, records to seal.

A service notes them on its session as it queues a message or takes a signature; whoever
owns the transaction takes them after the commit and hands them on (the portal at once,
``portal.follow_ups``). Nothing depends on it: the flows' schedules find the same work in
the store, so a follow-up lost with its process is only late, never lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session

_KEY = "appraisal_follow_ups"


@dataclass
class FollowUps:
    """The new outbox messages and the appraisals whose record is due a seal."""

    message_ids: list[int] = field(default_factory=list)
    appraisals_to_seal: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.message_ids or self.appraisals_to_seal)


def _noted(session: Session) -> FollowUps:
    found: FollowUps = session.info.setdefault(_KEY, FollowUps())
    return found


def note_messages(session: Session, message_ids: Iterable[int]) -> None:
    _noted(session).message_ids.extend(message_ids)


def note_seal(session: Session, appraisal_id: int) -> None:
    _noted(session).appraisals_to_seal.add(appraisal_id)


def take_follow_ups(session: Session) -> FollowUps:
    """What the session's transaction noted, once (a second call gets nothing)."""
    taken: FollowUps = session.info.pop(_KEY, FollowUps())
    return taken
