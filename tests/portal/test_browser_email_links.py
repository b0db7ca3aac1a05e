"""Each email's link, followed in a real browser by its recipient, signed out: the portal
asks them to sign in and then lands them on the page the email named, one they can act on.
"""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from appraisal_store import config
from tests.conftest import Board
from tests.portal.emailed import deliver_everything_due
from tests.portal.test_browser import (  # noqa: F401 - the server fixture
    ARGS,
    CHROMIUM,
    server_fixture,
    watch_console,
)
from tests.portal.test_browser_review import _sign_in
from tests.portal.test_email_links import walk_the_year
from tests.portal.test_follow_ups import settle

pytestmark = pytest.mark.browser


@pytest.fixture(name="browser")
def browser_fixture() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def emails_by_kind() -> dict[tuple[str, str], tuple[str, str]]:
    """One delivered email of each kind (its key's first word) and page it links to:
    (kind, page) -> (recipient, link). Escalations are reminders to other readers."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for file in sorted(Path(config.settings().outbox_dir).glob("*.eml")):
        email = message_from_bytes(file.read_bytes(), policy=policy.default)
        kind = str(email["X-Appraisal-Key"]).strip().split(":")[0]
        if kind == "sign_in":
            continue
        text = email.get_body(("plain",)).get_content()
        base = config.settings().base_url
        link = next(word for word in text.split() if word.startswith(base))
        path = urlsplit(link).path
        recipient = email["To"].addresses[0].addr_spec
        found.setdefault((kind, path.split("/")[1]), (recipient, link))
    return found


@pytest.fixture(name="delivered")
def delivered_fixture(server: str, sqlite_board: Board, home: Path
                      ) -> dict[tuple[str, str], tuple[str, str]]:
    """The year walked and its emails delivered as .eml files, before the browser starts
    (pyHanko's signing runs its own event loop, which Playwright's would be in the way of)."""
    walk_the_year(sqlite_board, home)
    settle()
    deliver_everything_due()
    return emails_by_kind()


def test_every_kind_of_email_lands_its_reader_after_signing_in(
        server: str, delivered: dict[tuple[str, str], tuple[str, str]], browser) -> None:  # type: ignore[no-untyped-def]
    kinds = delivered
    assert set(kinds) >= {
        ("invitation", "appraisals"), ("submitted", "review"), ("meeting", "appraisals"),
        ("meeting", "review"), ("returned", "appraisals"), ("agreed", "appraisals"),
        ("appraisee_signed", "review"), ("record_complete", "appraisals"),
        ("record_complete", "review"), ("record_complete", "manage"),
        ("reminder", "appraisals"), ("reminder", "review"), ("reminder", "manage")}
    console: list[str] = []
    for (kind, _), (recipient, link) in sorted(kinds.items()):
        page = browser.new_context().new_page()
        watch_console(page, console)
        page.goto(link)
        assert urlsplit(page.url).path == "/sign-in", (kind, page.url)
        _sign_in(page, server, recipient)
        page.wait_for_url(link)
        heading = page.inner_text("h1")
        assert heading not in ("Page not found", "You cannot do this"), (kind, heading)
        page.context.close()
    assert console == []

