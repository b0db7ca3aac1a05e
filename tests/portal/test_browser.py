"""The cycle in a real browser (Debian's chromium driven by Playwright), with axe checks."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from appraisal_store import config
from appraisal_store.models import Appraisal, Record
from appraisal_store.services.frameworks import framework_of
from appraisal_store.sessions import read_session
from appraisal_store.vocabulary import AppraisalState
from tests.conftest import Board
from tests.portal.conftest import Clock, delivered_token, sign_in_emails

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path("test-artifacts/screenshots")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _require_chromium() -> None:
    if not shutil.which(CHROMIUM):
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(name="server")
def server_fixture(sqlite_board: Board, monkeypatch: pytest.MonkeyPatch,
                   clock: Clock) -> Iterator[str]:
    import uvicorn

    from portal.app import create_app
    from portal.assets import fetch_assets

    _require_chromium()
    fetch_assets()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("APPRAISAL_BASE_URL", url)
    config.settings.cache_clear()
    server = uvicorn.Server(uvicorn.Config(create_app(clock=clock), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # start-up, not a wait on behaviour under test
        time.sleep(0.05)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def watch_console(page, found: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Collect the page's console errors (a refused font or script is one) and exceptions."""
    def seen(message) -> None:  # type: ignore[no-untyped-def]
        # A refused form answers 400 by design; the browser logs the page's own status,
        # which is not an error of the page (its fonts, scripts or styles).
        own_status = (message.text.startswith("Failed to load resource")
                      and message.location.get("url") == page.url)
        if message.type == "error" and not own_status:
            found.append(f"{page.url}: {message.text}")

    page.on("console", seen)
    page.on("pageerror", lambda error: found.append(f"{page.url}: {error}"))


def _link(email: str, *, after: int) -> str:
    """The link of the sign-in email the portal wrote to the outbox folder (no flow runs)."""
    return f"{config.settings().base_url}/sign-in/link#{delivered_token(email, after=after)}"


def _state(appraisal_id: int) -> AppraisalState:
    with read_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal
        return appraisal.state


