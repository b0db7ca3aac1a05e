"""Portal fixtures: the app over the real SQLite store, and signed-in clients per role."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from appraisal_store import config
from appraisal_store.actors import Actor
from appraisal_store.clock import utcnow
from appraisal_store.models import Person, PortalSession
from appraisal_store.services.administrators import grant_administration
from appraisal_store.services.sign_in import start_session
from appraisal_store.sessions import write_session
from portal.app import create_app
from portal.deps import SESSION_COOKIE
from tests.conftest import Board
from tests.flows.conftest import smtp_server_fixture  # noqa: F401 - the same SMTP server

LINK_TOKEN = re.compile(r"/sign-in/link#([A-Za-z0-9_-]+)")


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class SignedInClient:
    client: TestClient
    csrf: str
    person_id: int

    def get(self, url: str, **kwargs: object) -> object:
        return self.client.get(url, follow_redirects=False, **kwargs)  # type: ignore[arg-type]

    def post(self, url: str, data: dict[str, str] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
        form = {"csrf_token": self.csrf, **(data or {})}
        return self.client.post(url, data=form, follow_redirects=False, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(name="clock")
def clock_fixture() -> Clock:
    return Clock(utcnow())


@pytest.fixture(autouse=True)
def served_as_testserver(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test client asks for host "testserver", and the portal serves only its base URL's
    host: every app made in these tests has that base URL unless the test sets another."""
    monkeypatch.setenv("APPRAISAL_BASE_URL", "http://testserver")
    config.settings.cache_clear()


@pytest.fixture(name="app")
def app_fixture(sqlite_board: Board, clock: Clock):  # type: ignore[no-untyped-def]
    return create_app(clock=clock)


@pytest.fixture(name="sign_in_as")
def sign_in_as_fixture(app, clock: Clock  # type: ignore[no-untyped-def]
                       ) -> Callable[[str], SignedInClient]:
    """A client with a live session for the person with ``email``.

    ``admin=True`` grants them administration of the seeded board (RX1), ``admin="CODE"``
    of that organisation; ``national=True`` makes them a national administrator.
    """

    def sign_in(email: str, *, admin: bool | str = False,
                national: bool = False) -> SignedInClient:
        with write_session() as session:
            person = session.execute(select(Person).where(Person.email == email)).scalar_one()
            if admin:
                grant_administration(session=session, actor=Actor.operator(), email=email,
                                     organisation_code=admin if isinstance(admin, str)
                                     else "RX1")
            if national:
                grant_administration(session=session, actor=Actor.operator(), email=email,
                                     national=True)
            secret = start_session(session=session, person=person, now=clock.now)
        with write_session() as session:
            csrf = session.execute(select(PortalSession.csrf_token).where(
                PortalSession.person_id == person.id).order_by(
                    PortalSession.id.desc())).scalars().first()  # type: ignore[union-attr]
        client = TestClient(app)
        client.cookies.set(SESSION_COOKIE, secret)
        return SignedInClient(client, csrf or "", person.id or 0)

    return sign_in


def plain_text(email: Message) -> str:
    """The plain-text part of an email, decoded."""
    for part in email.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8").replace("\r\n", "\n")
    raise AssertionError("the email has no plain-text part")


def link_token(email: Message) -> str:
    """The token in a sign-in email's link (the fragment after ``/sign-in/link#``)."""
    found = LINK_TOKEN.search(plain_text(email))
    assert found, "no sign-in link in the email"
    return found.group(1)


def sign_in_emails(folder: Path, address: str) -> list[EmailMessage]:
    """The sign-in emails delivered as .eml files to ``address``, oldest first."""
    if not folder.exists():
        return []
    emails = []
    for path in sorted(folder.glob("sign_in_*.eml"), key=lambda p: p.stat().st_mtime_ns):
        email = message_from_bytes(path.read_bytes(), policy=policy.default)
        if address in str(email["To"]):
            emails.append(email)
    return emails  # type: ignore[return-value]


def delivered_token(address: str, *, after: int = 0, within: float = 10.0) -> str:
    """The token of the sign-in email to ``address`` that arrives in the outbox folder
    after the first ``after`` ones, polled until ``within`` seconds have passed."""
    folder = config.settings().outbox_dir
    deadline = time.monotonic() + within
    while True:
        emails = sign_in_emails(folder, address)
        if len(emails) > after:
            return link_token(emails[-1])
        assert time.monotonic() < deadline, f"no sign-in email to {address} arrived"
        time.sleep(0.01)  # polling for a delivery on another thread, not timing it
