"""The fit and proper person test in the portal: the company secretary's dashboard per
organisation and year, a page per board member (checks, sign-off, the chair's decision),
the chair's sign-off page, the director's self-attestation, and the leavers' references.

Who sees what: the secretary, the chair and the person themselves (and whoever signs the
year off: the senior independent director for the chair's); to anyone else these pages
do not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from appraisal_store.errors import AppraisalError, NotAllowed, NotFound, ValidationFailed
from appraisal_store.exports import csv_bytes, xlsx_bytes
from appraisal_store.fppt_exports import esr_sheet
from appraisal_store.fppt_queries import (
    SubmissionState,
    board_year,
    fppt_years_of,
    member_year,
    references,
    submission_state,
)
from appraisal_store.fppt_tables import BoardMemberReference, FPPTSubmission, FPPTYear
from appraisal_store.fppt_vocabulary import CheckOutcome, FPPTOutcome, FPPTYearState
from appraisal_store.models import Organisation, Person
from appraisal_store.services.fppt import (
    Answer,
    EvidenceFile,
    attest,
    evidence_of,
    mark_not_required,
    record_chair_decision,
    record_check,
    sign_off,
)
from appraisal_store.services.fppt_access import get_year, may_sign_off, runs_fppt
from appraisal_store.services.fppt_checklists import checklist_of
from appraisal_store.services.fppt_references import (
    SectionAnswer,
    reference_gaps,
    save_reference,
    sections_of,
    sees_reference,
)
from appraisal_store.services.fppt_submissions import default_declaration
from appraisal_store.vocabulary import BoardRole
from records.fppt_sealing import make_reference, make_submission

from ..dates import date_from_form
from ..deps import Csrf, CurrentPerson, clock_of
from ..paths import RecordId
from ..rendering import FormErrors, pages, render
from ..store import read_session, unit_of_work

router = APIRouter(prefix="/fppt")
YEAR_SLUG = re.compile(r"(\d{4})-(\d{2})")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHECK_FIELDS = {"check": "check", "date": "done_on", "outcome": "outcome", "note": "note",
                "mitigation": "mitigation", "evidence_file": "evidence_file",
                "supersedes": "check"}


def _year(slug: str) -> str:
    match = YEAR_SLUG.fullmatch(slug)
    if not match:
        raise NotFound("There is no such page.")
    return f"{match.group(1)}/{match.group(2)}"


def _slug(year: str) -> str:
    return year.replace("/", "-")


def _board(session: Session, me: CurrentPerson, organisation_id: int) -> Organisation:
    """The organisation, for its chair and company secretary only."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not runs_fppt(session, me.actor, organisation_id):
        raise NotFound(f"There is no FPPT of organisation {organisation_id} that you run.")
    return organisation


@dataclass(frozen=True)
class DashboardSection:
    """The FPPT's lines on the completion dashboard: each year's sign-offs and submission."""

    organisation_id: int
    years: list[tuple[str, str, int, int, SubmissionState]]  # year, slug, signed, members


def fppt_section(organisation_id: int) -> DashboardSection:
    """Read for the completion dashboard's FPPT section (a page global: the dashboard's
    own context stays the appraisal's)."""
    with read_session() as session:
        years = []
        for year in fppt_years_of(session, organisation_id):
            members = board_year(session, organisation_id, year)
            signed = sum(1 for m in members if m.year.state is FPPTYearState.SIGNED_OFF)
            years.append((year, _slug(year), signed, len(members),
                          submission_state(session, organisation_id, year)))
    return DashboardSection(organisation_id, years)


pages.env.globals["fppt_section"] = fppt_section


@router.get("")
def overview(request: Request, me: CurrentPerson) -> Response:
    """Everything of the FPPT the person has a part in: their own years, the boards they
    run, and the years waiting for their sign-off."""
    today = date.today()
    with read_session() as session:
        own = list(session.execute(select(FPPTYear, col(Organisation.name)).join(
            Organisation, col(Organisation.id) == FPPTYear.organisation_id).where(
            col(FPPTYear.person_id) == me.person.id).order_by(col(FPPTYear.year).desc())))
        boards = [(o, sorted(set(session.execute(select(col(FPPTYear.year)).where(
            col(FPPTYear.organisation_id) == o.id)).scalars()), reverse=True))
            for o in session.execute(select(Organisation).order_by(col(Organisation.name))
                                     ).scalars() if runs_fppt(session, me.actor, o.id or 0)]
        waiting = [member_year(session, y) for y in session.execute(select(FPPTYear).where(
            col(FPPTYear.state) == FPPTYearState.READY_FOR_SIGN_OFF)).scalars()
            if may_sign_off(session, me.actor, y, today)]
    return render(request, "fppt/overview.html", {"own": own, "boards": boards,
                                                  "waiting": waiting, "slug": _slug})


