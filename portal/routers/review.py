"""The appraiser's queue and review: commentary, objectives, plan, FPPT, agree or return."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from appraisal_store.actors import Actor
from appraisal_store.errors import InvalidTransition, NotAllowed, ValidationFailed
from appraisal_store.lifecycle import TRANSITIONS, Party, check_edit, check_transition
from appraisal_store.models import Appraisal, AppraisalMeeting
from appraisal_store.queries import appraiser_queue
from appraisal_store.services import meetings, review
from appraisal_store.services.access import get_appraisal
from appraisal_store.services.steps import AppraisalContext, begin, context_of
from appraisal_store.vocabulary import FPPTStatus, ObjectiveKind

from ..appraisal_views import SCALE_OPTIONS, domain_ids, show_reviewed_appraisal
from ..deps import Csrf, CurrentPerson, SignedIn
from ..paths import RecordId
from ..rendering import FormErrors, render
from ..store import read_session, write_session

router = APIRouter()
OBJECTIVE_ROWS = 4
ACTION_ROWS = 3
FPPT_STATUSES = {s.value for s in FPPTStatus}
FIELDS = {"objectives": "objective-1-text", "development_plan": "action-1-need",
          "fppt": "fppt-status", "meeting_date": "meeting-section", "reason": "reason",
          "last_assessed_on": "last_assessed_on"}


@router.get("/queue")
def queue(request: Request, me: CurrentPerson) -> Response:
    with read_session() as session:
        rows = appraiser_queue(session, me.person.id)
    return render(request, "review/queue.html", {"rows": rows, "today": date.today()})


def _page(request: Request, me: SignedIn, appraisal_id: int, *, errors: FormErrors | None = None,
          posted: dict[str, str] | None = None, saved: str = "") -> Response:
    view = show_reviewed_appraisal(me.actor, appraisal_id)
    with read_session() as session:
        meeting = meetings.open_meeting(session, appraisal_id)
    return render(request, "review/review.html", {
        "view": view, "scale": SCALE_OPTIONS, "meeting": meeting and MeetingSummary(meeting),
        "meeting_arranging": meetings.arranging(view.appraisal), "errors": errors or FormErrors(),
        "posted": posted or {}, "saved": saved, "objective_rows": OBJECTIVE_ROWS,
        "action_rows": ACTION_ROWS, "kinds": list(ObjectiveKind), "fppt_statuses": list(FPPTStatus),
    }, status_code=400 if errors else 200)


@router.get("/review/{appraisal_id}")
def review_page(request: Request, appraisal_id: RecordId, me: CurrentPerson,
                saved: str = "") -> Response:
    return _page(request, me, appraisal_id, saved=saved)


# The lifecycle step each form takes: who may take it, and when, is checked before anything
# the form says is read, so a person who may not act learns that and nothing else.
STEP_ACTIONS = {"begin": "begin_review", "commentary": "edit_review", "objectives": "edit_review",
                "plan": "edit_review", "fppt": "edit_review", "agree": "agree",
                "return": "return_for_changes"}


def _may_take(session: Session, me: SignedIn, appraisal_id: int, step: str) -> None:
    """NotFound, NotAllowed or InvalidTransition unless the actor may take ``step`` now."""
    appraisal, parties = begin(session, me.actor, appraisal_id)
    action = STEP_ACTIONS[step]
    if action in TRANSITIONS:
        check_transition(action, appraisal.state, parties)
    else:
        check_edit(action, appraisal.state, parties)


async def _act(request: Request, me: SignedIn, appraisal_id: int, step: str,
               action: Callable[[Session, FormData], object]) -> Response:
    """Run one service call; on a refusal show the page again with the reason and the input."""
    form = await request.form()
    # Off the event loop: a wait for the store's write lock holds up this request only.
    return await run_in_threadpool(_run_action, request, me, appraisal_id, step, action, form)


def _run_action(request: Request, me: SignedIn, appraisal_id: int, step: str,
                action: Callable[[Session, FormData], object], form: FormData) -> Response:
    try:
        with write_session() as session:
            _may_take(session, me, appraisal_id, step)
            action(session, form)
    except (ValidationFailed, InvalidTransition) as error:
        if isinstance(error, ValidationFailed):
            errors = FormErrors.from_problems(error.summary, error.problems,
                                              default_field=f"{step}-form", fields=FIELDS)
        else:
            errors = FormErrors()
            errors.add(f"{step}-form", error.message)
        posted = {k: str(v) for k, v in form.items()}
        return _page(request, me, appraisal_id, errors=errors, posted=posted)
    return RedirectResponse(f"/review/{appraisal_id}?saved={step}#{step}-form",
                            status_code=303)


@router.post("/review/{appraisal_id}/begin")
async def begin_review(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    return await _act(request, me, appraisal_id, "begin", lambda session, _: review.begin_review(
        session=session, actor=me.actor, appraisal_id=appraisal_id))


def _date(text: str, field: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise ValidationFailed("Check the date.", [f"{field}: enter a real date, like "
                                                   "2026-01-27"]) from error


@router.post("/review/{appraisal_id}/commentary")
async def save_commentary(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    def save(session: Session, form: FormData) -> None:
        domains = domain_ids(session, me.actor, appraisal_id)
        review.save_review(
            session=session, actor=me.actor, appraisal_id=appraisal_id,
            commentary={d: str(form.get(f"commentary-{d}", "")) for d in domains},
            views={d: str(form.get(f"view-{d}") or "") or None for d in domains},
            msf_summary=str(form.get("msf_summary", "")),
            appraiser_comments=str(form.get("appraiser_comments", "")))

    return await _act(request, me, appraisal_id, "commentary", save)


@router.post("/review/{appraisal_id}/objectives")
async def save_objectives(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    def save(session: Session, form: FormData) -> None:
        objectives = [
            review.ObjectiveInput(kind=str(form.get(f"objective-{i}-kind") or "personal"),
                                  text=str(form.get(f"objective-{i}-text", "")),
                                  measure=str(form.get(f"objective-{i}-measure", "")))
            for i in range(1, OBJECTIVE_ROWS + 1)
            if str(form.get(f"objective-{i}-text", "")).strip()]
        review.set_objectives(session=session, actor=me.actor, appraisal_id=appraisal_id,
                              objectives=objectives)

    return await _act(request, me, appraisal_id, "objectives", save)


@router.post("/review/{appraisal_id}/plan")
async def save_plan(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    def save(session: Session, form: FormData) -> None:
        actions = [
            review.DevelopmentInput(need=str(form.get(f"action-{i}-need", "")),
                                    action=str(form.get(f"action-{i}-action", "")),
                                    timescale=str(form.get(f"action-{i}-timescale", "")))
            for i in range(1, ACTION_ROWS + 1)
            if str(form.get(f"action-{i}-need", "")).strip()
            or str(form.get(f"action-{i}-action", "")).strip()]
        review.set_development_plan(session=session, actor=me.actor,
                                    appraisal_id=appraisal_id, actions=actions)

    return await _act(request, me, appraisal_id, "plan", save)


@router.post("/review/{appraisal_id}/fppt")
async def confirm_fppt(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    def confirm(session: Session, form: FormData) -> None:
        status = str(form.get("status", ""))
        problems = []
        if status not in FPPT_STATUSES:
            problems.append("fppt: choose whether they are still fit and proper")
        assessed = None
        try:
            assessed = _date(str(form.get("last_assessed_on", "")), "last_assessed_on")
        except ValidationFailed as error:
            problems += error.problems
        if assessed is None and not problems:
            problems.append("last_assessed_on: enter the date of the last FPPT assessment")
        if problems or assessed is None:
            raise ValidationFailed("The FPPT confirmation was not saved.", problems)
        review.confirm_fppt(session=session, actor=me.actor,
                            appraisal_id=appraisal_id, last_assessed_on=assessed,
                            status=status, notes=str(form.get("notes", "")))

    return await _act(request, me, appraisal_id, "fppt", confirm)


@router.post("/review/{appraisal_id}/agree")
async def agree(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    return await _act(request, me, appraisal_id, "agree", lambda session, _: review.agree(
        session=session, actor=me.actor, appraisal_id=appraisal_id))


@router.post("/review/{appraisal_id}/return")
async def return_for_changes(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    return await _act(request, me, appraisal_id, "return", lambda session, form: (
        review.return_for_changes(session=session, actor=me.actor, appraisal_id=appraisal_id,
                                  reason=str(form.get("reason", "")))))


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
                       meetings.arranging(appraisal), meeting and MeetingSummary(meeting))


def _meeting_page(request: Request, me: SignedIn, appraisal_id: int, *,
                  errors: FormErrors | None = None, posted: dict[str, str] | None = None
                  ) -> Response:
    with read_session() as session:
        page = meeting_page_of(session, me.actor, appraisal_id)
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
    }, status_code=400 if errors else 200)


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
        with write_session() as session:
            action(session)
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
