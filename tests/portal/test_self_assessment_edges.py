"""The self-assessment's rough edges: which domains lack answers, Change back to the check
page, dates typed as day, month and year, and a late save kept for the director too."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from appraisal_store.models import Appraisal, Rating
from appraisal_store.sessions import read_session
from tests.conftest import Board
from tests.portal.test_security import _link_token, _request_link, _use_link

DIRECTOR = "finance@rx1.nhs.uk"


def _answer(director, appraisal_id: int, domain_id: str, count: int, **extra: str):  # type: ignore[no-untyped-def]
    from appraisal_store.services.frameworks import framework_of

    with read_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal
        domain = framework_of(session, appraisal.framework_version_id).domain(domain_id)
    form = {f"rating-{s.id}": "frequently" for s in domain.statements[:count]}
    return director.post(f"/appraisals/{appraisal_id}/domains/{domain_id}",
                         {**form, "reflection": "Mine", "action": "save", **extra})


def test_the_submit_error_names_each_domain_with_gaps_and_links_to_it(
        sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = sqlite_board.appraisals[DIRECTOR]
    director = sign_in_as(DIRECTOR)
    assert _answer(director, appraisal_id, "d1", 99).status_code == 303
    assert _answer(director, appraisal_id, "d2", 1).status_code == 303
    refused = director.post(f"/appraisals/{appraisal_id}/submit")
    assert refused.status_code == 400
    summary = refused.text.split('class="nhsuk-error-summary"', 1)[1].split("</div>", 2)[0]
    assert f'href="/appraisals/{appraisal_id}/domains/d1' not in summary  # d1 is complete
    links = re.findall(r'href="(/appraisals/\d+/domains/(d\d)\?return_to=check)"', summary)
    assert [d for _, d in links] == ["d2", "d3", "d4", "d5", "d6"]
    assert re.search(r"2\. [^<]+: \d+ of \d+ statements have no answer", summary)
    check = director.get(f"/appraisals/{appraisal_id}/check").text
    assert check.count("nhsuk-tag--red\">Not answered") > 1
    assert f'href="/appraisals/{appraisal_id}/domains/d2?return_to=check">Answer' in check


def test_change_returns_to_the_check_page(sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = sqlite_board.appraisals[DIRECTOR]
    director = sign_in_as(DIRECTOR)
    page = director.get(f"/appraisals/{appraisal_id}/domains/d3?return_to=check").text
    assert 'name="return_to" value="check"' in page
    assert "Save and return to check your answers" in page
    saved = _answer(director, appraisal_id, "d3", 2, return_to="check")
    assert saved.headers["location"] == f"/appraisals/{appraisal_id}/check"
    assert _answer(director, appraisal_id, "d3", 2, return_to="https://evil.example"
                   ).headers["location"] == f"/appraisals/{appraisal_id}?saved=d3"


def test_a_directors_late_save_comes_back_after_signing_in(
        app, clock, sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = sqlite_board.appraisals[DIRECTOR]
    director = sign_in_as(DIRECTOR)
    clock.now += timedelta(minutes=45)
    late = _answer(director, appraisal_id, "d2", 2, reflection="Typed before lunch")
    assert late.headers["location"] == "/sign-in"
    with read_session() as session:
        assert session.execute(select(Rating)).first() is None
    _request_link(director.client, DIRECTOR)
    landed = _use_link(director.client, _link_token(DIRECTOR))
    assert landed.headers["location"] == f"/appraisals/{appraisal_id}/domains/d2"
    page = director.client.get(landed.headers["location"]).text
    assert "Typed before lunch" in page and 'id="restored"' in page
    assert page.count('value="frequently" checked') == 2


def test_an_extension_date_is_typed_as_day_month_and_year(
        sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = sqlite_board.appraisals[DIRECTOR]
    admin = sign_in_as("chair@rx1.nhs.uk", admin=True)
    page = admin.get(f"/manage/appraisals/{appraisal_id}").text
    assert 'name="new_date-day"' in page and 'type="date"' not in page
    bad = admin.post(f"/manage/appraisals/{appraisal_id}/extend", {
        "deadline": "review", "new_date-day": "30", "new_date-month": "2",
        "new_date-year": "2026", "reason": "Long leave"})
    assert bad.status_code == 400 and "The new date must be a real date" in bad.text
    assert 'value="30"' in bad.text  # what was typed is shown again
    good = admin.post(f"/manage/appraisals/{appraisal_id}/extend", {
        "deadline": "review", "new_date-day": "20", "new_date-month": "3",
        "new_date-year": "2026", "reason": "Long leave"})
    assert good.status_code == 303
    with read_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
    assert appraisal and appraisal.review_due == date(2026, 3, 20)


def test_the_design_systems_css_asks_for_no_fonts_from_elsewhere() -> None:
    from portal.assets import STATIC_DIR, fetch_assets, without_font_faces

    css = (b"a{color:red}@font-face{font-family:Frutiger W01;src:url(https://assets.nhs.uk/"
           b"fonts/x.woff2) format(\"woff2\")}b{font-family:Frutiger W01,Arial,sans-serif}")
    assert without_font_faces(css) == b"a{color:red}b{font-family:Frutiger W01,Arial,sans-serif}"
    fetch_assets()
    assert b"@font-face" not in (STATIC_DIR / "nhsuk-frontend.min.css").read_bytes()