def _dashboard_context(session: Session, me: CurrentPerson, organisation_id: int,
                       year: str) -> dict[str, Any]:
    organisation = _board(session, me, organisation_id)
    members = board_year(session, organisation_id, year)
    if not members:
        raise NotFound(f"There is no {year} FPPT year for {organisation.name}.")
    today = date.today()
    return {"organisation": organisation, "year": year, "slug": _slug(year),
            "members": members, "today": today,
            "checks": checklist_of(session, members[0].year.checklist_version_id).checks,
            "overdue": [(m, c) for m in members for c in m.overdue(today)],
            "submission": submission_state(session, organisation_id, year),
            "references": references(session, organisation_id=organisation_id),
            "is_chair": me.person.id is not None and any(
                m.year.role is BoardRole.CHAIR and m.year.person_id == me.person.id
                for m in members),
            "declaration": default_declaration(organisation.name, year)}


@router.get("/boards/{organisation_id}/{year_slug}")
def dashboard(request: Request, organisation_id: RecordId, year_slug: str,
              me: CurrentPerson) -> Response:
    year = _year(year_slug)
    with read_session() as session:
        context = _dashboard_context(session, me, organisation_id, year)
    return render(request, "fppt/dashboard.html", context)


@router.get("/boards/{organisation_id}/{year_slug}/sign-off")
def sign_off_page(request: Request, organisation_id: RecordId, year_slug: str,
                  me: CurrentPerson) -> Response:
    """The chair's sign-off page: each board member and what their sign-off waits for."""
    year = _year(year_slug)
    today = date.today()
    with read_session() as session:
        members = [m for m in board_year(session, organisation_id, year)
                   if may_sign_off(session, me.actor, m.year, today)]
        organisation = session.get(Organisation, organisation_id)
        if not members or organisation is None:
            raise NotFound("There is nothing here for you to sign off.")
    return render(request, "fppt/sign_off.html", {
        "organisation": organisation, "year": year, "members": members,
        "outcomes": list(FPPTOutcome)})


def _export(session: Session, me: CurrentPerson, organisation_id: int, year: str) -> Any:
    organisation = _board(session, me, organisation_id)
    members = board_year(session, organisation_id, year)
    version = members[0].year.checklist_version_id if members else None
    if version is None:
        raise NotFound(f"There is no {year} FPPT year for {organisation.name}.")
    checklist = checklist_of(session, version)
    return organisation, esr_sheet(members, checklist, organisation.name)


@router.get("/boards/{organisation_id}/{year_slug}/esr.{extension}")
def esr_export(organisation_id: RecordId, year_slug: str, extension: str,
               me: CurrentPerson) -> Response:
    year = _year(year_slug)
    if extension not in ("csv", "xlsx"):
        raise NotFound("There is no such page.")
    with read_session() as session:
        organisation, sheet = _export(session, me, organisation_id, year)
    name = f"fppt-esr-{organisation.code}-{year_slug}.{extension}"
    content, media = ((csv_bytes(sheet), "text/csv; charset=utf-8") if extension == "csv"
                      else (xlsx_bytes([sheet]), XLSX))
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/boards/{organisation_id}/{year_slug}/submission")
async def submit(request: Request, organisation_id: RecordId, year_slug: str,
                 me: Csrf) -> Response:
    year = _year(year_slug)
    form = await request.form()
    declaration = str(form.get("declaration", ""))
    now = clock_of(request)

    def made() -> Response:
        try:
            make_submission(actor=me.actor, organisation_id=organisation_id, year=year,
                            declaration=declaration, now=now)
        except ValidationFailed as error:
            with read_session() as session:
                context = _dashboard_context(session, me, organisation_id, year)
            context["declaration"] = declaration
            return _refusal(request, "fppt/dashboard.html", context, error,
                            default_field="declaration", fields={}, posted={})
        return RedirectResponse(f"/fppt/boards/{organisation_id}/{year_slug}?done=submitted",
                                status_code=303)
    return await run_in_threadpool(made)


