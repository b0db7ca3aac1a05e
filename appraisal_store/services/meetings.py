"""The appraisal meeting: the appraiser schedules, moves and cancels it; both are invited.

Each change is audited and queues a calendar invitation for both parties in the same
transaction. One meeting keeps one UID for good and raises its SEQUENCE on every change,
so a calendar updates the event it already holds instead of adding another.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import record_event
from ..clock import moment_of
from ..date_words import long_date
from ..errors import InvalidTransition, NotAllowed, ValidationFailed
from ..lifecycle import Party
from ..links import Page, for_reader
from ..models import Appraisal, AppraisalMeeting, Cycle, Person
from ..names import text_problem
from ..outbox import QueuedMessage, queue_messages
from ..vocabulary import AppraisalState
from .appraisal_changes import begin, context_of

LONDON = ZoneInfo("Europe/London")
MIN_MINUTES, MAX_MINUTES = 15, 8 * 60
MAX_PLACE = 500
# From the first submission until the appraisal is agreed: the meeting is where the review
# is discussed, and after agreement the record prints the meeting that was held.
ARRANGING_STATES = frozenset({AppraisalState.SUBMITTED, AppraisalState.IN_REVIEW,
                              AppraisalState.RETURNED, AppraisalState.IN_PREPARATION})
TEMPLATES = {"schedule": "meeting_invitation", "move": "meeting_moved",
             "cancel": "meeting_cancelled"}


def open_meeting(session: Session, appraisal_id: int) -> AppraisalMeeting | None:
    """The appraisal's meeting that is not cancelled, if there is one."""
    return session.execute(select(AppraisalMeeting).where(
        col(AppraisalMeeting.appraisal_id) == appraisal_id,
        col(AppraisalMeeting.cancelled_at).is_(None),
    ).order_by(col(AppraisalMeeting.id).desc())).scalars().first()


def schedule_meeting(*, session: Session, actor: Actor, appraisal_id: int, starts_at: datetime,
                     duration_minutes: int, place: str) -> AppraisalMeeting:
    """The appraiser schedules the appraisal meeting; both parties are sent an invitation.

    Args:
        starts_at: the start as a wall-clock time in Europe/London (no time zone).
        duration_minutes: from 15 minutes to 8 hours.
        place: where the meeting is, or the video link.

    Raises:
        NotAllowed: the actor is not the appraiser.
        InvalidTransition: the appraisal is not between submission and agreement, or a
            meeting is already scheduled (move it instead).
        ValidationFailed: each problem with the time, the duration or the place.
    """
    appraisal = _arranging(session, actor, appraisal_id, "schedule the appraisal meeting")
    if open_meeting(session, appraisal_id) is not None:
        raise InvalidTransition("The appraisal meeting is already scheduled: change the "
                                "existing meeting or cancel it.")
    start, minutes, where = _checked(session, appraisal, starts_at, duration_minutes, place,
                                     "The meeting was not scheduled.")
    meeting = AppraisalMeeting(
        appraisal_id=appraisal_id, uid=f"{uuid.uuid4().hex}@board-appraisal",
        organiser_id=actor.person_id or 0, starts_at=start, duration_minutes=minutes,
        place=where, sequence=0, created_at=moment_of(session), updated_at=moment_of(session))
    session.add(meeting)
    session.flush()
    _record(session, actor, appraisal, meeting, "schedule")
    return meeting


def move_meeting(*, session: Session, actor: Actor, appraisal_id: int, starts_at: datetime,
                 duration_minutes: int, place: str) -> AppraisalMeeting:
    """The appraiser moves the meeting (time, length or place); both are sent the update.

    Changing nothing changes nothing: no new sequence and no email.

    Raises:
        NotAllowed: the actor is not the appraiser.
        InvalidTransition: no meeting is scheduled, or the appraisal is past agreement.
        ValidationFailed: each problem with the time, the duration or the place.
    """
    appraisal = _arranging(session, actor, appraisal_id, "change the appraisal meeting")
    meeting = _required(session, appraisal_id)
    start, minutes, where = _checked(session, appraisal, starts_at, duration_minutes, place,
                                     "The meeting was not changed.")
    if (start, minutes, where) == (meeting.starts_at, meeting.duration_minutes, meeting.place):
        return meeting
    before = {"starts_at": meeting.starts_at.isoformat(), "place": meeting.place}
    meeting.starts_at, meeting.duration_minutes, meeting.place = start, minutes, where
    meeting.sequence += 1
    meeting.updated_at = moment_of(session)
    session.add(meeting)
    _record(session, actor, appraisal, meeting, "move", before=before)
    return meeting


