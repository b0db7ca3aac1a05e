"""The director's own appraisal: six domain pages, check and submit, comments, signing (the
FPPT is its own year: ``routers.fppt_assessments``, shown on the overview)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from appraisal_store.errors import InvalidTransition, ValidationFailed
from appraisal_store.lifecycle import Party
from appraisal_store.services.parked_forms import discard_parked_form, parked_form
from appraisal_store.services.review import comment_as_appraisee
from appraisal_store.services.self_assessment import (
    save_self_assessment,
    submit_self_assessment,
)
from appraisal_store.services.signing import sign
from competencies.framework import Domain
from competencies.scale import ScaleLabel

from ..appraisal_views import (
    SCALE_OPTIONS,
    check_own,
    domain_after,
    domain_of,
    latest_record,
    own_framework,
    show_own_appraisal,
    show_own_domain,
)
from ..deps import Csrf, CurrentPerson, SessionDep, SignedIn, request_store
from ..paths import RecordId
from ..rendering import FormErrors, render

router = APIRouter(prefix="/appraisals/{appraisal_id}")


@router.get("")
def overview(request: Request, appraisal_id: RecordId, me: CurrentPerson,
             saved: str = "") -> Response:
    view = show_own_appraisal(request_store(request), me.actor, appraisal_id, "overview")
    return render(request, "director/overview.html", {"view": view, "saved": saved})


def _parked(request: Request, me: SignedIn) -> dict[str, str] | None:
    """What this person typed on this page when their session ended, if it was kept."""
    with request_store(request).read() as session:
        return parked_form(session=session, person_id=me.person.id, path=request.url.path,
                           now=request_store(request).now)


def _return_to(value: object) -> str:
    return "check" if value == "check" else ""


@router.get("/domains/{domain_id}")
def domain_page(request: Request, appraisal_id: RecordId, domain_id: str,
                me: CurrentPerson, return_to: str = "") -> Response:
    view, domain = show_own_domain(request_store(request), me.actor, appraisal_id, domain_id)
    answers = {s.id: view.ratings.get(s.id) for s in domain.statements}
    reflection = view.reflections.get(domain_id, "")
    kept = _parked(request, me) if view.editable else None
    if kept is not None:
        answers, _ = _answers_in(kept, domain)
        reflection, return_to = kept.get("reflection", ""), kept.get("return_to", return_to)
    return render(request, "director/domain.html", {
        "view": view, "domain": domain, "scale": SCALE_OPTIONS, "answers": answers,
        "reflection": reflection, "return_to": _return_to(return_to),
        "restored": kept is not None})


@router.post("/domains/{domain_id}")
async def save_domain(request: Request, appraisal_id: RecordId, domain_id: str,
                      me: Csrf) -> Response:
    form = await request.form()
    # The store is synchronous: off the event loop, so that a wait for the write lock (or
    # for PostgreSQL) holds up this request only.
    return await run_in_threadpool(_save_domain, request, appraisal_id, domain_id, me, form)


def _save_domain(request: Request, appraisal_id: int, domain_id: str, me: SignedIn,
                 form: FormData) -> Response:
    # One write session for the whole save: the framework is read inside it, which costs
    # less than a read session of its own before it.
    answers: dict[str, ScaleLabel | None] = {}
    errors = FormErrors()
    reflection = str(form.get("reflection", ""))
    try:
        with request_store(request).unit_of_work() as session:
            framework = own_framework(session, me.actor, appraisal_id)
            domain = domain_of(framework, domain_id)
            answers, errors = _answers_in(form, domain)
            if not errors:
                save_self_assessment(session=session, actor=me.actor, appraisal_id=appraisal_id,
                                     ratings={k: v for k, v in answers.items() if v},
                                     reflections={domain_id: reflection})
                discard_parked_form(session=session, person_id=me.person.id,
                                    path=request.url.path)
    except (ValidationFailed, InvalidTransition) as error:
        errors = _errors_of(error, "reflection")
    if errors:  # the page again, with the appraisal's content: a view, audited as one
        view, domain = show_own_domain(request_store(request), me.actor, appraisal_id, domain_id)
        return render(request, "director/domain.html", {
            "view": view, "domain": domain, "scale": SCALE_OPTIONS,
            "errors": errors, "answers": answers, "reflection": reflection,
            "return_to": _return_to(form.get("return_to"))}, status_code=400)
    if _return_to(form.get("return_to")) == "check":
        return RedirectResponse(f"/appraisals/{appraisal_id}/check", status_code=303)
    if form.get("action") == "continue":
        following = domain_after(framework, domain_id)
        target = (f"/appraisals/{appraisal_id}/domains/{following.id}" if following
                  else f"/appraisals/{appraisal_id}/check")
        return RedirectResponse(target, status_code=303)
    return RedirectResponse(f"/appraisals/{appraisal_id}?saved={domain_id}", status_code=303)


def _answers_in(form: Mapping[str, object], domain: Domain) -> tuple[dict[str, ScaleLabel | None],
                                                         FormErrors]:
    """The ratings the form gives for the domain's statements, and what is wrong with them."""
    answers: dict[str, ScaleLabel | None] = {}
    errors = FormErrors()
    for statement in domain.statements:
        value = str(form.get(f"rating-{statement.id}", ""))
        if value:
            try:
                answers[statement.id] = ScaleLabel(value)
            except ValueError:
                errors.add(f"rating-{statement.id}", "Choose one of the answers")
    return answers, errors


