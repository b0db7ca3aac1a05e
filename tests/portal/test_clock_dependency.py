"""The portal's clock and sessions are dependencies: a test overrides the clock with
FastAPI's ``dependency_overrides`` and every request acts at the moment it says."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from appraisal_store.clock import utcnow
from appraisal_store.models import Person, PortalSession
from appraisal_store.services.sign_in import start_session
from appraisal_store.sessions import read_session, write_session
from portal.app import create_app
from portal.deps import SESSION_COOKIE, clock_of
from tests.conftest import Board

NED = "ned1@rx1.nhs.uk"


def test_a_request_acts_at_the_overridden_clock(sqlite_board: Board) -> None:
    signed_in_at = utcnow() + timedelta(days=40)
    requested_at = signed_in_at + timedelta(minutes=5)
    app = create_app()  # the wall clock, unless overridden
    app.dependency_overrides[clock_of] = lambda: requested_at
    with write_session(now=signed_in_at) as session:
        person = session.execute(select(Person).where(Person.email == NED)).scalar_one()
        secret = start_session(session=session, person=person, now=signed_in_at)
    with read_session() as session:
        csrf = session.execute(select(PortalSession.csrf_token)).scalar_one()
    client = TestClient(app)
    client.cookies.set(SESSION_COOKIE, secret)

    page = client.get("/")  # the session is live at the overridden moment, weeks ahead
    kept = client.post("/session/keep-alive", data={"csrf_token": csrf})

    assert page.status_code == 200 and kept.status_code == 200
    with read_session() as session:
        last_seen = session.execute(select(PortalSession.last_seen_at)).scalar_one()
    # The wall clock is weeks behind the session's start: only the overridden moment
    # could move it on.
    assert last_seen == requested_at
