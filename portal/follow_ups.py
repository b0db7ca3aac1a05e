"""What follows a person's action, done now: its messages delivered, its record sealed.

The service queued the messages in the action's own transaction; once that committed, the
portal's write session hands what it noted (``appraisal_store.follow_ups``) to threads of
this process, so the next person hears within seconds and the request never waits. The
flows' schedules stay the safety net: whatever is missed here (a mail server down, a
process stopped) is found in the store and done on their next run.
"""

from __future__ import annotations

import logging

from appraisal_store.clock import utcnow
from appraisal_store.errors import AppraisalError
from appraisal_store.follow_ups import FollowUps
from flows.delivery import deliver_messages, due_message_ids

from .hand_over import HandOver

# One thread seals (CPU) while another delivers (a round trip to the mail server).
THREADS = 2
log = logging.getLogger("portal.follow_ups")
_installed: HandOver[FollowUps] | None = None


def follow_up(work: FollowUps) -> None:
    """Deliver the noted messages, then seal each noted record and deliver what that queued.

    Never raises for a record that cannot be sealed yet (no seal configured, a render
    failure): it is logged, and the sealing schedule tries again.
    """
    if work.message_ids:
        deliver_messages(work.message_ids)
    for appraisal_id in sorted(work.appraisals_to_seal):
        # Imported here: ReportLab and pyHanko load only in a process that seals.
        from records.errors import RecordError
        from records.record_sealing import seal_appraisal

        try:
            seal_appraisal(appraisal_id)
        except (RecordError, AppraisalError) as error:
            log.warning("Appraisal %s: the record was not sealed now (%s); the sealing "
                        "schedule will try again", appraisal_id, error)
            continue
        deliver_due(appraisal_id)


def deliver_due(appraisal_id: int) -> None:
    """Deliver the appraisal's messages that are due. At the wall clock, whoever asks: the
    claims' leases are judged by it, against the other senders of this process and the
    delivery schedule."""
    deliver_messages(due_message_ids(now=utcnow(), limit=100, appraisal_id=appraisal_id))


def install() -> HandOver[FollowUps]:
    """Start handing follow-ups over in this process (the app does it as it is made)."""
    global _installed
    if _installed is None:
        _installed = HandOver(follow_up, threads=THREADS, name="follow-ups")
    return _installed


def hand_over(work: FollowUps) -> None:
    """Pass committed work on, when the portal runs in this process; otherwise leave it to
    the schedules."""
    if work and _installed is not None:
        _installed.send(work)


def idle() -> bool:
    """Nothing handed over is waiting or in hand (tests wait for this)."""
    return _installed is None or _installed.idle