def cancel_meeting(*, session: Session, actor: Actor, appraisal_id: int) -> AppraisalMeeting:
    """Cancel the meeting; both are sent the cancellation (METHOD:CANCEL).

    The appraiser may cancel it, and so may the organisation's administrators (the
    appraiser may be away).

    Raises:
        NotAllowed: the actor is neither the appraiser nor an administrator.
        InvalidTransition: no meeting is scheduled, or the appraisal is past agreement.
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    if not parties & {Party.APPRAISER, Party.ADMINISTRATOR, Party.SYSTEM}:
        raise NotAllowed("Only the appraiser or an administrator can cancel the appraisal "
                         "meeting.")
    check_arranging(appraisal, "cancel the appraisal meeting")
    meeting = _required(session, appraisal_id)
    _cancel(session, actor, appraisal, meeting)
    return meeting


def cancel_for_closure(session: Session, actor: Actor, appraisal: Appraisal, *,
                       now: datetime | None = None) -> AppraisalMeeting | None:
    """When an appraisal is withdrawn or deferred, cancel its meeting if it is still to come.

    A meeting already held stays on the record as it was. Runs in the closing transaction.
    """
    meeting = open_meeting(session, appraisal.id or 0)
    if meeting is None or _as_utc(meeting.starts_at) <= (now or moment_of(session)):
        return None
    _cancel(session, actor, appraisal, meeting)
    return meeting


def _cancel(session: Session, actor: Actor, appraisal: Appraisal,
            meeting: AppraisalMeeting) -> None:
    meeting.cancelled_at = meeting.updated_at = moment_of(session)
    meeting.sequence += 1
    session.add(meeting)
    _record(session, actor, appraisal, meeting, "cancel")


def _arranging(session: Session, actor: Actor, appraisal_id: int, what: str) -> Appraisal:
    appraisal, parties = begin(session, actor, appraisal_id)
    if Party.APPRAISER not in parties:
        raise NotAllowed(f"Only the appraiser can {what}.")
    check_arranging(appraisal, what)
    return appraisal


def check_arranging(appraisal: Appraisal, what: str = "arrange the appraisal meeting") -> None:
    """Raise InvalidTransition unless the meeting may be arranged in the appraisal's state."""
    # In preparation only after a return: before the first submission there is nothing to
    # discuss yet.
    arranging = appraisal.state in ARRANGING_STATES and not (
        appraisal.state is AppraisalState.IN_PREPARATION and appraisal.revision == 1)
    if not arranging:
        raise InvalidTransition(
            f"You cannot {what} while the appraisal is {appraisal.state.label.lower()}; the "
            "meeting is arranged between the submission of the self-assessment and the "
            "agreement.")


def arranging(appraisal: Appraisal) -> bool:
    """Whether the meeting may be arranged now (see ``check_arranging``)."""
    try:
        check_arranging(appraisal)
    except InvalidTransition:
        return False
    return True


def _required(session: Session, appraisal_id: int) -> AppraisalMeeting:
    meeting = open_meeting(session, appraisal_id)
    if meeting is None:
        raise InvalidTransition("No appraisal meeting is scheduled: schedule it first.")
    return meeting


