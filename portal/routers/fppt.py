"""The fit and proper person test in the portal, by board: the company secretary's
dashboard per organisation and year, the chair's sign-off page, the ESR export and the
annual submission; the FPPT section of the completion dashboard.

Who sees what: the secretary and the chair (and, for their own, the person; for the
chair's, the senior independent director); to anyone else these pages do not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from appraisal_store.clock import day_of
from appraisal_store.errors import NotFound, ValidationFailed
from appraisal_store.exports import csv_bytes, xlsx_bytes
from appraisal_store.fppt_exports import esr_sheet
from appraisal_store.fppt_queries import (
    MemberYear,
    SubmissionState,
    board_year,
    member_year,
    references,
    sign_off_counts,
    submission_state,
)
from appraisal_store.fppt_tables import FPPTSubmission, FPPTYear
from appraisal_store.fppt_vocabulary import FPPTOutcome, FPPTYearState
from appraisal_store.models import Organisation
from appraisal_store.services.fppt_access import may_sign_off, runs_fppt
from appraisal_store.services.fppt_checklists import checklist_of
from appraisal_store.services.fppt_submissions import default_declaration
from appraisal_store.vocabulary import BoardRole

from ..deps import Csrf, CurrentPerson, SessionDep, Today, request_store
from ..fppt_forms import refusal_page, slug_of, year_of_slug
from ..paths import RecordId
from ..rendering import pages, render

router = APIRouter(prefix="/fppt")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def fppt_section(request: Request, organisation_id: int) -> DashboardSection:
    """Read for the completion dashboard's FPPT section, at the request's store (a page
    global: the dashboard's own context stays the appraisal's)."""
    with request_store(request).read() as session:
        years = [(year, slug_of(year), signed, members,
                  submission_state(session, organisation_id, year))
                 for year, signed, members in sign_off_counts(session, organisation_id)]
    return DashboardSection(organisation_id, years)


pages.env.globals["fppt_section"] = fppt_section


def appraisal_fppt(request: Request, fppt_year: FPPTYear | None) -> MemberYear | None:
    """The person's FPPT year as their appraisal shows it (its state, outcome, sign-off
    and self-attestation; a page global, read at the request's store where the
    appraisal's FPPT step is shown)."""
    if fppt_year is None:
        return None
    with request_store(request).read() as session:
        return member_year(session, fppt_year)


pages.env.globals["appraisal_fppt"] = appraisal_fppt


@router.get("")
def overview(request: Request, store: SessionDep, me: CurrentPerson, today: Today
             ) -> Response:
    """Everything of the FPPT the person has a part in: their own years, the boards they
    run, and the years waiting for their sign-off."""
    with store.read() as session:
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
                                                  "waiting": waiting, "slug": slug_of})


def _dashboard_context(session: Session, me: CurrentPerson, organisation_id: int,
                       year: str) -> dict[str, Any]:
    """The board's FPPT year, as of the day ``session`` acts on (the request's)."""
    organisation = _board(session, me, organisation_id)
    members = board_year(session, organisation_id, year)
    if not members:
        raise NotFound(f"There is no {year} FPPT year for {organisation.name}.")
    today = day_of(session)
    return {"organisation": organisation, "year": year, "slug": slug_of(year),
            "members": members, "today": today,
            "checks": checklist_of(session, members[0].year.checklist_version_id).checks,
            "overdue": [(m, late) for m in members if (late := m.overdue(today))],
            "submission": submission_state(session, organisation_id, year),
            "references": references(session, organisation_id=organisation_id),
            "is_chair": me.person.id is not None and any(
                m.year.role is BoardRole.CHAIR and m.year.person_id == me.person.id
                for m in members),
            "declaration": default_declaration(organisation.name, year)}


@router.get("/boards/{organisation_id}/{year_slug}")
def dashboard(request: Request, store: SessionDep, organisation_id: RecordId, year_slug: str,
              me: CurrentPerson, done: str = "") -> Response:
    year = year_of_slug(year_slug)
    with store.read() as session:
        context = _dashboard_context(session, me, organisation_id, year)
    context["done"] = ("The submission is signed, sealed and recorded as made."
                       if done == "submitted" else None)
    return render(request, "fppt/dashboard.html", context)


@router.get("/boards/{organisation_id}/{year_slug}/sign-off")
def sign_off_page(request: Request, store: SessionDep, organisation_id: RecordId,
                  year_slug: str, me: CurrentPerson, today: Today) -> Response:
    """The chair's sign-off page: each board member and what their sign-off waits for."""
    year = year_of_slug(year_slug)
    with store.read() as session:
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
def esr_export(store: SessionDep, organisation_id: RecordId, year_slug: str, extension: str,
               me: CurrentPerson) -> Response:
    year = year_of_slug(year_slug)
    if extension not in ("csv", "xlsx"):
        raise NotFound("There is no such page.")
    with store.read() as session:
        organisation, sheet = _export(session, me, organisation_id, year)
    name = f"fppt-esr-{organisation.code}-{year_slug}.{extension}"
    content, media = ((csv_bytes(sheet), "text/csv; charset=utf-8") if extension == "csv"
                      else (xlsx_bytes([sheet]), XLSX))
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/boards/{organisation_id}/{year_slug}/submission")
async def submit(request: Request, store: SessionDep, organisation_id: RecordId,
                 year_slug: str, me: Csrf) -> Response:
    year = year_of_slug(year_slug)
    form = await request.form()
    declaration = str(form.get("declaration", ""))
    now = store.now

    def made() -> Response:
        # Imported here, as in portal.follow_ups: ReportLab and pyHanko load only in a
        # portal process that seals something, not in every worker at start-up.
        from records.fppt_sealing import make_submission

        try:
            make_submission(actor=me.actor, organisation_id=organisation_id, year=year,
                            declaration=declaration, now=now)
        except ValidationFailed as error:
            with store.read() as session:
                context = _dashboard_context(session, me, organisation_id, year)
            context["declaration"] = declaration
            return refusal_page(request, "fppt/dashboard.html", context, error,
                            default_field="declaration", fields={}, posted={})
        return RedirectResponse(f"/fppt/boards/{organisation_id}/{year_slug}?done=submitted",
                                status_code=303)
    return await run_in_threadpool(made)


@router.get("/boards/{organisation_id}/{year_slug}/submission.{extension}")
def submission_file(store: SessionDep, organisation_id: RecordId, year_slug: str,
                    extension: str, me: CurrentPerson) -> Response:
    year = year_of_slug(year_slug)
    with store.read() as session:
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


