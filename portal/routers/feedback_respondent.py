"""The feedback form for respondents, who have no account: link, form in parts, send.

The emailed link carries the token in its fragment (``/feedback/respond#token``); the page
puts it in a form (or, without JavaScript, the respondent pastes the code from the email)
and the POST redeems it, starting a session on the form whose secret is a cookie scoped to
``/feedback``. The form is one page per domain and a last page to check and send; every
page's button saves what is on it, so nothing needs JavaScript and nothing typed is lost
between visits. The session opens only this respondent's form, until they send or decline
or the round closes.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlmodel import Session, col

from appraisal_store.errors import ValidationFailed
from appraisal_store.feedback_tables import FeedbackRound
from appraisal_store.models import Appraisal, Organisation, Person
from appraisal_store.services.feedback_answers import (
    OVERALL,
    RespondentSession,
    decline_feedback,
    redeem_feedback_link,
    respondent_session,
    save_feedback_answers,
    submit_feedback,
)
from appraisal_store.services.frameworks import framework_of
from competencies.feedback_form import FREE_TEXT_PROMPTS
from competencies.framework import Framework
from competencies.scale import ScaleLabel

from ..deps import PRE_SESSION_COOKIE, Now, PreSessionCsrf, SessionDep, form_token, request_store
from ..rendering import FormErrors, render
from .sign_in import with_pre_session_token

router = APIRouter(prefix="/feedback")
FEEDBACK_COOKIE = "appraisal_feedback"
SCALE = [(s.value, s.label) for s in ScaleLabel]


@dataclass(frozen=True)
class FormPage:
    """What one part of the form shows."""

    number: int
    title: str
    domain_id: str | None
    statements: list[tuple[str, str]]
    text_place: str | None  # the place whose free text this page asks, if any


def _parts(found: RespondentSession, framework: Framework) -> list[FormPage]:
    pages = []
    for number, part in enumerate(found.variant.domains, start=1):
        domain = framework.domain(part.domain_id)
        pages.append(FormPage(number, f"{domain.number}. {domain.name}", part.domain_id,
                              [(s.id, s.text) for s in part.statements],
                              part.domain_id if found.variant.free_text == "per_domain"
                              else None))
    pages.append(FormPage(len(pages) + 1, "Check and send your feedback", None, [],
                          OVERALL if found.variant.free_text == "overall" else None))
    return pages


def _about(session: Session, round_: FeedbackRound) -> tuple[str, str, Framework]:
    appraisal = session.get(Appraisal, round_.appraisal_id)
    assert appraisal is not None  # a foreign key
    name = session.execute(select(col(Person.name)).where(
        col(Person.id) == appraisal.appraisee_id)).scalar_one()
    organisation = session.execute(select(col(Organisation.name)).where(
        col(Organisation.id) == appraisal.organisation_id)).scalar_one()
    return name, organisation, framework_of(session, appraisal.framework_version_id)


@router.get("/respond")
def link_page(request: Request) -> Response:
    # Opening the link uses nothing (mail scanners open links); the button does.
    return with_pre_session_token(request, "feedback/respond.html", {}, path="/feedback")


@router.post("/respond")
def use_link(request: Request, store: SessionDep, _: PreSessionCsrf, now: Now,
             token: Annotated[str, Form()] = "") -> Response:
    with store.unit_of_work() as session:
        started = redeem_feedback_link(session=session, token=token[:200], today=now.date(),
                                       now=now)
    if started is None:
        return render(request, "feedback/link_closed.html", status_code=400)
    response = RedirectResponse("/feedback/form", status_code=303)
    response.set_cookie(FEEDBACK_COOKIE, started[0], httponly=True, samesite="lax",
                        secure=request.app.state.secure_cookies, path="/feedback")
    response.delete_cookie(PRE_SESSION_COOKIE, path="/feedback")
    return response


def _secret(request: Request) -> str:
    return request.cookies.get(FEEDBACK_COOKIE, "")


def _resume_at(parts: list[FormPage], found: RespondentSession) -> int:
    """The first part with a statement not answered yet (the last part when none is)."""
    return next((p.number for p in parts
                 if any(s not in found.ratings for s, _ in p.statements)), len(parts))


def _show(request: Request, now: datetime, part: int | None, *,
          errors: FormErrors | None = None, posted: dict[str, str] | None = None) -> Response:
    with request_store(request).read() as session:
        found = respondent_session(session, secret=_secret(request), today=now.date())
        appraisee, organisation, framework = _about(session, found.round)
    parts = _parts(found, framework)
    # Back from the email with answers saved: where they left off, and saying so.
    resumed = part is None and bool(found.ratings or found.texts)
    if part is None:
        part = _resume_at(parts, found) if resumed else 1
    page = parts[min(max(part, 1), len(parts)) - 1]
    ratings = {**found.ratings, **{k.removeprefix("rating-"): v for k, v in (posted or {})
                                   .items() if k.startswith("rating-")}}
    texts = {**found.texts, **{k.removeprefix("text-"): v for k, v in (posted or {}).items()
                               if k.startswith("text-")}}
    unanswered = [s for s in found.variant.statement_ids() if s not in found.ratings]
    return render(request, "feedback/form.html", {
        "page": page, "parts": parts, "scale": SCALE, "ratings": ratings, "texts": texts,
        "prompts": FREE_TEXT_PROMPTS, "appraisee": appraisee, "organisation": organisation,
        "closes_on": found.round.closes_on, "threshold": found.round.group_threshold,
        "unanswered": len(unanswered), "errors": errors or FormErrors(), "resumed": resumed,
        "csrf_token": found.respondent.csrf_token or ""}, status_code=400 if errors else 200)


@router.get("/form")
def form_page(request: Request, now: Now, part: int | None = None) -> Response:
    return _show(request, now, part)


async def _checked(request: Request, now: datetime) -> RespondentSession:
    """The respondent behind the cookie, once the form's token matches their session's."""
    token = await form_token(request)
    with request_store(request).read() as session:
        found = respondent_session(session, secret=_secret(request), today=now.date())
    if not token or not hmac.compare_digest(token, found.respondent.csrf_token or ""):
        raise HTTPException(status_code=403, detail="The form had expired. Go back and try again.")
    return found


@router.post("/form")
async def save_part(request: Request, now: Now) -> Response:
    await _checked(request, now)
    form = await request.form()
    posted = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    part = int(posted.get("part", "1")) if posted.get("part", "1").isdigit() else 1
    ratings = {k.removeprefix("rating-"): v for k, v in posted.items() if k.startswith("rating-")}
    texts = {k.removeprefix("text-"): v for k, v in posted.items() if k.startswith("text-")}
    action = posted.get("action", "next")
    try:
        with request_store(request).unit_of_work() as session:
            save_feedback_answers(session=session, secret=_secret(request), ratings=ratings,
                                  texts=texts, today=now.date(), now=now)
            if action == "send":
                submit_feedback(session=session, secret=_secret(request), today=now.date(),
                                now=now)
    except ValidationFailed as error:
        errors = FormErrors(title=error.summary)
        for problem in error.problems:
            field, _, message = problem.partition(": ")
            errors.add(f"rating-{field}" if "." in field and ":" not in field
                       else f"text-{field}", message[:1].upper() + message[1:])
        return _show(request, now, part, errors=errors, posted=posted)
    if action == "send":
        response = render(request, "feedback/thanks.html", {"declined": False})
        response.delete_cookie(FEEDBACK_COOKIE, path="/feedback")
        return response
    step = {"previous": part - 1, "save": part}.get(action, part + 1)
    return RedirectResponse(f"/feedback/form?part={max(step, 1)}", status_code=303)


@router.post("/decline")
async def decline(request: Request, now: Now) -> Response:
    await _checked(request, now)
    with request_store(request).unit_of_work() as session:
        decline_feedback(session=session, secret=_secret(request), today=now.date(), now=now)
    response = render(request, "feedback/thanks.html", {"declined": True})
    response.delete_cookie(FEEDBACK_COOKIE, path="/feedback")
    return response
