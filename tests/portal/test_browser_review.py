"""The review's task list in a real browser: typed text survives actions on other pages,
the timeout warning keeps a session, a save after the session ended comes back after
signing in again, last year's objectives reach next year's review, and the submit error
links to each domain with gaps. Every page is free of console errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from appraisal_store import config
from appraisal_store.models import Appraisal, ObjectiveReview, PortalSession
from appraisal_store.sessions import read_session
from tests.conftest import Board
from tests.portal.conftest import Clock, sign_in_emails
from tests.portal.test_browser import (  # noqa: F401 - the server fixture
    ARGS,
    CHROMIUM,
    _link,
    server_fixture,
    watch_console,
)
from tests.review_journeys import agree_with_objectives, open_next_year, submit

pytestmark = pytest.mark.browser
DIRECTOR, APPRAISER = "finance@rx1.nhs.uk", "ceo@rx1.nhs.uk"


@pytest.fixture(name="browser")
def browser_fixture() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _sign_in(page, server: str, email: str) -> None:  # type: ignore[no-untyped-def]
    """Ask for a link on the sign-in page and use it (the page it lands on is the caller's)."""
    if "/sign-in" not in page.url:
        page.goto(f"{server}/sign-in")
    page.fill("#email", email)
    already = len(sign_in_emails(config.settings().outbox_dir, email))
    page.click("text=Email me a sign-in link")
    page.wait_for_selector("text=Check your email")
    page.goto(_link(email, after=already))
    page.click("button:has-text('Sign in')")


def _page(browser, server: str, email: str, console: list[str], **options):  # type: ignore[no-untyped-def]
    page = browser.new_context(**options).new_page()
    watch_console(page, console)
    _sign_in(page, server, email)
    page.wait_for_load_state()
    return page


def _save(page, section: str) -> None:  # type: ignore[no-untyped-def]
    page.click("button:has-text('return to the review')")
    page.wait_for_url(f"**saved={section}**")


def test_the_appraiser_works_through_the_task_list(server: str, sqlite_board: Board,
                                                   clock: Clock, browser) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = sqlite_board.appraisals[DIRECTOR]
    submit(sqlite_board, DIRECTOR, appraisal_id)
    console: list[str] = []
    page = _page(browser, server, APPRAISER, console)
    page.clock.install()  # the browser's timers, for the timeout warning (never a sleep)
    base = f"{server}/review/{appraisal_id}"
    page.goto(base)
    page.click("button:has-text('Begin the review')")
    page.wait_for_url("**saved=begin**")

    # Commentary typed and saved on one page survives saves on the others.
    page.click("a.nhsuk-task-list__link >> nth=0")
    page.fill("#commentary", "Clear and candid on the financial position")
    page.check("#view-2")
    _save(page, "commentary-d1")
    assert "Completed" in page.locator("#domains-1-status").inner_text()
    page.goto(f"{base}/objectives")
    page.fill("#objective-1-text", "Deliver the financial plan")
    page.fill("#objective-1-measure", "Break even at year end")
    page.fill("#objective-1-target-day", "31")
    page.fill("#objective-1-target-month", "3")
    page.fill("#objective-1-target-year", "2027")
    page.fill("#objective-1-priority", "Financial sustainability")
    page.fill("#objective-2-text", "Improve board diversity")
    page.check("#objective-2-kind-3")
    _save(page, "objectives")
    page.goto(f"{base}/commentary/d1")
    assert page.input_value("#commentary") == "Clear and candid on the financial position"
    assert page.is_checked("#view-2")
    page.goto(f"{base}/objectives")
    assert page.input_value("#objective-1-target-day") == "31"
    assert page.input_value("#objective-1-priority") == "Financial sustainability"

    # Two minutes before the idle timeout the warning offers to stay signed in.
    page.goto(f"{base}/plan")
    page.fill("#action-1-need", "Digital leadership")
    assert not page.is_visible("#timeout-warning")
    page.clock.fast_forward("28:30")
    page.wait_for_selector("#timeout-warning[open]")
    assert "signed out in" in page.inner_text("#timeout-warning")
    clock.now += timedelta(minutes=10)
    with page.expect_response("**/session/keep-alive") as kept:
        page.click("#stay-signed-in")
    assert kept.value.ok
    page.wait_for_selector("#timeout-warning:not([open])", state="attached")
    with read_session() as session:
        seen = session.execute(select(PortalSession.last_seen_at).where(
            PortalSession.ended_at.is_(None)).order_by(PortalSession.id.desc())).scalars().first()  # type: ignore[union-attr]
    assert seen == clock.now
    assert page.input_value("#action-1-need") == "Digital leadership"  # nothing reloaded

    # A save after the session ended comes back, filled in, after signing in again.
    page.goto(f"{base}/feedback")
    page.fill("#msf_summary", "Colleagues value the clarity of her reports")
    clock.now += timedelta(minutes=31)
    page.click("button:has-text('return to the review')")
    page.wait_for_selector("#email")
    with read_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal and appraisal.msf_summary == ""
    _sign_in(page, server, APPRAISER)
    page.wait_for_url(f"**/review/{appraisal_id}/feedback")
    page.wait_for_selector("#restored")
    assert page.input_value("#msf_summary") == "Colleagues value the clarity of her reports"
    _save(page, "feedback")
    assert "Completed" in page.locator("#sections-1-status").inner_text()
    with read_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal and appraisal.msf_summary == "Colleagues value the clarity of her reports"
    assert not console, console


def test_last_years_objectives_appear_in_next_years_review(server: str, sqlite_board: Board,
                                                           browser) -> None:  # type: ignore[no-untyped-def]
    ned, chair = "ned1@rx1.nhs.uk", "chair@rx1.nhs.uk"
    agree_with_objectives(sqlite_board, ned, chair, sqlite_board.appraisals[ned])
    this_year = open_next_year(sqlite_board, ned)
    submit(sqlite_board, ned, this_year)
    console: list[str] = []
    page = _page(browser, server, chair, console)
    page.goto(f"{server}/review/{this_year}")
    page.click("button:has-text('Begin the review')")
    page.wait_for_url("**saved=begin**")
    page.click("text=Last year's objectives")
    cards = page.locator(".nhsuk-card")
    assert cards.count() == 2
    assert "Sponsor the race equality network" in cards.nth(0).inner_text()
    assert "Chair the quality committee" in cards.nth(1).inner_text()
    cards.nth(0).locator("input[value=met]").check()
    cards.nth(0).locator("textarea").fill("The network met every quarter")
    cards.nth(1).locator("input[value=not_met]").check()
    _save(page, "last-year")
    assert "Completed" in page.locator("#sections-2-status").inner_text()
    with read_session() as session:
        reviews = {r.text: (r.outcome.value, r.comment) for r in session.execute(
            select(ObjectiveReview).where(ObjectiveReview.appraisal_id == this_year)).scalars()}
    assert reviews == {"Sponsor the race equality network": ("met",
                                                            "The network met every quarter"),
                       "Chair the quality committee": ("not_met", "")}
    assert not console, console


def test_the_submit_error_links_to_each_domain_and_change_comes_back(
        server: str, sqlite_board: Board, browser) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = sqlite_board.appraisals[DIRECTOR]
    console: list[str] = []
    page = _page(browser, server, DIRECTOR, console)
    page.goto(f"{server}/appraisals/{appraisal_id}/domains/d1")
    for radio in page.locator("input[type=radio][value=frequently]").all():
        radio.check()
    page.click("button[value=save]")
    page.goto(f"{server}/appraisals/{appraisal_id}/check")
    page.click("#submit")
    summary = page.locator(".nhsuk-error-summary")
    links = summary.locator("a")
    assert links.count() == 5  # domains 2 to 6; domain 1 is complete
    assert "statements have no answer" in links.nth(0).inner_text()
    links.nth(0).click()
    page.wait_for_url("**/domains/d2?return_to=check")
    for radio in page.locator("input[type=radio][value=occasionally]").all():
        radio.check()
    page.click("text=Save and return to check your answers")
    page.wait_for_url(f"**/appraisals/{appraisal_id}/check")
    page.click("#submit")
    assert page.locator(".nhsuk-error-summary a").count() == 4
    assert not console, console


def test_wide_tables_fit_a_phone(server: str, sqlite_board: Board, browser) -> None:  # type: ignore[no-untyped-def]
    submit(sqlite_board, DIRECTOR, sqlite_board.appraisals[DIRECTOR])  # one in the queue
    console: list[str] = []
    phone = {"viewport": {"width": 375, "height": 800}}
    appraiser = _page(browser, server, APPRAISER, console, **phone)
    appraiser.goto(f"{server}/queue")
    chair = _page(browser, server, "chair@rx1.nhs.uk", console, **phone)
    chair.goto(f"{server}/organisations/{sqlite_board.organisation_id}/outcomes")
    for page in (appraiser, chair):
        page.wait_for_selector("table")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{page.url} is {width} pixels wide"
    assert not console, console


def test_leaving_a_changed_page_asks_first_and_keeps_the_text(  # type: ignore[no-untyped-def]
        server: str, sqlite_board: Board, browser) -> None:
    appraisal_id = sqlite_board.appraisals[DIRECTOR]
    submit(sqlite_board, DIRECTOR, appraisal_id)
    console: list[str] = []
    page = _page(browser, server, APPRAISER, console)
    page.goto(f"{server}/review/{appraisal_id}")
    page.click("button:has-text('Begin the review')")
    page.wait_for_url("**saved=begin**")
    page.goto(f"{server}/review/{appraisal_id}/commentary/d1")
    asked: list[str] = []

    def stay(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.type)
        dialog.dismiss()  # "Stay on page"

    page.on("dialog", stay)
    page.click("#commentary")
    page.keyboard.type("Typed and not yet saved")
    page.click("text=Back to the review", no_wait_after=True)
    page.evaluate("1")  # a round trip: the page answers only once its question was answered
    assert asked == ["beforeunload"]
    page.remove_listener("dialog", stay)
    assert page.url.endswith(f"/review/{appraisal_id}/commentary/d1")
    assert page.input_value("#commentary") == "Typed and not yet saved"
    # Saving is not leaving: the form goes without a question.
    later: list[str] = []
    page.on("dialog", lambda dialog: (later.append(dialog.type), dialog.dismiss()))
    page.check("#view-2")
    page.click("button:has-text('return to the review')")
    page.wait_for_url("**saved=commentary-d1**")
    assert later == []
    assert console == []
