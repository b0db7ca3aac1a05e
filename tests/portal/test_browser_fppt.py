"""The FPPT year in a real browser: the company secretary records the checks, the director
follows the self-attestation email and attests, the chair signs off from the sign-off page."""

from __future__ import annotations

from datetime import date
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from appraisal_store import config, sessions
from appraisal_store.fppt_vocabulary import FPPTYearState
from appraisal_store.services.fppt_submissions import queue_fppt_reminders
from tests.appraisal_store.fppt_steps import year_of
from tests.conftest import Board
from tests.portal.emailed import deliver_everything_due
from tests.portal.test_browser import server_fixture, watch_console  # noqa: F401 - fixture
from tests.portal.test_browser_email_links import browser_fixture  # noqa: F401 - the fixture
from tests.portal.test_browser_review import _sign_in

pytestmark = pytest.mark.browser
FINANCE = "finance@rx1.nhs.uk"


def _attestation_link(email: str) -> str:
    for file in sorted(Path(config.settings().outbox_dir).glob("fppt_attestation*.eml")):
        message = message_from_bytes(file.read_bytes(), policy=policy.default)
        if message["To"].addresses[0].addr_spec == email:
            text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            return next(w for w in text.split() if w.startswith(config.settings().base_url))
    raise AssertionError(f"no self-attestation email to {email}")


def test_secretary_records_director_attests_chair_signs_off(
        server: str, sqlite_board: Board, browser) -> None:  # type: ignore[no-untyped-def]
    with sessions.write_session() as session:
        queue_fppt_reminders(session=session, today=date(2025, 12, 1))
    deliver_everything_due()
    console: list[str] = []
    year = year_of(sqlite_board, FINANCE)

    secretary = browser.new_context().new_page()
    watch_console(secretary, console)
    _sign_in(secretary, server, "cosec@rx1.nhs.uk")
    secretary.wait_for_load_state()
    secretary.click("text=Fit and proper person test")
    secretary.click("text=FPPT dashboard 2025/26")
    secretary.click("#members >> text=Priya Shah")
    options = secretary.eval_on_selector_all("#check option", "os => os.map(o => o.value)")
    assert "self-attestation" not in options and "dbs" in options
    for check in options:
        secretary.select_option("#check", check)
        secretary.fill("#done_on-day", "20")
        secretary.fill("#done_on-month", "11")
        secretary.fill("#done_on-year", "2025")
        secretary.check("#outcome")  # clear
        secretary.fill("#evidence_reference", f"HR evidence file, {check}")
        secretary.click("button:has-text('Record check')")
        secretary.wait_for_url("**done=recorded**")
    assert year_of(sqlite_board, FINANCE).state is FPPTYearState.IN_PROGRESS

    link = _attestation_link(FINANCE)
    assert urlsplit(link).path == f"/fppt/assessments/{year.id}/attest"
    director = browser.new_context().new_page()
    watch_console(director, console)
    director.goto(link)
    assert urlsplit(director.url).path == "/sign-in"
    _sign_in(director, server, FINANCE)
    director.wait_for_url(link)
    for radio in director.query_selector_all("input[type=radio][value=no]"):
        radio.check()
    director.click("button:has-text('Sign my self-attestation')")
    director.wait_for_url("**done=attested**")
    assert year_of(sqlite_board, FINANCE).state is FPPTYearState.READY_FOR_SIGN_OFF

    chair = browser.new_context().new_page()
    watch_console(chair, console)
    _sign_in(chair, server, "chair@rx1.nhs.uk")
    chair.wait_for_load_state()
    chair.click("text=Fit and proper person test")
    chair.click("text=Priya Shah, 2025/26")
    chair.check("#fppt_outcome")  # fit and proper
    chair.click("button:has-text('Sign off')")
    chair.wait_for_url("**done=signed**")
    assert "Signed off as Fit and proper" in chair.inner_text("#outcome")
    assert year_of(sqlite_board, FINANCE).state is FPPTYearState.SIGNED_OFF

    colleague = browser.new_context().new_page()
    _sign_in(colleague, server, "ned1@rx1.nhs.uk")
    colleague.wait_for_load_state()
    colleague.goto(f"{server}/fppt/assessments/{year.id}")
    assert colleague.inner_text("h1") == "Page not found"
    assert console == []
