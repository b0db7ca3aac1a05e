"""The appraiser's queue, and the appraisal meeting's page (schedule, move and cancel).

The review itself, a task list with a page per section, is ``review_tasks``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from appraisal_store.actors import Actor
from appraisal_store.errors import InvalidTransition, NotAllowed, ValidationFailed
from appraisal_store.lifecycle import Party
from appraisal_store.models import Appraisal, AppraisalMeeting
from appraisal_store.queries import appraiser_queue
from appraisal_store.services import meetings
from appraisal_store.services.access import get_appraisal
from appraisal_store.services.appraisal_changes import AppraisalContext, begin, context_of
from appraisal_store.services.parked_forms import discard_parked_form, parked_form

from ..deps import Csrf, CurrentPerson, SignedIn, clock_of
from ..paths import RecordId
from ..rendering import FormErrors, render
from ..store import read_session, unit_of_work

router = APIRouter()


@router.get("/queue")
def queue(request: Request, me: CurrentPerson) -> Response:
    with read_session() as session:
        rows = appraiser_queue(session, me.person.id)
    return render(request, "review/queue.html", {"rows": rows, "today": date.today()})


# The appraisal meeting: scheduled, moved and cancelled on a page of its own.

MEETING_FIELDS = {"meeting_date": "meeting-date-day", "meeting_time": "meeting-time",
                  "duration": "meeting-duration", "place": "meeting-place"}
DEFAULT_MINUTES = 60


@dataclass(frozen=True)
class MeetingSummary:
    """The meeting as a page says it: Tuesday 3 March 2026 at 2:30pm, 1 hour, the place."""

    meeting: AppraisalMeeting

    @property
    def when(self) -> str:
        return meetings.meeting_words(self.meeting.starts_at)

    @property
    def length(self) -> str:
        return meetings.duration_words(self.meeting.duration_minutes)


@dataclass(frozen=True)
class MeetingPage:
    appraisal: Appraisal
    context: AppraisalContext
    is_appraiser: bool
    arranging: bool
    meeting: MeetingSummary | None


def meeting_page_of(session: Session, actor: Actor, appraisal_id: int) -> MeetingPage:
    appraisal, parties = get_appraisal(session, actor, appraisal_id)
    meeting = meetings.open_meeting(session, appraisal_id)
    return MeetingPage(appraisal, context_of(session, appraisal), Party.APPRAISER in parties,
                       meetings.arranging(appraisal), MeetingSummary(meeting) if meeting else None)


def _meeting_page(request: Request, me: SignedIn, appraisal_id: int, *,
                  errors: FormErrors | None = None, posted: dict[str, str] | None = None
                  ) -> Response:
    restored = False
    with read_session() as session:
        page = meeting_page_of(session, me.actor, appraisal_id)
        if posted is None and page.is_appraiser and page.arranging:
            # A form posted after the session ended, kept for its author (portal.parking).
            posted = parked_form(session=session, person_id=me.person.id,
                                 path=request.url.path, now=clock_of(request))
            restored = posted is not None
    values = dict(posted or {})
    if posted is None and page.meeting:
        held = page.meeting.meeting
        start = held.starts_at
        values = {"meeting-day": str(start.day), "meeting-month": str(start.month),
                  "meeting-year": str(start.year), "meeting-time": f"{start:%H:%M}",
                  "meeting-duration": str(held.duration_minutes), "meeting-place": held.place}
    values.setdefault("meeting-duration", str(DEFAULT_MINUTES))
    return render(request, "review/meeting.html", {
        "page": page, "errors": errors or FormErrors(), "values": values,
        "restored": restored}, status_code=400 if errors else 200)


@router.get("/review/{appraisal_id}/meeting")
def meeting_page(request: Request, appraisal_id: RecordId, me: CurrentPerson) -> Response:
    return _meeting_page(request, me, appraisal_id)


def _meeting_time(text: str) -> time | None:
    """14:30, 2:30pm, 2.30 pm, 2pm, midday; None if it is none of these."""
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned in ("midday", "noon", "12noon"):
        return time(12, 0)
    match = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?(am|pm)?", cleaned)
    if not match or (match.group(2) is None and match.group(3) is None):
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _meeting_input(form: dict[str, str]) -> tuple[datetime, int, str]:
    """The meeting page's fields as the service takes them, or every problem at once."""
    problems = []
    parts = {name: form.get(f"meeting-{name}", "").strip() for name in ("day", "month", "year")}
    day = None
    if not any(parts.values()):
        problems.append("meeting_date: enter the date of the meeting")
    elif missing := [name for name, value in parts.items() if not value]:
        problems.append(f"meeting_date: the date of the meeting must include a "
                        f"{' and a '.join(missing)}")
    else:
        try:
            if len(parts["year"]) != 4:
                raise ValueError(parts["year"])
            day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError:
            problems.append("meeting_date: the date of the meeting must be a real date")
    start = _meeting_time(form.get("meeting-time", ""))
    if not form.get("meeting-time", "").strip():
        problems.append("meeting_time: enter the start time of the meeting")
    elif start is None:
        problems.append("meeting_time: enter a real start time, like 14:30 or 2:30pm")
    try:
        minutes = int(form.get("meeting-duration", "").strip())
    except ValueError:
        minutes = 0
        problems.append("duration: enter how long the meeting lasts in minutes, like 60")
    place = form.get("meeting-place", "")
    if problems:
        if not place.strip():
            problems.append("place: say where the meeting is, or give the video link")
        raise ValidationFailed("The meeting was not saved.", problems)
    assert day is not None and start is not None
    return datetime.combine(day, start), minutes, place


