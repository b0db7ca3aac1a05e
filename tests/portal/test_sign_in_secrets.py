"""Sign-in secrets stay secret: the link is sent at once and never stored or logged, the
signed-out forms' CSRF token is the server's own, and sessions end however busy they are.
(The per-client limit behind proxies: ``test_client_address``.)"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select, text

from appraisal_store import config
from appraisal_store.clock import utcnow
from appraisal_store.models import OutboxMessage, PortalSession, SignInToken
from appraisal_store.outbox import QueuedMessage, queue_messages
from appraisal_store.sessions import read_session, write_session
from flows.delivery import deliver_messages, due_message_ids
from portal import server
from portal.app import create_app
from portal.authentication import SignInLetter
from portal.deps import PRE_SESSION_COOKIE, SESSION_COOKIE
from portal.pre_session import PRE_SESSION_TOKEN_LIFETIME, mint_pre_session_token
from portal.sign_in_mail import SignInPostman, deliver_sign_in_letter
from tests.conftest import Board
from tests.flows.conftest import SmtpServer
from tests.portal.conftest import Clock, delivered_token, link_token, plain_text

CSRF_VALUE = 'name="csrf_token" value="'


def _form_csrf(page: str) -> str:
    return page.split(CSRF_VALUE, 1)[1].split('"', 1)[0]


def _request_link(client: TestClient, email: str):  # type: ignore[no-untyped-def]
    client.get("/sign-in")
    token = client.cookies.get(PRE_SESSION_COOKIE, path="/sign-in") or ""
    return client.post("/sign-in", data={"email": email, "csrf_token": token})


def _use_link(client: TestClient, token: str):  # type: ignore[no-untyped-def]
    client.get("/sign-in/link")
    csrf = client.cookies.get(PRE_SESSION_COOKIE, path="/sign-in") or ""
    return client.post("/sign-in/link", data={"token": token, "csrf_token": csrf},
                       follow_redirects=False)


def _stored_text() -> str:
    """Every column of every outbox row and every sign-in token row, as text."""
    with read_session() as session:
        rows = [*session.execute(text("SELECT * FROM outboxmessage")).all(),
                *session.execute(text("SELECT * FROM signintoken")).all()]
    return "\n".join(str(value) for row in rows for value in row)


def _wait_for(condition, within: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "not within the deadline"
        time.sleep(0.01)  # polling another thread's work, not timing it


# --- the link is never stored, and goes out at once --------------------------------------

def test_no_sign_in_token_or_link_is_stored(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    assert _request_link(client, "chair@rx1.nhs.uk").status_code == 200
    token = delivered_token("chair@rx1.nhs.uk")
    stored = _stored_text()
    assert stored  # the sign-in token row is there, hashed
    assert token not in stored and "/sign-in/link" not in stored
    with read_session() as session:
        assert not session.execute(select(OutboxMessage).where(
            OutboxMessage.template == "sign_in_link")).all()
    assert _use_link(client, token).status_code == 303


def test_the_email_reaches_the_smtp_server_with_no_flow_running(  # type: ignore[no-untyped-def]
        app, smtp_server: SmtpServer) -> None:
    client = TestClient(app)
    assert _request_link(client, "ceo@rx1.nhs.uk").status_code == 200
    _wait_for(lambda: smtp_server.mailbox.messages)
    (email,) = smtp_server.mailbox.messages
    assert "ceo@rx1.nhs.uk" in email["To"]
    assert str(email["X-Appraisal-Key"]).startswith("sign_in:")
    token = link_token(email)
    assert f"/sign-in/link#{token}" in plain_text(email)
    assert f"paste this code:\n\n{token}" in plain_text(email)  # the no-JavaScript way
    assert token not in _stored_text()
    assert _use_link(client, token).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 200


def _letter(expires_in: timedelta) -> SignInLetter:
    now = utcnow()
    return SignInLetter("sign_in:test", "chair@rx1.nhs.uk", "Margaret Okafor", "t0ken",
                        "http://127.0.0.1:8000/sign-in/link#t0ken", now + expires_in)


def test_an_expired_link_is_never_delivered(sqlite_board: Board,  # type: ignore[no-untyped-def]
                                            smtp_server: SmtpServer, caplog) -> None:
    letter = _letter(timedelta(minutes=15))
    assert not deliver_sign_in_letter(letter, now=letter.expires_at)
    late = Clock(letter.expires_at + timedelta(seconds=1))
    postman = SignInPostman(late)
    postman.send(letter)
    _wait_for(lambda: postman.idle)
    assert smtp_server.mailbox.messages == []
    assert "expired" in caplog.text and "t0ken" not in caplog.text
    assert deliver_sign_in_letter(letter, now=letter.expires_at - timedelta(seconds=1))
    assert len(smtp_server.mailbox.messages) == 1


def test_a_failed_delivery_is_logged_without_the_link(  # type: ignore[no-untyped-def]
        sqlite_board: Board, smtp_server: SmtpServer, caplog) -> None:
    smtp_server.stop()
    letter = _letter(timedelta(minutes=15))
    with caplog.at_level(logging.ERROR, logger="portal.sign_in_mail"):
        assert not deliver_sign_in_letter(letter, now=utcnow())
    assert "could not be sent" in caplog.text and "must ask again" in caplog.text
    assert "t0ken" not in caplog.text


def test_the_outbox_sender_drops_an_old_style_sign_in_row_unsent(  # type: ignore[no-untyped-def]
        sqlite_board: Board, smtp_server: SmtpServer) -> None:
    with write_session() as session:
        queue_messages(session, [QueuedMessage(
            "sign_in:old", "sign_in_link", "chair@rx1.nhs.uk", "Margaret Okafor", None,
            {"name": "Margaret Okafor", "expires_minutes": 15,
             "link": "http://127.0.0.1:8000/sign-in/link?token=old-token"})])
    report = deliver_messages(due_message_ids(now=utcnow(), limit=1000))
    assert report.dropped == 1 and report.sent >= 1  # the board's invitations still go
    assert "sign_in:old" not in smtp_server.mailbox.keys()
    assert "old-token" not in _stored_text()


# --- the token never reaches an access log ------------------------------------------------

class _Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(name="served_portal")
def served_portal_fixture(sqlite_board: Board, monkeypatch: pytest.MonkeyPatch
                          ) -> Iterator[tuple[str, _Captured]]:
    """The portal served by uvicorn on loopback with its access log on, every log line
    of the process captured."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("APPRAISAL_BASE_URL", url)
    config.settings.cache_clear()
    options = server.uvicorn_options(host="127.0.0.1", port=port, workers=1)
    served = uvicorn.Server(uvicorn.Config(
        create_app(), host="127.0.0.1", port=port, log_level="info", access_log=True,
        proxy_headers=options["proxy_headers"]))  # type: ignore[arg-type]
    captured = _Captured()
    loggers = [logging.getLogger(), logging.getLogger("uvicorn.access"),
               logging.getLogger("uvicorn.error")]
    for logger in loggers:
        logger.addHandler(captured)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    _wait_for(lambda: served.started, within=30)  # start-up, not the behaviour under test
    yield url, captured
    served.should_exit = True
    thread.join(timeout=10)
    for logger in loggers:
        logger.removeHandler(captured)