@router.get("/boards/{organisation_id}/{year_slug}/submission.{extension}")
def submission_file(organisation_id: RecordId, year_slug: str, extension: str,
                    me: CurrentPerson) -> Response:
    year = _year(year_slug)
    with read_session() as session:
        organisation = _board(session, me, organisation_id)
        submission: FPPTSubmission | None = submission_state(
            session, organisation_id, year).submitted
        if submission is None or extension not in ("pdf", "xlsx"):
            raise NotFound("There is no such submission.")
        content = submission.pdf if extension == "pdf" else submission.xlsx
    media = "application/pdf" if extension == "pdf" else XLSX
    name = f"fppt-submission-{organisation.code}-{year_slug}.{extension}"
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _assessment_context(session: Session, me: CurrentPerson, fppt_year_id: int
                        ) -> dict[str, Any]:
    year = get_year(session, me.actor, fppt_year_id)
    member = member_year(session, year)
    organisation = session.get(Organisation, year.organisation_id)
    today = date.today()
    records = runs_fppt(session, me.actor, year.organisation_id) and (
        me.person.id != year.person_id)
    return {"member": member, "organisation": organisation, "slug": _slug(year.year),
            "records": records, "signs": may_sign_off(session, me.actor, year, today),
            "own": me.person.id == year.person_id, "outcomes": list(CheckOutcome),
            "fppt_outcomes": list(FPPTOutcome), "today": today, "posted": {}}


@router.get("/assessments/{fppt_year_id}")
def assessment(request: Request, fppt_year_id: RecordId, me: CurrentPerson) -> Response:
    with read_session() as session:
        context = _assessment_context(session, me, fppt_year_id)
    return render(request, "fppt/assessment.html", context)


def _posted(form: Any) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _refusal(request: Request, template: str, context: dict[str, Any],
             error: AppraisalError, *, default_field: str, fields: dict[str, str],
             posted: dict[str, str]) -> Response:
    """The page again, with the service's problems beside their fields (400)."""
    summary = error.summary if isinstance(error, ValidationFailed) else error.message
    problems = error.problems if isinstance(error, ValidationFailed) else [error.message]
    context["errors"] = FormErrors.from_problems(summary, problems,
                                                 default_field=default_field, fields=fields)
    context["posted"] = posted
    return render(request, template, context, status_code=400)


def _act(request: Request, me: CurrentPerson, fppt_year_id: int, action: Callable[[Session],
         object], *, fields: dict[str, str], default_field: str, done: str,
         posted: dict[str, str], template: str = "fppt/assessment.html",
         where: str | None = None) -> Response:
    try:
        with unit_of_work() as session:
            action(session)
    except (NotAllowed, NotFound):
        raise
    except AppraisalError as error:
        with read_session() as session:
            context = _assessment_context(session, me, fppt_year_id)
        return _refusal(request, template, context, error, default_field=default_field,
                        fields=fields, posted=posted)
    return RedirectResponse(where or f"/fppt/assessments/{fppt_year_id}?done={done}",
                            status_code=303)


@router.post("/assessments/{fppt_year_id}/checks")
async def record(request: Request, fppt_year_id: RecordId, me: Csrf) -> Response:
    form = await request.form()
    posted = _posted(form)
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
    return await run_in_threadpool(_act, request, me, fppt_year_id, action,
                                   fields=CHECK_FIELDS, default_field="check",
                                   done="recorded", posted=posted)


@router.post("/assessments/{fppt_year_id}/sign-off")
async def sign(request: Request, fppt_year_id: RecordId, me: Csrf) -> Response:
    form = await request.form()
    posted = _posted(form)
    now = clock_of(request)
    return await run_in_threadpool(
        _act, request, me, fppt_year_id, lambda session: sign_off(
            session=session, actor=me.actor, fppt_year_id=fppt_year_id,
            outcome=posted.get("fppt_outcome", ""), now=now,
            note=posted.get("sign_off_note", "")),
        fields={"outcome": "fppt_outcome", "note": "sign_off_note"},
        default_field="fppt_outcome", done="signed", posted=posted)


@router.post("/assessments/{fppt_year_id}/decision")
async def decide(request: Request, fppt_year_id: RecordId, me: Csrf) -> Response:
    form = await request.form()
    posted = _posted(form)
    now = clock_of(request)
    return await run_in_threadpool(
        _act, request, me, fppt_year_id, lambda session: record_chair_decision(
            session=session, actor=me.actor, fppt_year_id=fppt_year_id,
            decision=posted.get("decision", ""), now=now),
        fields={"decision": "decision"}, default_field="decision", done="decided",
        posted=posted)


@router.post("/assessments/{fppt_year_id}/not-required")
async def not_required(request: Request, fppt_year_id: RecordId, me: Csrf) -> Response:
    form = await request.form()
    posted = _posted(form)
    return await run_in_threadpool(
        _act, request, me, fppt_year_id, lambda session: mark_not_required(
            session=session, actor=me.actor, fppt_year_id=fppt_year_id,
            reason=posted.get("reason", "")),
        fields={"reason": "reason"}, default_field="reason", done="not-required",
        posted=posted)


