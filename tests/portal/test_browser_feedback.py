"""Multi-source feedback in Chromium: respondents open the emailed link signed out (no
account), answer part by part and send (one saves halfway, comes back from the email and
sends; the link then opens nothing); the appraiser, signed in from their own email, closes
the round and reads the summary from the review's task list, where no respondent's name
appears; the appraisee reads the same summary once the round has closed."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from appraisal_store import config
from appraisal_store.services import feedback_opening
from appraisal_store.services.feedback import Nomination
from appraisal_store.sessions import write_session
from tests.conftest import Board
from tests.portal.emailed import deliver_everything_due
from tests.portal.test_browser import (  # noqa: F401 - the server fixture
    ARGS,
    CHROMIUM,
    server_fixture,
    watch_console,
)
from tests.portal.test_browser_review import _sign_in
from tests.review_journeys import submit

pytestmark = pytest.mark.browser
DIRECTOR, APPRAISER = "finance@rx1.nhs.uk", "ceo@rx1.nhs.uk"
PEOPLE = [Nomination("Imogen Threlfall", "imogen@x.nhs.uk", "board"),
          Nomination("Kwame Osei-Bonsu", "kwame@x.nhs.uk", "board"),
          Nomination("Lucia Ferreira", "lucia@x.nhs.uk", "board")]


@pytest.fixture(name="browser")
def browser_fixture() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _invitation_links() -> dict[str, str]:
    deliver_everything_due()
    links = {}
    for file in sorted(Path(config.settings().outbox_dir).glob("feedback-invitation*.eml")):
        email = message_from_bytes(file.read_bytes(), policy=policy.default)
        text = email.get_body(("plain",)).get_content()
        links[email["To"].addresses[0].addr_spec] = next(
            word for word in text.split() if "/feedback/respond#" in word)
    return links


def _open_from_email(browser, link: str, console: list[str]):  # type: ignore[no-untyped-def]
    """A fresh, signed-out browser (no account) following the emailed link."""
    page = browser.new_context().new_page()
    watch_console(page, console)
    page.goto(link)
    # The script took the token from the fragment into the form and out of the address.
    assert urlsplit(page.url).fragment == ""
    with page.expect_navigation():
        page.click("button:has-text('Open the form')")
    return page


def _answer_part(page, number: int) -> None:  # type: ignore[no-untyped-def]
    """Answer the part on screen and save it (every part's button saves what is on it)."""
    for radio in page.query_selector_all("fieldset"):
        radio.query_selector_all("input[type=radio]")[number % 2].check()
    for box in page.query_selector_all("textarea[name$=':do_well']"):
        box.fill(f"Respondent {number + 1}: a clear chair of committees")
    if not page.is_visible("button:has-text('Send my feedback')"):
        with page.expect_navigation():
            page.click("button:has-text('Save and continue')")


def _send(page) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.click("button:has-text('Send my feedback')")
    page.wait_for_selector("#feedback-sent")


def test_respondents_answer_from_the_email_and_the_appraiser_reads_the_summary(
        server: str, sqlite_board: Board, browser, clock) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = sqlite_board.appraisals[DIRECTOR]
    submit(sqlite_board, DIRECTOR, appraisal_id)
    with write_session() as session:
        feedback_opening.open_rounds(session=session, actor=sqlite_board.actor(APPRAISER),
                             appraisal_ids=[appraisal_id], today=clock.now.date(),
                             now=clock.now, nominations=PEOPLE)
    links = _invitation_links()
    assert set(links) == {n.email for n in PEOPLE}
    console: list[str] = []

    # The first respondent saves the first part, leaves, and comes back from the email.
    first = PEOPLE[0]
    page = _open_from_email(browser, links[first.email], console)
    page.wait_for_selector("#how-confidential")
    _answer_part(page, 0)
    page.context.close()
    page = _open_from_email(browser, links[first.email], console)
    # Back where they left off, told so, with the first part's answers kept.
    assert page.is_visible("#resumed") and "part 2 of" in page.inner_text("main")
    page.click("a:has-text('1. ')")
    page.wait_for_url("**part=1")
    checked = page.query_selector_all("fieldset input[type=radio]:checked")
    assert checked and len(checked) == len(page.query_selector_all("fieldset"))  # kept
    while not page.is_visible("button:has-text('Send my feedback')"):
        _answer_part(page, 0)
    _send(page)
    page.context.close()
    # The link again, once the answers are in: it opens nothing, and says so.
    page = _open_from_email(browser, links[first.email], console)
    assert "This feedback link does not open a form" in page.inner_text("main")
    page.context.close()

    for number, person in enumerate(PEOPLE[1:], start=1):
        page = _open_from_email(browser, links[person.email], console)
        page.wait_for_selector("#how-confidential")
        while not page.is_visible("button:has-text('Send my feedback')"):
            _answer_part(page, number)
        _send(page)
        page.context.close()

    # The appraisee, while the round is open: how many answered, nobody's name.
    appraisee = browser.new_context().new_page()
    watch_console(appraisee, console)
    _sign_in(appraisee, server, DIRECTOR)
    appraisee.goto(f"{server}/appraisals/{appraisal_id}")
    with appraisee.expect_navigation():
        appraisee.click("text=Your feedback round")
    assert "3 of 3 answered" in appraisee.inner_text("main")
    assert not appraisee.is_visible("#feedback-summary")

    page = browser.new_context().new_page()
    watch_console(page, console)
    _sign_in(page, server, APPRAISER)
    page.goto(f"{server}/appraisals/{appraisal_id}/feedback")
    assert all(page.is_visible(f"text={n.name}") for n in PEOPLE)  # who was asked
    with page.expect_navigation():
        page.click("button:has-text('Close the round now')")
    assert not page.is_visible("#feedback-summary")  # never beside the names
    page.goto(f"{server}/review/{appraisal_id}")  # the review's task list
    with page.expect_navigation():
        page.click("text=Multi-source feedback summary")
    page.wait_for_selector("#feedback-summary")
    summary = page.inner_text("#feedback-summary")
    assert "3 of 3 answered" in summary and "All respondents (3)" in summary
    assert "a clear chair of committees" in summary
    assert not any(n.name in summary for n in PEOPLE)

    # The appraisee, once it has closed: the same summary, for the appraisal's discussion.
    appraisee.reload()
    appraisee.wait_for_selector("#feedback-summary")
    theirs = appraisee.inner_text("#feedback-summary")
    assert theirs == summary
    assert not any(n.name in appraisee.inner_text("main") for n in PEOPLE)
    assert console == []