def _checked(session: Session, appraisal: Appraisal, starts_at: datetime, duration_minutes: int,
             place: str, summary: str) -> tuple[datetime, int, str]:
    """The meeting's input, normalised, or every problem with it at once."""
    problems = []
    start = starts_at.replace(tzinfo=None, second=0, microsecond=0)
    earliest = session.execute(select(col(Cycle.starts_on)).where(
        col(Cycle.id) == appraisal.cycle_id)).scalar_one()
    latest = appraisal.sign_off_due + timedelta(days=365)
    if not earliest <= start.date() <= latest:
        problems.append(f"meeting_date: the date of the meeting must be between "
                        f"{long_date(earliest)} and {long_date(latest)}")
    elif not exists_in_london(start):
        problems.append(f"meeting_time: {start:%H:%M} does not exist on {long_date(start)}, "
                        "when the clocks go forward: choose another time")
    if not MIN_MINUTES <= duration_minutes <= MAX_MINUTES:
        problems.append(f"duration: the meeting must last between {MIN_MINUTES} minutes and "
                        f"{MAX_MINUTES // 60} hours")
    where = " ".join(place.split())
    if (problem := text_problem(where, longest=MAX_PLACE)) and "contains" in problem:
        problems.append(f"place: the place {problem}")
    elif not where:
        problems.append("place: say where the meeting is, or give the video link")
    elif len(where) > MAX_PLACE:
        problems.append(f"place: the place must be {MAX_PLACE} characters or fewer")
    if problems:
        raise ValidationFailed(summary, problems)
    return start, duration_minutes, where


def exists_in_london(wall_time: datetime) -> bool:
    """False for a time the clocks skip (01:30 on the last Sunday of March)."""
    local = wall_time.replace(tzinfo=LONDON)
    return local.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) == wall_time


def _as_utc(wall_time: datetime) -> datetime:
    return wall_time.replace(tzinfo=LONDON).astimezone(UTC)


def _record(session: Session, actor: Actor, appraisal: Appraisal, meeting: AppraisalMeeting,
            change: str, *, before: dict[str, str] | None = None) -> None:
    """Audit the change and queue both parties' invitations, in the caller's transaction."""
    record_event(session, actor, f"{change}_meeting", subject_type="appraisal",
                 subject_id=appraisal.id or 0, organisation_id=appraisal.organisation_id,
                 details={"uid": meeting.uid, "sequence": meeting.sequence,
                          "starts_at": meeting.starts_at.isoformat(),
                          "duration_minutes": meeting.duration_minutes,
                          **({"from": before["starts_at"]} if before else {})})
    context = context_of(session, appraisal)
    organiser = session.get(Person, meeting.organiser_id)
    assert organiser is not None
    attendees = [(appraisal.appraisee_id, context.appraisee_name, context.appraisee_email)]
    if appraisal.appraiser_id is not None and context.appraiser_email:
        attendees.append((appraisal.appraiser_id, context.appraiser_name or "",
                          context.appraiser_email))
    details: dict[str, Any] = {
        "uid": meeting.uid, "sequence": meeting.sequence,
        "method": "CANCEL" if change == "cancel" else "REQUEST",
        "starts_at": meeting.starts_at.isoformat(), "duration_minutes": meeting.duration_minutes,
        "place": meeting.place, "stamp": (meeting.updated_at or moment_of(session)).isoformat(),
        "organiser": {"name": organiser.name, "email": organiser.email},
        "attendees": [{"name": name, "email": email} for _, name, email in attendees],
    }
    if before:
        details["previous_starts_at"], details["previous_place"] = (
            before["starts_at"], before["place"])
    payload = context.payload(due=appraisal.review_due, meeting=details,
                              state=appraisal.state.value)
    queue_messages(session, [
        QueuedMessage(f"meeting:{meeting.uid}:{meeting.sequence}:{person_id}",
                      TEMPLATES[change], email, name, appraisal.id,
                      payload | for_reader(Page.APPRAISAL if person_id == appraisal.appraisee_id
                                           else Page.REVIEW))
        for person_id, name, email in attendees])
    appraisal.meeting_date = None if change == "cancel" else meeting.starts_at.date()
    appraisal.updated_at = moment_of(session)
    session.add(appraisal)


def clock_time(moment: datetime) -> str:
    """2:30pm, 2pm, midday, midnight (the NHS and GOV.UK style for times)."""
    if (moment.hour, moment.minute) == (12, 0):
        return "midday"
    if (moment.hour, moment.minute) == (0, 0):
        return "midnight"
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"


def meeting_words(starts_at: datetime) -> str:
    """Tuesday 3 March 2026 at 2:30pm."""
    return f"{starts_at:%A} {long_date(starts_at)} at {clock_time(starts_at)}"


def duration_words(minutes: int) -> str:
    """1 hour 30 minutes, 45 minutes, 2 hours."""
    hours, rest = divmod(minutes, 60)
    parts = ([f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []) + (
        [f"{rest} minute{'s' if rest != 1 else ''}"] if rest else [])
    return " ".join(parts)