def _attestation_context(session: Session, me: CurrentPerson, fppt_year_id: int
                         ) -> dict[str, Any]:
    context = _assessment_context(session, me, fppt_year_id)
    if not context["own"]:
        raise NotFound(f"There is no FPPT self-attestation {fppt_year_id} of yours.")
    year = context["member"].year
    context["declarations"] = checklist_of(session, year.checklist_version_id).declarations
    return context


@router.get("/assessments/{fppt_year_id}/attest")
def attestation(request: Request, fppt_year_id: RecordId, me: CurrentPerson) -> Response:
    with read_session() as session:
        context = _attestation_context(session, me, fppt_year_id)
    return render(request, "fppt/attest.html", context)


@router.post("/assessments/{fppt_year_id}/attest")
async def sign_attestation(request: Request, fppt_year_id: RecordId, me: Csrf) -> Response:
    form = await request.form()
    posted = _posted(form)
    today = clock_of(request).date()

    def act() -> Response:
        with read_session() as session:
            context = _attestation_context(session, me, fppt_year_id)
        answers = {d.id: Answer(_yes_no(posted.get(d.id, "")),
                                posted.get(f"{d.id}-details", ""))
                   for d in context["declarations"]}
        try:
            with unit_of_work() as session:
                attest(session=session, actor=me.actor, fppt_year_id=fppt_year_id,
                       answers=answers, today=today)
        except ValidationFailed as error:
            return _refusal(request, "fppt/attest.html", context, error,
                            default_field="attestation", posted=posted,
                            fields={d.id: d.id for d in context["declarations"]})
        return RedirectResponse(f"/fppt/assessments/{fppt_year_id}?done=attested",
                                status_code=303)
    return await run_in_threadpool(act)


@router.get("/evidence/{entry_id}")
def evidence(entry_id: RecordId, me: CurrentPerson) -> Response:
    with read_session() as session:
        entry = evidence_of(session, me.actor, entry_id)
        content, name = entry.evidence_file or b"", entry.evidence_file_name or "evidence"
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return Response(content, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})


def _reference_context(session: Session, me: CurrentPerson, reference_id: int
                       ) -> dict[str, Any]:
    reference = session.get(BoardMemberReference, reference_id)
    if reference is None or not sees_reference(session, me.actor, reference):
        raise NotFound(f"There is no board member reference {reference_id} that you can see.")
    person = session.get(Person, reference.person_id)
    organisation = session.get(Organisation, reference.organisation_id)
    return {"reference": reference, "person": person, "organisation": organisation,
            "sections": sections_of(reference), "gaps": reference_gaps(reference),
            "posted": {}}


@router.get("/references/{reference_id}")
def reference_page(request: Request, reference_id: RecordId, me: CurrentPerson) -> Response:
    with read_session() as session:
        context = _reference_context(session, me, reference_id)
    return render(request, "fppt/reference.html", context)


@router.post("/references/{reference_id}")
async def reference_save(request: Request, reference_id: RecordId, me: Csrf) -> Response:
    form = await request.form()
    posted = _posted(form)
    now = clock_of(request)

    def act() -> Response:
        with read_session() as session:
            context = _reference_context(session, me, reference_id)
        answers = {s.id: SectionAnswer(_yes_no(posted.get(f"{s.id}-answer", "")),
                                   posted.get(s.id, "")) for s in context["sections"]}
        try:
            with unit_of_work() as session:
                save_reference(session=session, actor=me.actor, reference_id=reference_id,
                               answers=answers)
            if posted.get("action") == "sign":
                make_reference(actor=me.actor, reference_id=reference_id, now=now)
        except ValidationFailed as error:
            with read_session() as session:
                context = _reference_context(session, me, reference_id)
            return _refusal(request, "fppt/reference.html", context, error,
                            default_field="reference", posted=posted,
                            fields={s.id: s.id for s in context["sections"]})
        done = "signed" if posted.get("action") == "sign" else "saved"
        return RedirectResponse(f"/fppt/references/{reference_id}?done={done}",
                                status_code=303)
    return await run_in_threadpool(act)


@router.get("/references/{reference_id}/reference.pdf")
def reference_file(reference_id: RecordId, me: CurrentPerson) -> Response:
    with read_session() as session:
        context = _reference_context(session, me, reference_id)
    reference = context["reference"]
    if reference.pdf is None:
        raise NotFound("This reference is not signed yet.")
    return Response(reference.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="board-member-reference-'
                               f'{reference.id}.pdf"'})

