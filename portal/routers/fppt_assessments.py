"""A board member's FPPT year in the portal: the checks (recorded by the company
secretary or the chair), the sign-off and the chair's decision, the director's own
self-attestation, and the evidence files. Seen by the secretary, the chair, the person and
whoever signs it off; to anyone else it does not exist."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from appraisal_store.clock import day_of
from appraisal_store.errors import AppraisalError, NotAllowed, NotFound, ValidationFailed
from appraisal_store.fppt_checklist import SELF_ATTESTATION
from appraisal_store.fppt_queries import MemberYear, member_year, references_received
from appraisal_store.fppt_vocabulary import CheckOutcome, FPPTOutcome
from appraisal_store.models import Organisation
from appraisal_store.services.fppt import (
    Answer,
    EvidenceFile,
    attest,
    evidence_of,
    mark_not_required,
    mitigate_self_attestation,
    record_chair_decision,
    record_check,
    sign_off,
)
from appraisal_store.services.fppt_access import get_year, may_sign_off, runs_fppt
from appraisal_store.services.fppt_checklists import checklist_of

from ..dates import date_from_form
from ..deps import Csrf, CurrentPerson, SessionDep, clock_of, request_store
from ..fppt_forms import posted_fields, refusal_page, slug_of, yes_no
from ..paths import RecordId
from ..rendering import render

router = APIRouter(prefix="/fppt")
CHECK_FIELDS = {"check": "check", "date": "done_on", "outcome": "outcome", "note": "note",
                "mitigation": "mitigation", "evidence_file": "evidence_file",
                "supersedes": "check"}


def _assessment_context(session: Session, me: CurrentPerson, fppt_year_id: int
                        ) -> dict[str, Any]:
    """The board member's FPPT page, as of the day ``session`` acts on (the request's)."""
    year = get_year(session, me.actor, fppt_year_id)
    member = member_year(session, year)
    organisation = session.get(Organisation, year.organisation_id)
    today = day_of(session)
    records = runs_fppt(session, me.actor, year.organisation_id) and (
        me.person.id != year.person_id)
    signed = next((s.entry for s in member.checks
                   if s.check.id == SELF_ATTESTATION and s.entry is not None), None)
    answers = (signed.answers or {}) if signed is not None else {}
    declared = [(d.text, answers[d.id].get("details", "")) for d in
                checklist_of(session, year.checklist_version_id).declarations
                if answers.get(d.id, {}).get("answer")]
    return {"member": member, "declared": declared, "organisation": organisation,
            "slug": slug_of(year.year),
            "received": references_received(session, year.appointment_id),
            "records": records, "signs": may_sign_off(session, me.actor, year, today),
            "own": me.person.id == year.person_id, "outcomes": list(CheckOutcome),
            "fppt_outcomes": list(FPPTOutcome), "today": today, "posted": {}}


DONE = {"recorded": "The check was recorded.", "signed": "The FPPT is signed off.",
        "decided": "Your decision was recorded.",
        "mitigated": "The mitigation of the self-attestation was recorded.",
        "not-required": "The FPPT is marked not required this year.",
        "attested": "Your self-attestation is signed: the company secretary and the chair "
                    "can see it.",
        "reference-received": "The reference received was recorded.",
        "registration": "Their clinical registration was saved."}


def _prefilled(member: MemberYear, check_id: str) -> dict[str, str]:
    """The form filled from a check's current entry (adding a concern's mitigation, or
    correcting it, starts from what was recorded); else the next check still to do."""
    status = next((c for c in member.applicable if c.check.id == check_id), None)
    if status is None or status.entry is None:
        todo = next((c for c in member.applicable if not c.recorded
                     and c.check.id != SELF_ATTESTATION), None)
        return {"check": todo.check.id} if todo is not None else {}
    entry = status.entry
    return {"check": entry.check_id, "outcome": entry.outcome.value, "note": entry.note,
            "mitigation": entry.mitigation, "evidence_reference": entry.evidence_reference,
            "done_on-day": str(entry.done_on.day), "done_on-month": str(entry.done_on.month),
            "done_on-year": str(entry.done_on.year)}


@router.get("/assessments/{fppt_year_id}")
def assessment(request: Request, store: SessionDep, fppt_year_id: RecordId,
               me: CurrentPerson, check: str = "", done: str = "") -> Response:
    with store.read() as session:
        context = _assessment_context(session, me, fppt_year_id)
    context["posted"] = _prefilled(context["member"], check)
    context["done"] = DONE.get(done)
    return render(request, "fppt/assessment.html", context)


def act_on_year(request: Request, me: CurrentPerson, fppt_year_id: int,
                action: Callable[[Session], object], *, fields: dict[str, str],
                default_field: str, done: str, posted: dict[str, str],
                template: str = "fppt/assessment.html", where: str | None = None
                ) -> Response:
    """Run ``action`` in one unit of work; a refusal shows the board member's page again
    with the problems beside their fields and what was typed kept, nothing written. Both
    at the request's store."""
    store = request_store(request)
    try:
        with store.unit_of_work() as session:
            action(session)
    except (NotAllowed, NotFound):
        raise
    except AppraisalError as error:
        with store.read() as session:
            context = _assessment_context(session, me, fppt_year_id)
        return refusal_page(request, template, context, error, default_field=default_field,
                        fields=fields, posted=posted)
    return RedirectResponse(where or f"/fppt/assessments/{fppt_year_id}?done={done}",
                            status_code=303)


