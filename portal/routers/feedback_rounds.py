"""Running an appraisal's feedback round: open it, ask respondents, decide proposals, close.

For the appraiser and the organisation's chair or company secretary; the appraisee may
propose respondents when the round asks for proposals. The page lists who was asked and
whether they answered, never what anyone said: that is only ever counted together, in the
summary, once the round has closed. The summary is shown here too (the appraisee's way to
it, since they discuss it at the appraisal), and each showing is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from appraisal_store.errors import InvalidTransition, ValidationFailed
from appraisal_store.services import feedback, feedback_opening
from appraisal_store.services.feedback import Nomination

from ..appraisal_views import SCALE_OPTIONS
from ..dates import date_from_form
from ..deps import Csrf, CurrentPerson, SignedIn, request_store
from ..feedback_views import feedback_view
from ..paths import RecordId
from ..rendering import FormErrors, render

router = APIRouter(prefix="/appraisals/{appraisal_id}/feedback")
NOMINATION_ROWS = 8
MOST_ROWS = 30


def _page(request: Request, me: SignedIn, appraisal_id: int, *,
          errors: FormErrors | None = None, posted: Mapping[str, Any] | None = None,
          saved: str = "") -> Response:
    view = feedback_view(request_store(request), me.actor, appraisal_id, beside_names=True)
    return render(request, "feedback/round.html", {
        "view": view, "errors": errors or FormErrors(), "posted": posted or {},
        "rows": NOMINATION_ROWS, "saved": saved, "scale": SCALE_OPTIONS},
        status_code=400 if errors else 200)


@router.get("")
def round_page(request: Request, appraisal_id: RecordId, me: CurrentPerson,
               saved: str = "") -> Response:
    return _page(request, me, appraisal_id, saved=saved)


def nominations_of(form: Mapping[str, Any]) -> list[Nomination]:
    """The rows of the nomination table that have anything typed in them."""
    found = []
    for i in range(1, MOST_ROWS + 1):
        name = str(form.get(f"respondent-{i}-name", "")).strip()
        email = str(form.get(f"respondent-{i}-email", "")).strip()
        if name or email:
            found.append(Nomination(name, email,
                                    str(form.get(f"respondent-{i}-group", "")) or "board"))
    return found


async def _act(request: Request, me: SignedIn, appraisal_id: int, saved: str,
               change: Callable[[Mapping[str, Any], Session], object]) -> Response:
    form = await request.form()
    posted = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    chosen = {k: [str(v) for v in form.getlist(k)] for k in ("approve", "refuse")}
    now = request_store(request).now

    def run() -> Response:
        try:
            with request_store(request).unit_of_work() as session:
                change({**posted, **chosen, "_now": now}, session)
        except (ValidationFailed, InvalidTransition) as error:
            problems = getattr(error, "problems", []) or [error.message]
            errors = FormErrors(title=getattr(error, "summary", error.message))
            for problem in problems:
                errors.add("feedback-round", problem[:1].upper() + problem[1:])
            return _page(request, me, appraisal_id, errors=errors, posted=posted)
        return RedirectResponse(f"/appraisals/{appraisal_id}/feedback?saved={saved}",
                                status_code=303)

    return await run_in_threadpool(run)


@router.post("/open")
async def open_round(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    def change(form: Mapping[str, Any], session: Session) -> object:
        closes_on = date_from_form(form, "closes_on", "The closing date")
        nominations = nominations_of(form)
        return feedback_opening.open_rounds(
            session=session, actor=me.actor, appraisal_ids=[appraisal_id],
            today=form["_now"].date(), now=form["_now"], closes_on=closes_on,
            nominations=nominations or None,
            appraisee_may_propose=form.get("may_propose") == "yes")

    return await _act(request, me, appraisal_id, "opened", change)


def _asking(action: Callable[..., int], me: SignedIn, appraisal_id: int
            ) -> Callable[[Mapping[str, Any], Session], object]:
    """The change of a form that names respondents: ``nominate`` or ``propose``."""
    def change(form: Mapping[str, Any], session: Session) -> object:
        return action(session=session, actor=me.actor, appraisal_id=appraisal_id,
                      nominations=nominations_of(form), today=form["_now"].date(),
                      now=form["_now"])

    return change


@router.post("/nominate")
async def nominate(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    return await _act(request, me, appraisal_id, "nominated",
                      _asking(feedback.nominate, me, appraisal_id))


@router.post("/propose")
async def propose(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    return await _act(request, me, appraisal_id, "proposed",
                      _asking(feedback.propose, me, appraisal_id))


def _ids(values: list[str]) -> list[int]:
    if not all(v.isdigit() for v in values):
        raise ValidationFailed("No proposal was decided.", ["choose proposals from the list"])
    return [int(v) for v in values]


@router.post("/proposals")
async def decide_proposals(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    def change(form: Mapping[str, Any], session: Session) -> object:
        return feedback.decide_proposals(
            session=session, actor=me.actor, appraisal_id=appraisal_id,
            approved=_ids(form["approve"]), refused=_ids(form["refuse"]),
            today=form["_now"].date(), now=form["_now"])

    return await _act(request, me, appraisal_id, "decided", change)


@router.post("/close")
async def close_round(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    def change(form: Mapping[str, Any], session: Session) -> object:
        return feedback.close_rounds(session=session, actor=me.actor,
                                     appraisal_ids=[appraisal_id], now=form["_now"])

    return await _act(request, me, appraisal_id, "closed", change)
