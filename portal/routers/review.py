"""The appraiser's queue and review: commentary, objectives, plan, FPPT, agree or return."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from appraisal_store.errors import InvalidTransition, ValidationFailed
from appraisal_store.queries import appraiser_queue
from appraisal_store.services import review
from appraisal_store.vocabulary import FPPTStatus, ObjectiveKind
from competencies.scale import ScaleLabel

from ..appraisal_views import SCALE_OPTIONS, domain_ids, show_reviewed_appraisal
from ..deps import Csrf, CurrentPerson, SignedIn
from ..rendering import FormErrors, render
from ..store import read_session, write_session

router = APIRouter()
OBJECTIVE_ROWS = 4
ACTION_ROWS = 3
FIELDS = {"objectives": "objective-1-text", "development_plan": "action-1-need",
          "fppt": "fppt-status", "meeting_date": "meeting_date", "reason": "reason",
          "last_assessed_on": "last_assessed_on"}


@router.get("/queue")
def queue(request: Request, me: CurrentPerson) -> Response:
    with read_session() as session:
        rows = appraiser_queue(session, me.person.id)
    return render(request, "review/queue.html", {"rows": rows, "today": date.today()})


def _page(request: Request, me: SignedIn, appraisal_id: int, *, errors: FormErrors | None = None,
          posted: dict[str, str] | None = None, saved: str = "") -> Response:
    view = show_reviewed_appraisal(me.actor, appraisal_id)
    return render(request, "review/review.html", {
        "view": view, "scale": SCALE_OPTIONS, "errors": errors or FormErrors(),
        "posted": posted or {}, "saved": saved, "objective_rows": OBJECTIVE_ROWS,
        "action_rows": ACTION_ROWS, "kinds": list(ObjectiveKind), "fppt_statuses": list(FPPTStatus),
    }, status_code=400 if errors else 200)


@router.get("/review/{appraisal_id}")
def review_page(request: Request, appraisal_id: int, me: CurrentPerson,
                saved: str = "") -> Response:
    return _page(request, me, appraisal_id, saved=saved)


async def _act(request: Request, me: SignedIn, appraisal_id: int, step: str,
               action: Callable[[Session], object]) -> Response:
    """Run one service call; on a refusal show the page again with the reason and the input."""
    form = await request.form()
    posted = {k: str(v) for k, v in form.items()}
    # Off the event loop: a wait for the store's write lock holds up this request only.
    return await run_in_threadpool(_run_action, request, me, appraisal_id, step, action, posted)


def _run_action(request: Request, me: SignedIn, appraisal_id: int, step: str,
                action: Callable[[Session], object], posted: dict[str, str]) -> Response:
    try:
        with write_session() as session:
            action(session)
    except (ValidationFailed, InvalidTransition) as error:
        if isinstance(error, ValidationFailed):
            errors = FormErrors.from_problems(error.summary, error.problems,
                                              default_field=f"{step}-form", fields=FIELDS)
        else:
            errors = FormErrors()
            errors.add(f"{step}-form", error.message)
        return _page(request, me, appraisal_id, errors=errors, posted=posted)
    return RedirectResponse(f"/review/{appraisal_id}?saved={step}#{step}-form",
                            status_code=303)


@router.post("/review/{appraisal_id}/begin")
async def begin(request: Request, appraisal_id: int, me: Csrf) -> Response:
    return await _act(request, me, appraisal_id, "begin", lambda session: review.begin_review(
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
async def save_commentary(request: Request, appraisal_id: int, me: Csrf) -> Response:
    form = await request.form()

    def save(session: Session) -> None:
        domains = domain_ids(session, me.actor, appraisal_id)
        views = {d: (ScaleLabel(str(form[f"view-{d}"])) if form.get(f"view-{d}") else None)
                 for d in domains}
        review.save_review(
            session=session, actor=me.actor, appraisal_id=appraisal_id,
            commentary={d: str(form.get(f"commentary-{d}", "")) for d in domains},
            views=views, meeting_date=_date(str(form.get("meeting_date", "")), "meeting_date"),
            msf_summary=str(form.get("msf_summary", "")),
            appraiser_comments=str(form.get("appraiser_comments", "")))

    return await _act(request, me, appraisal_id, "commentary", save)


@router.post("/review/{appraisal_id}/objectives")
async def save_objectives(request: Request, appraisal_id: int, me: Csrf) -> Response:
    form = await request.form()
    objectives = [
        review.ObjectiveInput(kind=ObjectiveKind(str(form.get(f"objective-{i}-kind") or
                                                     "personal")),
                              text=str(form.get(f"objective-{i}-text", "")),
                              measure=str(form.get(f"objective-{i}-measure", "")))
        for i in range(1, OBJECTIVE_ROWS + 1) if str(form.get(f"objective-{i}-text", "")).strip()]
    return await _act(request, me, appraisal_id, "objectives", lambda session: (
        review.set_objectives(session=session, actor=me.actor, appraisal_id=appraisal_id,
                              objectives=objectives)))


@router.post("/review/{appraisal_id}/plan")
async def save_plan(request: Request, appraisal_id: int, me: Csrf) -> Response:
    form = await request.form()
    actions = [
        review.DevelopmentInput(need=str(form.get(f"action-{i}-need", "")),
                                action=str(form.get(f"action-{i}-action", "")),
                                timescale=str(form.get(f"action-{i}-timescale", "")))
        for i in range(1, ACTION_ROWS + 1)
        if str(form.get(f"action-{i}-need", "")).strip()
        or str(form.get(f"action-{i}-action", "")).strip()]
    return await _act(request, me, appraisal_id, "plan", lambda session: (
        review.set_development_plan(session=session, actor=me.actor, appraisal_id=appraisal_id,
                                    actions=actions)))


@router.post("/review/{appraisal_id}/fppt")
async def confirm_fppt(request: Request, appraisal_id: int, me: Csrf,
                       last_assessed_on: Annotated[str, Form()] = "",
                       status: Annotated[str, Form()] = "",
                       notes: Annotated[str, Form()] = "") -> Response:
    def confirm(session: Session) -> None:
        problems = []
        if status not in {s.value for s in FPPTStatus}:
            problems.append("fppt: choose whether they are still fit and proper")
        assessed = None
        try:
            assessed = _date(last_assessed_on, "last_assessed_on")
        except ValidationFailed as error:
            problems += error.problems
        if assessed is None and not problems:
            problems.append("last_assessed_on: enter the date of the last FPPT assessment")
        if problems or assessed is None:
            raise ValidationFailed("The FPPT confirmation was not saved.", problems)
        review.confirm_fppt(session=session, actor=me.actor,
                            appraisal_id=appraisal_id, last_assessed_on=assessed,
                            status=FPPTStatus(status), notes=notes)

    return await _act(request, me, appraisal_id, "fppt", confirm)


@router.post("/review/{appraisal_id}/agree")
async def agree(request: Request, appraisal_id: int, me: Csrf) -> Response:
    return await _act(request, me, appraisal_id, "agree", lambda session: review.agree(
        session=session, actor=me.actor, appraisal_id=appraisal_id))


@router.post("/review/{appraisal_id}/return")
async def return_for_changes(request: Request, appraisal_id: int, me: Csrf,
                             reason: Annotated[str, Form()] = "") -> Response:
    return await _act(request, me, appraisal_id, "return", lambda session: (
        review.return_for_changes(session=session, actor=me.actor, appraisal_id=appraisal_id,
                                  reason=reason)))
