"""The appraiser's review as a task list: one thing per page, each with its own save.

The list (``/review/{id}``) links to a page per section: the commentary on each domain, the
multi-source feedback summary, last year's objectives, this year's objectives, the
development plan, the FPPT confirmation, the meeting (its own page) and agree or return.
A save on one page writes that section only, so nothing typed on one page is lost by an
action on another. A section's status is derived from what it holds
(``portal.review_task_list``), not ticked by hand: "Completed" means the section has what
the national form needs.

A form posted after the session ended is parked (``portal.parking``); the page shows it
again, filled in, once its author has signed in, and the parked copy goes with the save.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from appraisal_store.errors import InvalidTransition, ValidationFailed
from appraisal_store.feedback_summary import round_status
from appraisal_store.lifecycle import TRANSITIONS, check_edit, check_transition
from appraisal_store.services import meetings, review
from appraisal_store.services.appraisal_changes import begin as begin_step
from appraisal_store.services.parked_forms import discard_parked_form, parked_form
from appraisal_store.services.review_objectives import (
    CarriedObjectiveReview,
    DevelopmentInput,
    ObjectiveInput,
    review_previous_objectives,
    set_development_plan,
    set_objectives,
)
from appraisal_store.vocabulary import FPPTStatus, ObjectiveKind, ObjectiveOutcome

from ..appraisal_views import SCALE_OPTIONS, AppraisalView, domain_of, show_reviewed_appraisal
from ..dates import date_from_form
from ..deps import Csrf, CurrentPerson, SignedIn, request_store
from ..feedback_views import feedback_view
from ..paths import RecordId
from ..rendering import FormErrors, render
from ..review_task_list import tasks

router = APIRouter(prefix="/review/{appraisal_id}")
# Rows shown on the objectives and plan pages: at least these, and always one spare.
OBJECTIVE_ROWS = 4
ACTION_ROWS = 3
MAX_ROWS = 20
KINDS = [(k.value, k.label) for k in ObjectiveKind]
OUTCOMES = [(o.value, o.label) for o in ObjectiveOutcome]
FPPT_OPTIONS = [("fit_and_proper", "Yes"), ("not_fit_and_proper", "No"),
                ("under_review", "Under review")]


def _editing(view: AppraisalView) -> bool:
    return "appraiser" in {p.value for p in view.parties} and \
        view.appraisal.state.value == "in_review"


def _parked(request: Request, me: SignedIn) -> dict[str, str] | None:
    with request_store(request).read() as session:
        return parked_form(session=session, person_id=me.person.id, path=request.url.path,
                           now=request_store(request).now)


def _page(request: Request, me: SignedIn, appraisal_id: int, template: str, *,
          errors: FormErrors | None = None, posted: Mapping[str, Any] | None = None,
          **extra: Any) -> Response:
    view = show_reviewed_appraisal(request_store(request), me.actor, appraisal_id)
    if "domain_id" in extra:
        extra["domain"] = domain_of(view.framework, extra["domain_id"])
    editing = _editing(view)
    restored = False
    if posted is None and editing:
        kept = _parked(request, me)
        if kept is not None:
            posted, restored = kept, True
    with request_store(request).read() as session:
        meeting = meetings.open_meeting(session, appraisal_id)
        round_ = round_status(session, appraisal_id)
    found = tasks(view, meeting, round_)
    context = {"view": view, "editing": editing, "errors": errors or FormErrors(),
               "posted": posted or {}, "restored": restored, "scale": SCALE_OPTIONS,
               "tasks": found, "task_items": [t.item for t in found], "kinds": KINDS,
               "outcomes": OUTCOMES, "fppt_options": FPPT_OPTIONS,
               "objective_rows": max(OBJECTIVE_ROWS, len(view.objectives) + 1),
               "action_rows": max(ACTION_ROWS, len(view.development_actions) + 1), **extra}
    return render(request, f"review/tasks/{template}.html", context,
                  status_code=400 if errors else 200)


SECTION_TITLES = {"feedback": "the multi-source feedback summary",
                  "last-year": "the review of last year's objectives",
                  "objectives": "this year's objectives", "plan": "the development plan",
                  "fppt": "the FPPT confirmation", "begin": "the start of the review",
                  "meeting": "the appraisal meeting", "signed": "your signature"}


@router.get("")
def task_list(request: Request, appraisal_id: RecordId, me: CurrentPerson,
              saved: str = "") -> Response:
    return _page(request, me, appraisal_id, "list", saved=saved, saved_title=SECTION_TITLES.get(
        saved, ""))


# The lifecycle step each form takes: who may take it, and when, is checked before anything
# the form says is read, so a person who may not act learns that and nothing else.
STEP_ACTIONS = {"begin": "begin_review", "agree": "agree", "return": "return_for_changes"}


def _may_take(session: Session, me: SignedIn, appraisal_id: int, section: str) -> None:
    """NotFound, NotAllowed or InvalidTransition unless the actor may save ``section`` now."""
    appraisal, parties = begin_step(session, me.actor, appraisal_id)
    action = STEP_ACTIONS.get(section, "edit_review")
    if action in TRANSITIONS:
        check_transition(action, appraisal.state, parties)
    else:
        check_edit(action, appraisal.state, parties)


async def _act(request: Request, me: SignedIn, appraisal_id: int, template: str,
               section: str, read: Callable[[Mapping[str, Any]], Callable[[Session], object]],
               *, fields: Mapping[str, str] | None = None, after: str | None = None,
               **extra: Any) -> Response:
    """Run one section's save: on a refusal, the page again with the reason and the input.

    ``read`` turns the posted form into the service call, raising ValidationFailed for what
    the form itself gets wrong; it runs only once the person may take the step now. The
    parked copy of this page goes in the same transaction.
    """
    form = await request.form()
    posted = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    path = request.url.path

    def run() -> Response:
        try:
            with request_store(request).unit_of_work() as session:
                _may_take(session, me, appraisal_id, section)  # who before what
                action = read(posted)
                action(session)
                discard_parked_form(session=session, person_id=me.person.id, path=path)
        except (ValidationFailed, InvalidTransition) as error:
            errors = _errors_of(error, f"{section}-form", fields or {})
            return _page(request, me, appraisal_id, template, errors=errors, posted=posted,
                         **extra)
        return RedirectResponse(after or f"/review/{appraisal_id}?saved={section}",
                                status_code=303)

    # Off the event loop: a wait for the store's write lock holds up this request only.
    return await run_in_threadpool(run)


def _errors_of(error: ValidationFailed | InvalidTransition, default_field: str,
               fields: Mapping[str, str]) -> FormErrors:
    """Problems like ``"objective-2-text: write it"`` tied to their field on the page.

    A prefix naming a field of the page (``fields``, or a row's own id such as
    ``objective-2-text``) puts the message beside that field; any other goes to the form.
    """
    errors = FormErrors()
    if isinstance(error, InvalidTransition):
        errors.add(default_field, error.message)
        return errors
    for problem in error.problems or [error.summary]:
        match = re.match(r"^([a-z0-9_-]+): (.*)$", problem)
        if match and (match.group(1) in fields or "-" in match.group(1)):
            errors.add(fields.get(match.group(1), match.group(1)),
                       match.group(2)[:1].upper() + match.group(2)[1:])
        else:
            errors.add(default_field, problem[:1].upper() + problem[1:])
    if error.problems and error.summary not in error.problems:
        errors.title = error.summary
    return errors


@router.post("/begin")
async def begin(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    return await _act(request, me, appraisal_id, "list", "begin",
                      lambda _: lambda session: review.begin_review(
                          session=session, actor=me.actor, appraisal_id=appraisal_id))


# The commentary on one domain -------------------------------------------------------------


@router.get("/commentary/{domain_id}")
def commentary_page(request: Request, appraisal_id: RecordId, domain_id: str,
                    me: CurrentPerson) -> Response:
    return _page(request, me, appraisal_id, "commentary", domain_id=domain_id)


@router.post("/commentary/{domain_id}")
async def save_commentary(request: Request, appraisal_id: RecordId, domain_id: str,
                          me: Csrf) -> Response:
    def read(form: Mapping[str, Any]) -> Callable[[Session], object]:
        # The service checks the view is one of the answers.
        return lambda session: review.save_domain_commentary(
            session=session, actor=me.actor, appraisal_id=appraisal_id, domain_id=domain_id,
            text=str(form.get("commentary", "")), view=str(form.get("view", "")) or None)

    return await _act(request, me, appraisal_id, "commentary", f"commentary-{domain_id}", read,
                      fields={"commentary": "commentary", "view": "view"},
                      domain_id=domain_id)


# The multi-source feedback summary ---------------------------------------------------------

@router.get("/feedback")
def feedback_page(request: Request, appraisal_id: RecordId, me: CurrentPerson) -> Response:
    return _page(request, me, appraisal_id, "feedback",
                 feedback=feedback_view(request_store(request), me.actor, appraisal_id))


@router.post("/feedback")
async def save_feedback(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    return await _act(request, me, appraisal_id, "feedback", "feedback",
                      lambda form: lambda session: review.save_feedback(
                          session=session, actor=me.actor, appraisal_id=appraisal_id,
                          msf_summary=str(form.get("msf_summary", "")),
                          appraiser_comments=str(form.get("appraiser_comments", ""))),
                      fields={"msf_summary": "msf_summary",
                              "appraiser_comments": "appraiser_comments"})


# Last year's objectives --------------------------------------------------------------------

@router.get("/last-year")
def last_year_page(request: Request, appraisal_id: RecordId, me: CurrentPerson) -> Response:
    return _page(request, me, appraisal_id, "last_year")


@router.post("/last-year")
async def save_last_year(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    def read(form: Mapping[str, Any]) -> Callable[[Session], object]:
        reviews, problems = [], []
        ids = sorted({int(k.split("-")[1]) for k in form
                      if k.startswith("objective-") and k.split("-")[1].isdigit()})
        for objective_id in ids:
            outcome = str(form.get(f"objective-{objective_id}-outcome", ""))
            comment = str(form.get(f"objective-{objective_id}-comment", ""))
            if not outcome:
                if comment.strip():
                    problems.append(f"objective-{objective_id}-outcome: say whether it was "
                                    "met, partly met or not met")
                continue
            if outcome not in {o.value for o in ObjectiveOutcome}:
                problems.append(f"objective-{objective_id}-outcome: choose one of the answers")
                continue
            reviews.append(CarriedObjectiveReview(objective_id, ObjectiveOutcome(outcome),
                                                  comment))
        if problems:
            raise ValidationFailed("The review of last year's objectives was not saved.",
                                   problems)
        return lambda session: review_previous_objectives(
            session=session, actor=me.actor, appraisal_id=appraisal_id, reviews=reviews)

    return await _act(request, me, appraisal_id, "last_year", "last-year", read)


# This year's objectives --------------------------------------------------------------------

def _rows(prefix: str, form: Mapping[str, Any], names: tuple[str, ...]) -> list[int]:
    """The row numbers the form has any of ``names`` filled in for, in order."""
    return [i for i in range(1, MAX_ROWS + 1)
            if any(str(form.get(f"{prefix}-{i}-{n}", "")).strip() for n in names)]


@router.get("/objectives")
def objectives_page(request: Request, appraisal_id: RecordId, me: CurrentPerson) -> Response:
    return _page(request, me, appraisal_id, "objectives")


@router.post("/objectives")
async def save_objectives(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    def read(form: Mapping[str, Any]) -> Callable[[Session], object]:
        objectives, problems = [], []
        for i in _rows("objective", form, ("text", "measure", "priority", "target-day",
                                           "target-month", "target-year")):
            text = str(form.get(f"objective-{i}-text", ""))
            kind = str(form.get(f"objective-{i}-kind", "") or "personal")
            if not text.strip():
                problems.append(f"objective-{i}-text: write objective {i}, or clear its "
                                "other answers")
            if kind not in {k.value for k in ObjectiveKind}:
                problems.append(f"objective-{i}-kind: choose personal, organisational or "
                                f"equality, diversity and inclusion for objective {i}")
                continue
            try:
                target = date_from_form(form, f"objective-{i}-target",
                                        f"The target date of objective {i}")
            except ValidationFailed as error:
                problems += error.problems
                continue
            objectives.append(ObjectiveInput(
                kind=ObjectiveKind(kind), text=text,
                measure=str(form.get(f"objective-{i}-measure", "")), target_date=target,
                priority=str(form.get(f"objective-{i}-priority", ""))))
        if problems:
            raise ValidationFailed("The objectives were not saved.", problems)
        return lambda session: set_objectives(
            session=session, actor=me.actor, appraisal_id=appraisal_id, objectives=objectives)

    return await _act(request, me, appraisal_id, "objectives", "objectives", read)


# The development plan ----------------------------------------------------------------------

@router.get("/plan")
def plan_page(request: Request, appraisal_id: RecordId, me: CurrentPerson) -> Response:
    return _page(request, me, appraisal_id, "plan")


@router.post("/plan")
async def save_plan(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    def read(form: Mapping[str, Any]) -> Callable[[Session], object]:
        actions, problems = [], []
        for i in _rows("action", form, ("need", "action", "support", "timescale")):
            need = str(form.get(f"action-{i}-need", ""))
            action = str(form.get(f"action-{i}-action", ""))
            if not need.strip():
                problems.append(f"action-{i}-need: say the development need of action {i}")
            if not action.strip():
                problems.append(f"action-{i}-action: say what will be done for action {i}")
            actions.append(DevelopmentInput(
                need=need, action=action, support=str(form.get(f"action-{i}-support", "")),
                timescale=str(form.get(f"action-{i}-timescale", "")),
                domain_id=str(form.get(f"action-{i}-domain", "")) or None))
        if problems:
            raise ValidationFailed("The development plan was not saved.", problems)
        return lambda session: set_development_plan(
            session=session, actor=me.actor, appraisal_id=appraisal_id, actions=actions)

    return await _act(request, me, appraisal_id, "plan", "plan", read)


# The fit and proper person test ------------------------------------------------------------

@router.get("/fppt")
def fppt_page(request: Request, appraisal_id: RecordId, me: CurrentPerson) -> Response:
    return _page(request, me, appraisal_id, "fppt")


@router.post("/fppt")
async def confirm_fppt(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    def read(form: Mapping[str, Any]) -> Callable[[Session], object]:
        problems = []
        status = str(form.get("status", ""))
        if status not in {s.value for s in FPPTStatus}:
            problems.append("status: choose whether they are still fit and proper")
        assessed = None
        try:
            assessed = date_from_form(form, "last_assessed_on",
                                      "The date of the last FPPT assessment", required=True)
        except ValidationFailed as error:
            problems += error.problems
        if problems or assessed is None:
            raise ValidationFailed("The FPPT confirmation was not saved.", problems)
        return lambda session: review.confirm_fppt(
            session=session, actor=me.actor, appraisal_id=appraisal_id,
            last_assessed_on=assessed, status=FPPTStatus(status),
            notes=str(form.get("notes", "")))

    return await _act(request, me, appraisal_id, "fppt", "fppt", read,
                      fields={"status": "status", "last_assessed_on": "last_assessed_on"})


# Agree or return ---------------------------------------------------------------------------

@router.get("/decision")
def decision_page(request: Request, appraisal_id: RecordId, me: CurrentPerson) -> Response:
    return _page(request, me, appraisal_id, "decision")


@router.post("/agree")
async def agree(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    return await _act(request, me, appraisal_id, "decision", "agree",
                      lambda _: lambda session: review.agree(
                          session=session, actor=me.actor, appraisal_id=appraisal_id),
                      after=f"/review/{appraisal_id}?saved=agree")


@router.post("/return")
async def return_for_changes(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    return await _act(request, me, appraisal_id, "decision", "return",
                      lambda form: lambda session: review.return_for_changes(
                          session=session, actor=me.actor, appraisal_id=appraisal_id,
                          reason=str(form.get("reason", ""))),
                      fields={"reason": "reason"},
                      after=f"/review/{appraisal_id}?saved=return")

