"""The browser tests' way to the people's emails: every queued message delivered (as .eml
files in the outbox), and a link in one followed as its recipient, signed out at first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flows.delivery import deliver_messages, due_message_ids
from tests.portal.test_browser import watch_console
from tests.portal.test_browser_review import _sign_in


def deliver_everything_due() -> None:
    """Deliver every queued message now: a minute ahead of the clock, so that none queued
    just before waits for its time."""
    later = datetime.now(UTC) + timedelta(minutes=1)
    deliver_messages(due_message_ids(now=later, limit=10_000), now=later)


def follow_signed_out(browser, server: str, link: str, email: str,  # type: ignore[no-untyped-def]
                      console: list[str]):
    """In a new browser context, open the emailed link: asked to sign in, sign in as
    ``email``, and land on the page the link names."""
    page = browser.new_context().new_page()
    watch_console(page, console)
    page.goto(link)
    assert urlsplit(page.url).path == "/sign-in"  # signed out at the start
    _sign_in(page, server, email)
    page.wait_for_url(link)
    return page
