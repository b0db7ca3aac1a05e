"""The company secretary's dashboard and exports; the chair's board outcomes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..dashboard import board_outcomes, completion_dashboard, export_csv, export_xlsx
from ..deps import CurrentPerson
from ..rendering import render
from ..store import read_session

router = APIRouter(prefix="/organisations/{organisation_id}")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/dashboard")
def dashboard(request: Request, organisation_id: int, me: CurrentPerson,
              year: str | None = None) -> Response:
    with read_session() as session:
        board = completion_dashboard(session, me.actor, organisation_id, year=year)
    return render(request, "secretary/dashboard.html", {"board": board})


def _filename(code: str, year: str | None, extension: str) -> str:
    return f"appraisal-completion-{code}-{(year or '').replace('/', '-')}.{extension}"


@router.get("/dashboard.csv")
def dashboard_csv(organisation_id: int, me: CurrentPerson, year: str | None = None) -> Response:
    with read_session() as session:
        board = completion_dashboard(session, me.actor, organisation_id, year=year)
    name = _filename(board.organisation.code, board.year, "csv")
    return Response(export_csv(board), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/dashboard.xlsx")
def dashboard_xlsx(organisation_id: int, me: CurrentPerson, year: str | None = None) -> Response:
    with read_session() as session:
        board = completion_dashboard(session, me.actor, organisation_id, year=year)
    name = _filename(board.organisation.code, board.year, "xlsx")
    return Response(export_xlsx(board), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/outcomes")
def outcomes(request: Request, organisation_id: int, me: CurrentPerson,
             year: str | None = None) -> Response:
    with read_session() as session:
        organisation, rows = board_outcomes(session, me.actor, organisation_id, year=year)
    return render(request, "secretary/outcomes.html",
                  {"organisation": organisation, "outcomes": rows})