@router.post("/assessments/{fppt_year_id}/checks")
async def record(request: Request, fppt_year_id: RecordId, me: Csrf) -> Response:
    form = await request.form()
    posted = posted_fields(form)
    upload = form.get("evidence_file")
    evidence = None
    if isinstance(upload, UploadFile) and upload.filename:
        evidence = EvidenceFile(upload.filename, await upload.read())
    today = clock_of(request).date()
    supersedes = posted.get("supersedes", "")

    def action(session: Session) -> object:
        done_on = date_from_form(form, "done_on", "The date it was done", field="date",
                                 required=True)
        assert done_on is not None
        return record_check(
            session=session, actor=me.actor, fppt_year_id=fppt_year_id,
            check_id=posted.get("check", ""), done_on=done_on,
            outcome=posted.get("outcome", ""), today=today, note=posted.get("note", ""),
            mitigation=posted.get("mitigation", ""),
            evidence_reference=posted.get("evidence_reference", ""), evidence=evidence,
            supersedes_id=int(supersedes) if supersedes.isdigit() else None)
    return await run_in_threadpool(act_on_year, request, me, fppt_year_id, action,
                                   fields=CHECK_FIELDS, default_field="check",
                                   done="recorded", posted=posted)


@router.post("/assessments/{fppt_year_id}/sign-off")
async def sign(request: Request, fppt_year_id: RecordId, me: Csrf) -> Response:
    form = await request.form()
    posted = posted_fields(form)
    now = clock_of(request)
    return await run_in_threadpool(
        act_on_year, request, me, fppt_year_id, lambda session: sign_off(
            session=session, actor=me.actor, fppt_year_id=fppt_year_id,
            outcome=posted.get("fppt_outcome", ""), now=now,
            note=posted.get("sign_off_note", "")),
        fields={"outcome": "fppt_outcome", "note": "sign_off_note"},
        default_field="fppt_outcome", done="signed", posted=posted)


async def _one_text(request: Request, me: Csrf, fppt_year_id: int, *, field: str,
                    named: str, done: str, action: Callable[[Session, str], object]
                    ) -> Response:
    """A form of one text on the board member's page: ``action`` given what was typed in
    ``field``, whose problems the service names ``named``."""
    posted = posted_fields(await request.form())
    return await run_in_threadpool(
        act_on_year, request, me, fppt_year_id,
        lambda session: action(session, posted.get(field, "")),
        fields={named: field}, default_field=field, done=done, posted=posted)


@router.post("/assessments/{fppt_year_id}/decision")
async def decide(request: Request, fppt_year_id: RecordId, me: Csrf) -> Response:
    now = clock_of(request)
    return await _one_text(
        request, me, fppt_year_id, field="decision", named="decision", done="decided",
        action=lambda session, text: record_chair_decision(
            session=session, actor=me.actor, fppt_year_id=fppt_year_id, decision=text,
            now=now))


@router.post("/assessments/{fppt_year_id}/attestation-mitigation")
async def mitigate_attestation(request: Request, fppt_year_id: RecordId, me: Csrf) -> Response:
    return await _one_text(
        request, me, fppt_year_id, field="attestation_mitigation", named="mitigation",
        done="mitigated", action=lambda session, text: mitigate_self_attestation(
            session=session, actor=me.actor, fppt_year_id=fppt_year_id, mitigation=text))


@router.post("/assessments/{fppt_year_id}/not-required")
async def not_required(request: Request, fppt_year_id: RecordId, me: Csrf) -> Response:
    return await _one_text(
        request, me, fppt_year_id, field="reason", named="reason", done="not-required",
        action=lambda session, text: mark_not_required(
            session=session, actor=me.actor, fppt_year_id=fppt_year_id, reason=text))


def _attestation_context(session: Session, me: CurrentPerson, fppt_year_id: int
                         ) -> dict[str, Any]:
    context = _assessment_context(session, me, fppt_year_id)
    if not context["own"]:
        raise NotFound(f"There is no FPPT self-attestation {fppt_year_id} of yours.")
    year = context["member"].year
    context["declarations"] = checklist_of(session, year.checklist_version_id).declarations
    return context


@router.get("/assessments/{fppt_year_id}/attest")
def attestation(request: Request, store: SessionDep, fppt_year_id: RecordId,
                me: CurrentPerson) -> Response:
    with store.read() as session:
        context = _attestation_context(session, me, fppt_year_id)
    return render(request, "fppt/attest.html", context)


@router.post("/assessments/{fppt_year_id}/attest")
async def sign_attestation(request: Request, store: SessionDep, fppt_year_id: RecordId,
                           me: Csrf) -> Response:
    form = await request.form()
    posted = posted_fields(form)
    today = store.now.date()

    def act() -> Response:
        with store.read() as session:
            context = _attestation_context(session, me, fppt_year_id)
        answers = {d.id: Answer(yes_no(posted.get(d.id, "")),
                                posted.get(f"{d.id}-details", ""))
                   for d in context["declarations"]}
        try:
            with store.unit_of_work() as session:
                attest(session=session, actor=me.actor, fppt_year_id=fppt_year_id,
                       answers=answers, today=today)
        except ValidationFailed as error:
            return refusal_page(request, "fppt/attest.html", context, error,
                            default_field="attestation", posted=posted,
                            fields={d.id: d.id for d in context["declarations"]})
        return RedirectResponse(f"/fppt/assessments/{fppt_year_id}?done=attested",
                                status_code=303)
    return await run_in_threadpool(act)


@router.get("/evidence/{entry_id}")
def evidence(store: SessionDep, entry_id: RecordId, me: CurrentPerson) -> Response:
    with store.read() as session:
        entry = evidence_of(session, me.actor, entry_id)
        content, name = entry.evidence_file or b"", entry.evidence_file_name or "evidence"
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return Response(content, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})