def test_a_full_sign_in_leaves_no_token_in_the_access_log(  # type: ignore[no-untyped-def]
        served_portal) -> None:
    url, captured = served_portal
    with httpx.Client(base_url=url) as client:
        client.get("/sign-in")
        answered = client.post("/sign-in", data={
            "email": "finance@rx1.nhs.uk", "csrf_token": client.cookies[PRE_SESSION_COOKIE]})
        assert answered.status_code == 200
        token = delivered_token("finance@rx1.nhs.uk")
        link = f"{url}/sign-in/link#{token}"
        landing = client.get(link)  # as the browser asks for it: never with the fragment
        assert landing.status_code == 200
        signed_in = client.post("/sign-in/link", data={
            "token": token, "csrf_token": client.cookies[PRE_SESSION_COOKIE]})
        assert signed_in.status_code == 303 and client.cookies.get(SESSION_COOKIE)
        assert client.get("/").status_code == 200
    logged = "\n".join(captured.lines)
    assert '"GET /sign-in/link HTTP/1.1" 200' in logged  # the access log was captured
    assert '"POST /sign-in/link HTTP/1.1" 303' in logged
    assert token not in logged


def test_the_served_portal_leaves_forwarded_for_to_the_portal() -> None:
    assert server.uvicorn_options(host="127.0.0.1", port=8000, workers=1)[
        "proxy_headers"] is False


# --- sessions end after an absolute lifetime ----------------------------------------------

def _ended_at(person_id: int):  # type: ignore[no-untyped-def]
    with read_session() as session:
        return session.execute(select(PortalSession.ended_at).where(
            PortalSession.person_id == person_id)).scalar_one()


def test_a_session_used_every_29_minutes_ends_at_12_hours(  # type: ignore[no-untyped-def]
        app, clock: Clock, sign_in_as) -> None:
    chair = sign_in_as("chair@rx1.nhs.uk")
    signed_in_at = clock.now
    while clock.now + timedelta(minutes=29) < signed_in_at + timedelta(hours=12):
        clock.now += timedelta(minutes=29)
        assert chair.get("/").status_code == 200
    clock.now = signed_in_at + timedelta(hours=12)  # 24 minutes after the last use
    assert chair.get("/").status_code == 303
    assert _ended_at(chair.person_id) == clock.now


