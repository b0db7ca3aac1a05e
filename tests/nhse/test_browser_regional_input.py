"""NHS England's regional director, signed out, follows the emailed link in Chromium, signs
in and gives input to the chair's appraisal; the appraiser, the senior independent
director, reads it on the review."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.nhse_tables import RegionalInput
from appraisal_store.services import self_assessment
from tests.conftest import Board
from tests.nhse.endorsing import REGIONAL, emailed_link, register_regional_director
from tests.portal.emailed import deliver_everything_due, follow_signed_out
from tests.portal.test_browser import server_fixture, watch_console  # noqa: F401 - fixture
from tests.portal.test_browser_email_links import browser_fixture  # noqa: F401 - fixture
from tests.portal.test_browser_review import _sign_in
from tests.portal.test_follow_ups import answer_everything
from tests.records.appraisals import CHAIR, SID

pytestmark = pytest.mark.browser
INPUT = "Strong system leadership across the ICS; should chair the collaborative's board."


@pytest.fixture(name="requested")
def requested_fixture(server: str, sqlite_board: Board) -> tuple[int, str]:
    """The chair's self-assessment submitted and the request delivered as an .eml file."""
    register_regional_director()
    chair = answer_everything(sqlite_board, CHAIR)
    with sessions.write_session() as session:
        self_assessment.submit_self_assessment(session=session, actor=sqlite_board.actor(CHAIR),
                                               appraisal_id=chair)
    deliver_everything_due()
    return chair, emailed_link("regional_input_requested:")


def test_the_regional_director_gives_input_from_the_emailed_link(
        server: str, requested: tuple[int, str], browser) -> None:  # type: ignore[no-untyped-def]
    chair, link = requested
    assert urlsplit(link).path == f"/regional-input/{chair}"

    console: list[str] = []
    page = follow_signed_out(browser, server, link, REGIONAL, console)
    assert "Your input to the chair's appraisal" in page.inner_text("h1")
    page.click("button:has-text('Give your input')")  # nothing written: refused, said why
    refused = page.inner_text(".nhsuk-error-summary")
    assert "The input is empty; write the input for the appraiser" in refused
    page.fill("#text", INPUT)
    page.click("button:has-text('Give your input')")
    page.wait_for_url(f"**/regional-input/{chair}?done=given")
    assert "carried into the signed record" in page.inner_text("#done")
    assert INPUT in page.inner_text("main")
    page.context.close()

    appraiser = browser.new_context().new_page()
    watch_console(appraiser, console)
    _sign_in(appraiser, server, SID)
    appraiser.wait_for_load_state()
    appraiser.goto(f"{server}/review/{chair}")
    shown = appraiser.inner_text("#regional-input")
    assert "Input from NHS England's regional director" in shown
    assert "Dr Amara Osei" in shown and INPUT in shown
    appraiser.context.close()
    assert console == []
    with sessions.read_session() as session:
        assert session.execute(select(RegionalInput.text)).scalars().all() == [INPUT]