def _may_arrange(session: Session, me: SignedIn, appraisal_id: int) -> None:
    """NotFound, NotAllowed or InvalidTransition unless the actor may arrange the meeting."""
    appraisal, parties = begin(session, me.actor, appraisal_id)
    if Party.APPRAISER not in parties:
        raise NotAllowed("Only the appraiser can arrange the appraisal meeting.")
    meetings.check_arranging(appraisal)


@router.post("/review/{appraisal_id}/meeting")
async def save_meeting(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    form = await request.form()
    posted = {k: str(v) for k, v in form.items()}

    def save(session: Session) -> None:
        _may_arrange(session, me, appraisal_id)  # who before what
        starts_at, minutes, place = _meeting_input(posted)
        arrange = (meetings.move_meeting if meetings.open_meeting(session, appraisal_id)
                   else meetings.schedule_meeting)
        arrange(session=session, actor=me.actor, appraisal_id=appraisal_id,
                starts_at=starts_at, duration_minutes=minutes, place=place)

    return await run_in_threadpool(_run_meeting_action, request, me, appraisal_id, save, posted)


@router.post("/review/{appraisal_id}/meeting/cancel")
async def cancel_meeting(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    return await run_in_threadpool(
        _run_meeting_action, request, me, appraisal_id,
        lambda session: meetings.cancel_meeting(session=session, actor=me.actor,
                                                appraisal_id=appraisal_id), {})


def _run_meeting_action(request: Request, me: SignedIn, appraisal_id: int,
                        action: Callable[[Session], object], posted: dict[str, str]
                        ) -> Response:
    try:
        with unit_of_work() as session:
            action(session)
            # Saved: a copy parked when the session ended goes in the same transaction.
            discard_parked_form(session=session, person_id=me.person.id,
                                path=f"/review/{appraisal_id}/meeting")
    except (ValidationFailed, InvalidTransition) as error:
        if isinstance(error, ValidationFailed):
            errors = FormErrors.from_problems(error.summary, error.problems,
                                              default_field="meeting-form",
                                              fields=MEETING_FIELDS)
        else:
            errors = FormErrors()
            errors.add("meeting-form", error.message)
        return _meeting_page(request, me, appraisal_id, errors=errors, posted=posted)
    return RedirectResponse(f"/review/{appraisal_id}?saved=meeting#meeting-section",
                            status_code=303)