def test_cycle_in_the_browser(server: str, sqlite_board: Board) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    appraisal_id = sqlite_board.appraisals["finance@rx1.nhs.uk"]
    with read_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal
        domains = framework_of(session, appraisal.framework_version_id).domains
    axe = Axe()
    problems: list[str] = []
    console: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        def signed_in(email: str):  # type: ignore[no-untyped-def]
            context = browser.new_context()
            page = context.new_page()
            watch_console(page, console)
            page.goto(f"{server}/sign-in")
            page.fill("#email", email)
            already = len(sign_in_emails(config.settings().outbox_dir, email))
            page.click("text=Email me a sign-in link")
            page.wait_for_selector("text=Check your email")
            page.goto(_link(email, after=already))
            # The page's script took the token from the fragment, out of the address bar.
            assert page.locator("#token").input_value() and "#" not in page.url
            assert page.locator("#token").is_hidden()
            page.click("button:has-text('Sign in')")
            page.wait_for_selector("h1:has-text('Board appraisal')")
            return page

        def check(page, name: str) -> None:  # type: ignore[no-untyped-def]
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
            result = axe.run(page)
            for violation in result.response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    problems.append(f"{name}: {violation['id']} {violation['help']}")

        def answer(page, domain_ids: list[str], *, last: str = "continue") -> None:  # type: ignore[no-untyped-def]
            for domain_id in domain_ids:
                page.goto(f"{server}/appraisals/{appraisal_id}/domains/{domain_id}")
                for radio in page.locator("input[type=radio][value=frequently]").all():
                    radio.check()
                page.fill("#reflection", f"My reflection on {domain_id}")
                page.click("button[value=save]" if last == "save" else "button[value=continue]")

        director = signed_in("finance@rx1.nhs.uk")
        check(director, "home")
        director.goto(f"{server}/appraisals/{appraisal_id}")
        check(director, "director-overview")
        director.goto(f"{server}/appraisals/{appraisal_id}/domains/{domains[0].id}")
        check(director, "director-domain")
        half = len(domains) // 2
        answer(director, [d.id for d in domains[:half]], last="save")
        director.wait_for_selector("text=You can come back and finish later")
        answer(director, [d.id for d in domains[half:]])
        director.wait_for_selector("h1:has-text('Check your answers')")
        check(director, "director-check")
        # The appraisal's FPPT step: the FPPT year's self-attestation, from the overview.
        director.goto(f"{server}/appraisals/{appraisal_id}")
        director.click("#fppt-attest")
        for radio in director.query_selector_all("input[type=radio][value=no]"):
            radio.check()
        director.click("button:has-text('Sign my self-attestation')")
        director.wait_for_url("**done=attested**")
        director.goto(f"{server}/appraisals/{appraisal_id}")
        assert "signed the annual self-attestation" in director.inner_text("#fppt-attested")
        director.goto(f"{server}/appraisals/{appraisal_id}/check")
        director.click("#submit")
        director.wait_for_selector("text=has been submitted")
        assert _state(appraisal_id) is AppraisalState.SUBMITTED

        appraiser = signed_in("ceo@rx1.nhs.uk")
        appraiser.goto(f"{server}/queue")
        check(appraiser, "appraiser-queue")
        appraiser.click("text=Priya Shah")
        check(appraiser, "appraiser-review")
        appraiser.goto(f"{server}/review/{appraisal_id}/decision")
        appraiser.fill("#reason", "Please add examples to your reflections")
        appraiser.click("text=Return with this reason")
        appraiser.wait_for_selector(".nhsuk-tag:has-text('Returned')")
        assert _state(appraisal_id) is AppraisalState.RETURNED

        director.goto(f"{server}/appraisals/{appraisal_id}")
        director.wait_for_selector("text=Please add examples to your reflections")
        director.goto(f"{server}/appraisals/{appraisal_id}/check")
        director.click("#submit")
        director.wait_for_selector("text=has been submitted")

        appraiser.goto(f"{server}/review/{appraisal_id}")
        appraiser.click("text=Begin the review")
        appraiser.wait_for_url("**saved=begin**")
        check(appraiser, "appraiser-task-list")
        for domain in domains:
            appraiser.goto(f"{server}/review/{appraisal_id}/commentary/{domain.id}")
            appraiser.fill("#commentary", f"Agreed on {domain.name}")
            appraiser.check("#view-2")
            appraiser.click("text=Save and return to the review")
            appraiser.wait_for_url(f"**saved=commentary-{domain.id}**")
        appraiser.click("a.nhsuk-task-list__link:has-text('The appraisal meeting')")  # own page
        appraiser.fill("#meeting-date-day", "20")
        appraiser.fill("#meeting-date-month", "1")
        appraiser.fill("#meeting-date-year", "2026")
        appraiser.fill("#meeting-time", "2:30pm")
        appraiser.fill("#meeting-place", "The boardroom")
        appraiser.click("button:has-text('Schedule the meeting')")
        appraiser.wait_for_url("**saved=meeting**")
        appraiser.goto(f"{server}/review/{appraisal_id}/objectives")
        check(appraiser, "appraiser-objectives")
        appraiser.fill("#objective-1-text", "Deliver the financial plan")
        appraiser.fill("#objective-2-text", "Improve board diversity")
        appraiser.check("#objective-2-kind-3")
        appraiser.click("text=Save and return to the review")
        appraiser.wait_for_url("**saved=objectives**")
        appraiser.goto(f"{server}/review/{appraisal_id}/plan")
        appraiser.fill("#action-1-need", "Digital leadership")
        appraiser.fill("#action-1-action", "NHS digital academy course")
        appraiser.click("text=Save and return to the review")
        appraiser.wait_for_url("**saved=plan**")
        appraiser.goto(f"{server}/review/{appraisal_id}/fppt")
        check(appraiser, "appraiser-fppt")
        appraiser.fill("#last_assessed_on-day", "1")
        appraiser.fill("#last_assessed_on-month", "10")
        appraiser.fill("#last_assessed_on-year", "2025")
        appraiser.check("#status")
        appraiser.click("text=Confirm and return to the review")
        appraiser.wait_for_url("**saved=fppt**")
        appraiser.goto(f"{server}/review/{appraisal_id}/decision")
        appraiser.click("button:has-text('Agree the appraisal')")
        appraiser.wait_for_url("**saved=agree**")
        assert _state(appraisal_id) is AppraisalState.AGREED, \
            appraiser.locator(".nhsuk-error-summary").all_inner_texts()

        director.goto(f"{server}/appraisals/{appraisal_id}")
        director.click("button:has-text('Sign your appraisal')")
        director.wait_for_selector("text=You have signed your appraisal")
        appraiser.goto(f"{server}/review/{appraisal_id}")
        appraiser.click("button:has-text('Sign the appraisal')")
        appraiser.wait_for_selector(".nhsuk-tag:has-text('Complete')")
        assert _state(appraisal_id) is AppraisalState.COMPLETE
        with read_session() as session:
            sealed = session.execute(select(Record.id).where(
                Record.appraisal_id == appraisal_id)).first() is not None
        if sealed:
            director.goto(f"{server}/appraisals/{appraisal_id}")
            with director.expect_download() as pdf:
                director.click("text=Download the signed record")
            assert pdf.value.suggested_filename.endswith(".pdf")

        cosec = signed_in("cosec@rx1.nhs.uk")
        cosec.goto(f"{server}/organisations/{sqlite_board.organisation_id}/dashboard")
        check(cosec, "secretary-dashboard")
        row = cosec.locator("#directors tr", has_text="Priya Shah")
        assert "Complete" in row.inner_text()
        with cosec.expect_download() as download:
            cosec.click("text=Download as CSV")
        csv_text = Path(download.value.path()).read_text(encoding="utf-8")
        assert "Priya Shah" in csv_text and "Complete" in csv_text
        browser.close()
    assert not problems, problems
    assert not console, console
