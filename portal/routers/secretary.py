"""The company secretary's dashboard and exports; the chair's board outcomes."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from appraisal_store.errors import ValidationFailed
from appraisal_store.queries import secretary_access
from appraisal_store.services import administration
from appraisal_store.services.submissions import deadline_statuses

from ..dashboard import board_outcomes, completion_dashboard, export_csv, export_xlsx
from ..deps import Csrf, CurrentPerson
from ..feedback_dashboard import feedback_counts
from ..paths import RecordId
from ..rendering import render
from ..store import read_session, unit_of_work

router = APIRouter(prefix="/organisations/{organisation_id}")
YEAR = re.compile(r"\d{4}/\d{2}")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/dashboard")
def dashboard(request: Request, organisation_id: RecordId, me: CurrentPerson,
              year: str | None = None) -> Response:
    with read_session() as session:
        board = completion_dashboard(session, me.actor, organisation_id, year=_well_formed(year))
        feedback = feedback_counts(session, organisation_id, board.year)
        submissions = deadline_statuses(session, [organisation_id], year=board.year)
    refuse_malformed_year(year)
    return render(request, "secretary/dashboard.html",
                  {"board": board, **feedback, "nhse_submissions": submissions})


def _well_formed(year: str | None) -> str | None:
    return year if year is not None and YEAR.fullmatch(year) else None


def refuse_malformed_year(year: str | None) -> None:
    """ValidationFailed unless the year asked for in the address is like 2025/26 (it names
    the downloads). Called once the page has checked who is asking: who before what."""
    if year is not None and not YEAR.fullmatch(year):
        raise ValidationFailed("Check the year.",
                               ["year: give the appraisal year, like 2025/26"])


def _filename(code: str, year: str | None, extension: str) -> str:
    # Only an ODS code and a year like 2025/26 go into the header.
    year_part = year.replace("/", "-") if year and YEAR.fullmatch(year) else ""
    return f"appraisal-completion-{code}-{year_part}.{extension}"


@router.get("/dashboard.csv")
def dashboard_csv(organisation_id: RecordId, me: CurrentPerson,
                  year: str | None = None) -> Response:
    with read_session() as session:
        board = completion_dashboard(session, me.actor, organisation_id, year=_well_formed(year))
    refuse_malformed_year(year)
    name = _filename(board.organisation.code, board.year, "csv")
    return Response(export_csv(board), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/dashboard.xlsx")
def dashboard_xlsx(organisation_id: RecordId, me: CurrentPerson,
                   year: str | None = None) -> Response:
    with read_session() as session:
        board = completion_dashboard(session, me.actor, organisation_id, year=_well_formed(year))
    refuse_malformed_year(year)
    name = _filename(board.organisation.code, board.year, "xlsx")
    return Response(export_xlsx(board), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/outcomes")
def outcomes(request: Request, organisation_id: RecordId, me: CurrentPerson,
             year: str | None = None) -> Response:
    with read_session() as session:
        organisation, rows = board_outcomes(session, me.actor, organisation_id,
                                            year=_well_formed(year))
        secretaries = secretary_access(session, organisation_id)
    refuse_malformed_year(year)
    return render(request, "secretary/outcomes.html",
                  {"organisation": organisation, "outcomes": rows, "secretaries": secretaries,
                   "done": request.query_params.get("done", "")})


@router.post("/delegation")
def delegation(organisation_id: RecordId, me: Csrf, delegate_email: Annotated[str, Form()] = "",
               action: Annotated[str, Form()] = "") -> Response:
    """The chair grants or withdraws the company secretary's access to appraisal content."""
    changes = {"grant": administration.delegate_content,
               "revoke": administration.revoke_content_delegation}
    with unit_of_work() as session:
        administration.check_may_delegate(session, me.actor, organisation_id)
        if action not in changes:
            raise ValidationFailed("Choose whether to grant or withdraw access to content.")
        changes[action](session=session, actor=me.actor, organisation_id=organisation_id,
                        delegate_email=delegate_email)
    return RedirectResponse(f"/organisations/{organisation_id}/outcomes?done={action}",
                            status_code=303)
