"""The per-client limit on sign-in requests sees through trusted proxies only: behind a
load balancer it counts each person's client, and a forwarded address from anyone else is
ignored."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from appraisal_store import config
from appraisal_store.models import SignInToken
from appraisal_store.services.sign_in import MAX_REQUESTS_PER_CLIENT
from appraisal_store.sessions import read_session
from portal.app import create_app
from portal.client_address import client_address
from portal.deps import PRE_SESSION_COOKIE
from tests.conftest import Board
from tests.portal.conftest import Clock

PROXIES = (ip_network("10.0.0.0/8"), ip_network("fd00::/8"))


def test_the_client_is_the_right_most_untrusted_forwarded_address() -> None:
    assert client_address("10.0.0.2", ["203.0.113.7"], PROXIES) == "203.0.113.7"
    # The client may write its own X-Forwarded-For; the proxies append what they saw.
    assert client_address("10.0.0.2", ["198.51.100.1, 203.0.113.7, 10.1.2.3"],
                          PROXIES) == "203.0.113.7"
    assert client_address("10.0.0.2", ["198.51.100.1", "203.0.113.7"],
                          PROXIES) == "203.0.113.7"
    assert client_address("fd00::1", ["2001:db8::5"], PROXIES) == "2001:db8::5"
    assert client_address("10.0.0.2", [], PROXIES) == "10.0.0.2"
    assert client_address("10.0.0.2", ["10.0.0.9"], PROXIES) == "10.0.0.9"
    assert client_address("10.0.0.2", ["203.0.113.7, not-an-address"], PROXIES) == "10.0.0.2"


def test_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    assert client_address("198.51.100.9", ["203.0.113.7"], PROXIES) == "198.51.100.9"
    assert client_address("10.0.0.2", ["203.0.113.7"], ()) == "10.0.0.2"  # none trusted
    assert client_address(None, ["203.0.113.7"], PROXIES) == "unknown"


def _ask_from(app, peer: str, forwarded: str, email: str) -> int:  # type: ignore[no-untyped-def]
    client = TestClient(app, client=(peer, 40000))
    client.get("/sign-in")
    return client.post("/sign-in", headers={"X-Forwarded-For": forwarded}, data={
        "email": email,
        "csrf_token": client.cookies.get(PRE_SESSION_COOKIE, path="/sign-in") or ""},
        ).status_code


def _clients_recorded() -> set[str]:
    with read_session() as session:
        return set(session.execute(select(SignInToken.client)).scalars())


def test_behind_a_trusted_balancer_the_limit_is_per_persons_client(  # type: ignore[no-untyped-def]
        sqlite_board: Board, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPRAISAL_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8")
    config.settings.cache_clear()
    app = create_app(clock=clock)
    for number in range(MAX_REQUESTS_PER_CLIENT):
        assert _ask_from(app, "10.0.0.2", "203.0.113.7", f"nobody{number}@example.org") == 200
    assert _ask_from(app, "10.0.0.2", "203.0.113.7", "another@example.org") == 429
    assert _ask_from(app, "10.0.0.2", "203.0.113.8", "another@example.org") == 200
    assert _clients_recorded() == {"203.0.113.7", "203.0.113.8"}


def test_an_untrusted_peer_cannot_escape_the_limit_by_forwarding(  # type: ignore[no-untyped-def]
        sqlite_board: Board, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPRAISAL_TRUSTED_PROXIES", "10.0.0.0/8")
    config.settings.cache_clear()
    app = create_app(clock=clock)
    for number in range(MAX_REQUESTS_PER_CLIENT):
        assert _ask_from(app, "198.51.100.9", f"203.0.113.{number}",
                         f"nobody{number}@example.org") == 200
    assert _ask_from(app, "198.51.100.9", "203.0.113.200", "another@example.org") == 429
    assert _clients_recorded() == {"198.51.100.9"}


def test_a_trusted_proxy_that_is_not_an_address_is_refused_by_name(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPRAISAL_TRUSTED_PROXIES", "10.0.0.0/8, balancer.example")
    config.settings.cache_clear()
    with pytest.raises(ValidationError, match="APPRAISAL_TRUSTED_PROXIES: 'balancer.example'"):
        config.settings()
    config.settings.cache_clear()
