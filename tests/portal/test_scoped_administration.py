"""The portal's administration pages: the reassign form offers only those who may appraise,
and an administrator acts on her own organisations only."""

from __future__ import annotations

import re

from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.models import Appraisal, AuditEvent
from tests.conftest import Board
from tests.second_board import NATIONAL, seed_second_board

EXEC = "finance@rx1.nhs.uk"


def _appraiser(board: Board) -> int | None:
    with sessions.read_session() as session:
        appraisal = session.get(Appraisal, board.appraisals[EXEC])
        assert appraisal is not None
        return appraisal.appraiser_id


def test_the_reassign_form_offers_only_the_eligible(sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    cosec = sign_in_as("cosec@rx1.nhs.uk")
    page = cosec.get(f"/manage/appraisals/{sqlite_board.appraisals[EXEC]}").text
    form = page[page.index('id="reassign-form"'):page.index('id="withdraw-form"')]
    assert 'type="email"' not in form
    offered = re.findall(r'name="appraiser_email" type="radio" value="([^"]+)"', form)
    assert offered == ["chair@rx1.nhs.uk"]  # the chief executive appraises already
    assert "Margaret Okafor (chair)" in form


def test_posting_anyone_else_is_refused_with_who_may_be_chosen(sqlite_board: Board,  # type: ignore[no-untyped-def]
                                                               sign_in_as) -> None:
    cosec = sign_in_as("cosec@rx1.nhs.uk")
    url = f"/manage/appraisals/{sqlite_board.appraisals[EXEC]}/reassign"
    for someone in ("cosec@rx1.nhs.uk", "ned1@rx1.nhs.uk", "leaver@rx1.nhs.uk"):
        response = cosec.post(url, {"appraiser_email": someone, "reason": "Conflict"})
        assert response.status_code == 400
        assert "Choose one of: Daniel Price (chief executive); Margaret Okafor (chair)." \
            in response.text
        assert 'href="#appraiser_email"' in response.text
    assert _appraiser(sqlite_board) == sqlite_board.people["ceo@rx1.nhs.uk"]
    response = cosec.post(url, {"appraiser_email": "chair@rx1.nhs.uk", "reason": "Conflict"})
    assert response.status_code == 303
    assert _appraiser(sqlite_board) == sqlite_board.people["chair@rx1.nhs.uk"]


def test_importing_another_organisations_people_is_refused(sqlite_board: Board,  # type: ignore[no-untyped-def]
                                                           sign_in_as) -> None:
    seed_second_board()
    other = sign_in_as("cosec@rx2.nhs.uk")
    rows = ("org_code,name,email,role,start_date,end_date,interim\n"
            "RX1,Sly Exec,sly@rx1.nhs.uk,executive-director,2025-04-01,,no\n")
    response = other.post("/admin/people", files={"people_csv": ("p.csv", rows, "text/csv")})
    assert response.status_code == 400
    assert "line 2: you do not administer RX1" in response.text
    with sessions.read_session() as session:
        assert session.execute(select(AuditEvent.id).where(
            AuditEvent.subject_id == "sly@rx1.nhs.uk")).first() is None


def test_the_national_administrator_sees_every_dashboard_without_manage_links(  # type: ignore[no-untyped-def]
        sqlite_board: Board, sign_in_as) -> None:
    second = seed_second_board()
    national = sign_in_as(NATIONAL, national=True)
    admin = national.get("/admin").text
    assert "RX1 Riverside" in admin and "RX2 Hillside" in admin
    assert 'action="/admin/organisations"' in admin and 'action="/admin/cycles"' not in admin
    for organisation_id in (sqlite_board.organisation_id, second):
        page = national.get(f"/organisations/{organisation_id}/dashboard")
        assert page.status_code == 200 and "/manage/appraisals/" not in page.text
    home = national.get("/").text
    assert 'href="/admin"' in home
    cosec = sign_in_as("cosec@rx1.nhs.uk").get(
        f"/organisations/{sqlite_board.organisation_id}/dashboard").text
    assert "/manage/appraisals/" in cosec
