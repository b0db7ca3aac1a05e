"""`make demo` in a terminal serves the portal and prints a sign-in link for each role.

The links are driven here as the demo makes them, over the demo's boards opened through
the service layer (no flows needed: the pages see the same rows), and used through the
portal's own sign-in page.
"""

from __future__ import annotations

import io
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from appraisal_store import config
from appraisal_store.clock import utcnow
from commands import demo
from portal.app import create_app
from portal.deps import PRE_SESSION_COOKIE
from tests.portal.conftest import Clock

BASE_URL = "http://testserver"  # the host the test client asks for


class _Stream(io.StringIO):
    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


def test_the_portal_is_served_only_when_both_ends_are_a_terminal() -> None:
    assert demo.serves_portal(_Stream(True), _Stream(True))
    assert not demo.serves_portal(_Stream(False), _Stream(True))  # input piped in
    assert not demo.serves_portal(_Stream(True), _Stream(False))  # output to a file or CI
    closed = io.StringIO()
    closed.close()  # isatty() on a closed stream raises ValueError
    assert not demo.serves_portal(closed, _Stream(True))


def test_the_next_free_port_is_taken_when_the_first_is_busy() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        chosen = demo.free_port("127.0.0.1", taken, tries=5)
        assert chosen != taken and taken < chosen < taken + 5
        with pytest.raises(demo.DemoPortUnavailable, match=f"{taken} to {taken}"):
            demo.free_port("127.0.0.1", taken, tries=1)


@pytest.fixture(name="demo_boards")
def demo_boards_fixture(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo's three boards and their 2025/26 cycle, opened through the services."""
    from appraisal_store.actors import Actor
    from appraisal_store.schema import upgrade
    from appraisal_store.services.cycles import open_cycles, resolve_dates
    from appraisal_store.services.organisations import add_organisation
    from appraisal_store.services.people import import_people
    from appraisal_store.sessions import write_session
    from commands.demo_boards import ORGANISATIONS, PEOPLE_CSV

    monkeypatch.setenv("APPRAISAL_BASE_URL", BASE_URL)
    config.settings.cache_clear()
    upgrade()
    operator = Actor.operator()
    with write_session() as session:
        for code, name, kind, region in ORGANISATIONS:
            add_organisation(session=session, actor=operator, code=code, name=name,
                             org_type=kind, region=region)
        import_people(session=session, actor=operator, csv_text=PEOPLE_CSV)
        demo.register_regional_director(session, operator)
    with write_session() as session:
        open_cycles(session=session, actor=Actor.system("open-cycle flow"), year=demo.YEAR,
                    organisation_codes=[o[0] for o in ORGANISATIONS],
                    dates=resolve_dates(demo.YEAR), today=demo.OPENED_ON)
    return home


def _use_link(client: TestClient, link: str):  # type: ignore[no-untyped-def]
    """Open the link's page and press "Sign in", as the page's script does with the token
    it reads from the fragment."""
    path, token = link.removeprefix(BASE_URL).split("#", 1)
    assert path == "/sign-in/link"
    assert client.get(path).status_code == 200
    csrf = client.cookies.get(PRE_SESSION_COOKIE, path="/sign-in") or ""
    return client.post(path, data={"token": token, "csrf_token": csrf}, follow_redirects=False)


# What each role's home page offers once signed in.
ROLE_PAGE = {"director": "Your appraisal", "chair": "Board outcomes",
             "company secretary": "Completion dashboard",
             "national administrator (NHS England)": "North Moors Integrated Care Board"}


def test_each_printed_link_signs_its_role_in_once(demo_boards: Path) -> None:
    now = utcnow()
    links = demo.demo_sign_in_links(base_url=BASE_URL, now=now)
    roles = [link.role for link in links]
    assert roles[:4] == ["director", "appraiser", "chair", "company secretary"]
    assert roles[4] == "national administrator (NHS England)"
    assert len({link.email for link in links}) == len(links)  # one person for each role
    by_role = {link.role: link for link in links}
    assert by_role["chair"].email == "margaret.okafor@riverside.example.nhs.uk"
    assert by_role["company secretary"].email == "ruth.clarke@riverside.example.nhs.uk"
    # Still good most of an hour later, as a demo needs.
    app = create_app(clock=Clock(now + demo.DEMO_LINK_LIFETIME - timedelta(minutes=1)))
    for link in links:
        assert link.link.startswith(f"{BASE_URL}/sign-in/link#")
        client = TestClient(app)
        answer = _use_link(client, link.link)
        assert answer.status_code == 303, (link.role, answer.text[:300])
        home = client.get("/", follow_redirects=False)
        assert home.status_code == 200
        assert f"Signed in as {link.name}" in home.text
        if link.role in ROLE_PAGE:
            assert ROLE_PAGE[link.role] in home.text, link.role
        # Single-use: the same link signs nobody in a second time.
        assert _use_link(TestClient(app), link.link).status_code == 400


def test_the_links_lapse_after_the_demo_lifetime(demo_boards: Path) -> None:
    now = utcnow()
    (first, *_) = demo.demo_sign_in_links(base_url=BASE_URL, now=now)
    late = create_app(clock=Clock(now + demo.DEMO_LINK_LIFETIME))
    assert _use_link(TestClient(late), first.link).status_code == 400