def _errors_of(error: ValidationFailed | InvalidTransition, default_field: str) -> FormErrors:
    if isinstance(error, ValidationFailed):
        return FormErrors.from_problems(error.summary, error.problems,
                                        default_field=default_field)
    errors = FormErrors()
    errors.add(default_field, error.message)
    return errors


@router.get("/check")
def check_answers(request: Request, appraisal_id: RecordId, me: CurrentPerson) -> Response:
    view = show_own_appraisal(request_store(request), me.actor, appraisal_id, "check answers")
    return render(request, "director/check.html", {"view": view})


@router.post("/submit")
def submit(request: Request, store: SessionDep, appraisal_id: RecordId, me: Csrf) -> Response:
    try:
        with store.unit_of_work() as session:
            check_own(session, me.actor, appraisal_id, "submit")
            submit_self_assessment(session=session, actor=me.actor, appraisal_id=appraisal_id)
    except (ValidationFailed, InvalidTransition) as error:
        view = show_own_appraisal(request_store(request), me.actor, appraisal_id, "check answers")
        errors = FormErrors()
        unanswered = [p for p in view.progress if p.answered < p.total]
        if isinstance(error, ValidationFailed) and unanswered:
            # One line per domain with a gap, each linking to its page (and back here).
            errors.title = error.summary
            for p in unanswered:
                missing = p.total - p.answered
                errors.add(f"/appraisals/{appraisal_id}/domains/{p.domain.id}?return_to=check",
                           f"{p.domain.number}. {p.domain.name}: {missing} of {p.total} "
                           f"statement{'s' if p.total != 1 else ''} "
                           f"{'have' if missing != 1 else 'has'} no answer")
        else:
            errors.add("submit", error.summary if isinstance(error, ValidationFailed)
                       else error.message)
        return render(request, "director/check.html", {"view": view, "errors": errors},
                      status_code=400)
    return RedirectResponse(f"/appraisals/{appraisal_id}?saved=submitted", status_code=303)


@router.get("/comments")
def comments_page(request: Request, appraisal_id: RecordId, me: CurrentPerson) -> Response:
    view = show_own_appraisal(request_store(request), me.actor, appraisal_id, "comments")
    kept = _parked(request, me)
    return render(request, "director/comments.html", {
        "view": view, "restored": kept is not None,
        "comments": kept.get("comments", "") if kept else view.appraisal.appraisee_comments,
        "disagreement": kept.get("disagreement", "") if kept else view.appraisal.disagreement})


@router.post("/comments")
def save_comments(request: Request, store: SessionDep, appraisal_id: RecordId, me: Csrf,
                  comments: Annotated[str, Form()] = "",
                  disagreement: Annotated[str, Form()] = "") -> Response:
    try:
        with store.unit_of_work() as session:
            check_own(session, me.actor, appraisal_id, "comments")
            comment_as_appraisee(session=session, actor=me.actor, appraisal_id=appraisal_id,
                                 comments=comments, disagreement=disagreement)
            discard_parked_form(session=session, person_id=me.person.id, path=request.url.path)
    except (ValidationFailed, InvalidTransition) as error:
        view = show_own_appraisal(request_store(request), me.actor, appraisal_id, "comments")
        return render(request, "director/comments.html", {
            "view": view, "errors": _errors_of(error, "comments"), "comments": comments,
            "disagreement": disagreement}, status_code=400)
    return RedirectResponse(f"/appraisals/{appraisal_id}?saved=comments", status_code=303)


@router.post("/sign")
def sign_record(store: SessionDep, appraisal_id: RecordId, me: Csrf) -> Response:
    with store.unit_of_work() as session:
        signature = sign(session=session, actor=me.actor, appraisal_id=appraisal_id)
    if signature.role.value == Party.APPRAISEE.value:
        return RedirectResponse(f"/appraisals/{appraisal_id}?saved=signed", status_code=303)
    return RedirectResponse(f"/review/{appraisal_id}?saved=signed", status_code=303)


@router.get("/record.pdf")
def download_record(store: SessionDep, appraisal_id: RecordId, me: CurrentPerson) -> Response:
    with store.unit_of_work() as session:
        record = latest_record(session, me.actor, appraisal_id)
    return Response(record.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="appraisal-{appraisal_id}'
                               f'-v{record.version}.pdf"',
        "Cache-Control": "no-store"})
