"""The administration forms refuse names the name rule refuses, saying which and where."""

from __future__ import annotations

import html
from collections.abc import Callable

from sqlalchemy import func, select

from appraisal_store.models import Organisation, Person
from appraisal_store.sessions import read_session
from tests.portal.conftest import SignedInClient

ADMIN = "cosec@rx1.nhs.uk"


def _people() -> int:
    with read_session() as session:
        return int(session.execute(select(func.count()).select_from(Person)).scalar_one())


def test_an_organisation_name_with_a_line_break_is_refused_by_the_form(
        sign_in_as: Callable[..., SignedInClient]) -> None:
    admin = sign_in_as(ADMIN, admin=True, national=True)  # who adds organisations
    response = admin.post("/admin/organisations", {
        "code": "RX1", "name": "Riverside\r\nHospitals", "org_type": "nhs-trust",
        "region": "North West"})
    assert response.status_code == 400
    page = html.unescape(response.text)
    assert "The name contains a carriage return (U+000D), a line feed (U+000A)" in page
    with read_session() as session:
        assert session.execute(select(Organisation.name).where(
            Organisation.code == "RX1")).scalar_one() == "Riverside Hospitals NHS Trust"


def test_a_people_file_with_a_control_character_in_a_name_is_refused_by_the_form(
        sign_in_as: Callable[..., SignedInClient]) -> None:
    admin = sign_in_as(ADMIN, admin=True)
    before = _people()
    csv = ("org_code,name,email,role,start_date,end_date,interim\r\n"
           "RX1,Ann Other,ann@rx1.nhs.uk,non-executive-director,2024-04-01,,no\r\n"
           "RX1,\"Jane\r\nDoe\",jane@rx1.nhs.uk,non-executive-director,2024-04-01,,no\r\n")
    response = admin.client.post(
        "/admin/people", data={"csrf_token": admin.csrf},
        files={"people_csv": ("board.csv", csv.encode(), "text/csv")}, follow_redirects=False)
    assert response.status_code == 400
    assert ("line 3: the name contains a carriage return (U+000D), a line feed (U+000A)"
            in html.unescape(response.text))
    assert _people() == before