def test_the_session_lifetime_is_a_setting(sqlite_board: Board, clock: Clock,  # type: ignore[no-untyped-def]
                                           sign_in_as, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPRAISAL_SESSION_LIFETIME_HOURS", "1")
    config.settings.cache_clear()
    director = sign_in_as("finance@rx1.nhs.uk")
    for _ in range(2):
        clock.now += timedelta(minutes=25)
        assert director.get("/").status_code == 200
    clock.now += timedelta(minutes=10)
    assert director.get("/").status_code == 303


def test_the_session_cookie_lasts_as_long_as_the_session(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    _request_link(client, "sid@rx1.nhs.uk")
    signed_in = _use_link(client, delivered_token("sid@rx1.nhs.uk"))
    cookie = next(value for name, value in signed_in.headers.multi_items()
                  if name == "set-cookie" and value.startswith(SESSION_COOKIE))
    assert "Max-Age=43200" in cookie


def test_a_lifetime_that_is_not_a_positive_number_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPRAISAL_SESSION_LIFETIME_HOURS", "0")
    config.settings.cache_clear()
    with pytest.raises(ValidationError, match="session_lifetime_hours"):
        config.settings()
    config.settings.cache_clear()


# --- the signed-out forms' CSRF token is the server's -------------------------------------

def test_a_planted_cookie_is_never_echoed_into_the_form(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    client.cookies.set(PRE_SESSION_COOKIE, "planted-by-someone-else", path="/sign-in")
    for page in ("/sign-in", "/sign-in/link"):
        shown = client.get(page)
        assert "planted-by-someone-else" not in shown.text
        assert _form_csrf(shown.text) == shown.cookies[PRE_SESSION_COOKIE]
    first, again = _form_csrf(client.get("/sign-in").text), _form_csrf(
        client.get("/sign-in").text)
    assert first != again  # minted afresh for every form


def test_a_pair_the_server_did_not_mint_is_refused(app, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    for forged in ("planted", "1700000000.nonce.not-our-signature",
                   f"{int(clock.now.timestamp())}.nonce.bWFkZS11cA"):
        client = TestClient(app)
        client.cookies.set(PRE_SESSION_COOKIE, forged, path="/sign-in")
        refused = client.post("/sign-in", data={"email": "chair@rx1.nhs.uk",
                                                "csrf_token": forged})
        assert refused.status_code == 403, forged
    with read_session() as session:
        assert not session.execute(select(SignInToken)).all()  # nothing was asked for


def test_a_minted_token_expires(app, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    token = mint_pre_session_token(clock.now)
    client = TestClient(app)
    client.cookies.set(PRE_SESSION_COOKIE, token, path="/sign-in")
    clock.now += PRE_SESSION_TOKEN_LIFETIME + timedelta(seconds=1)
    assert client.post("/sign-in", data={"email": "nobody@example.org",
                                         "csrf_token": token}).status_code == 403
    clock.now -= timedelta(seconds=2)
    assert client.post("/sign-in", data={"email": "nobody@example.org",
                                         "csrf_token": token}).status_code == 200


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migration_0008_scrubs_the_links_earlier_versions_queued(
        kind: str, home: object, request: pytest.FixtureRequest,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic import command

    from appraisal_store import engines, sessions
    from appraisal_store.schema import alembic_config

    if kind == "postgres":
        monkeypatch.setenv("APPRAISAL_DATABASE_URL", request.getfixturevalue("postgres_url"))
        config.settings.cache_clear()
        engines.reset_engines()
    engine = engines.engine()
    alembic = alembic_config()
    with engine.begin() as connection:
        alembic.attributes["connection"] = connection
        command.upgrade(alembic, "0007")
        for key, template, sent in (("sign_in:old", "sign_in_link", "2026-01-01 09:00:00+00"),
                                    ("invitation:1", "invitation", None)):
            connection.execute(text(
                "INSERT INTO outboxmessage (idempotency_key, template, recipient_email, "
                "recipient_name, payload, created_at, attempts, sent_at) VALUES (:key, "
                ":template, 'chair@rx1.nhs.uk', 'M', :payload, '2026-01-01 09:00:00+00', 0, "
                ":sent)"), {"key": key, "template": template, "sent": sent,
                            "payload": '{"link": "http://x/sign-in/link?token=SECRET"}'})
    with engine.begin() as connection:
        alembic.attributes["connection"] = connection
        command.upgrade(alembic, "head")
    with sessions.read_session() as session:
        payloads = dict(session.execute(select(OutboxMessage.idempotency_key,
                                               OutboxMessage.payload)).all())
    assert payloads["sign_in:old"] == {}
    assert payloads["invitation:1"] == {"link": "http://x/sign-in/link?token=SECRET"}
