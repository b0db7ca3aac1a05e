"""Portal fixtures: the app over the real SQLite store, and signed-in clients per role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from appraisal_store.database import write_session
from appraisal_store.models import Person, PortalSession
from appraisal_store.types import utcnow
from portal.app import create_app
from portal.authentication import start_session
from portal.deps import SESSION_COOKIE
from tests.conftest import Board


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


@pytest.fixture(name="app")
def app_fixture(sqlite_board: Board, clock: Clock):  # type: ignore[no-untyped-def]
    return create_app(clock=clock)


@pytest.fixture(name="sign_in_as")
def sign_in_as_fixture(app, clock: Clock  # type: ignore[no-untyped-def]
                       ) -> Callable[[str], SignedInClient]:
    """A client with a live session for the person with ``email`` (made admin if asked)."""

    def sign_in(email: str, *, admin: bool = False) -> SignedInClient:
        with write_session() as session:
            person = session.execute(select(Person).where(Person.email == email)).scalar_one()
            if admin:
                session.execute(update(Person).where(Person.id == person.id)
                                .values(is_admin=True))
                person.is_admin = True
            secret = start_session(session, person=person, now=clock.now)
        with write_session() as session:
            csrf = session.execute(select(PortalSession.csrf_token).where(
                PortalSession.person_id == person.id).order_by(
                    PortalSession.id.desc())).scalars().first()  # type: ignore[union-attr]
        client = TestClient(app)
        client.cookies.set(SESSION_COOKIE, secret)
        return SignedInClient(client, csrf or "", person.id or 0)

    return sign_in
