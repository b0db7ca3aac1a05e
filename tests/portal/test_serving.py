"""How the portal is served and kept cheap: sessions read without writing, workers, audit.

No timings here: each test checks a behaviour the speed work must not break.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from appraisal_store.models import AuditEvent, PortalSession
from appraisal_store.sessions import read_session
from commands.main import run
from competencies.loader import default_framework
from portal import server
from portal.authentication import IDLE_TIMEOUT, TOUCH_EVERY
from tests.conftest import Board


def _session_row(person_id: int) -> PortalSession:
    with read_session() as session:
        row = session.execute(select(PortalSession).where(
            PortalSession.person_id == person_id).order_by(
                PortalSession.id.desc())).scalars().first()  # type: ignore[union-attr]
    assert row is not None
    return row


def test_last_seen_moves_at_most_once_a_minute(app, clock, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    chair = sign_in_as("chair@rx1.nhs.uk")
    signed_in_at = _session_row(chair.person_id).last_seen_at
    clock.now += TOUCH_EVERY / 2
    assert chair.get("/").status_code == 200
    assert _session_row(chair.person_id).last_seen_at == signed_in_at
    clock.now += TOUCH_EVERY
    assert chair.get("/").status_code == 200
    assert _session_row(chair.person_id).last_seen_at == clock.now


def test_idle_timeout_still_ends_a_session_kept_alive_by_touches(app, clock, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    chair = sign_in_as("chair@rx1.nhs.uk")
    for _ in range(3):  # used every 20 minutes: alive, though 60 minutes after sign-in
        clock.now += timedelta(minutes=20)
        assert chair.get("/").status_code == 200
    clock.now += IDLE_TIMEOUT + timedelta(seconds=1)
    assert chair.get("/").status_code == 303
    assert _session_row(chair.person_id).ended_at == clock.now
    clock.now += timedelta(seconds=1)  # ended stays ended, however fresh the clock
    assert chair.get("/").status_code == 303


def _views(appraisal_id: int) -> int:
    with read_session() as session:
        return int(session.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "content_viewed",
            AuditEvent.subject_id == str(appraisal_id))).scalar_one())


def test_every_domain_page_view_is_audited_and_a_save_is_not_a_view(  # type: ignore[no-untyped-def]
        sqlite_board: Board, sign_in_as) -> None:
    director = sign_in_as("finance@rx1.nhs.uk")
    appraisal_id = sqlite_board.appraisals["finance@rx1.nhs.uk"]
    domain = default_framework().domains[0]
    page = f"/appraisals/{appraisal_id}/domains/{domain.id}"
    before = _views(appraisal_id)
    assert director.get(page).status_code == 200
    assert director.get(page).status_code == 200
    assert _views(appraisal_id) == before + 2
    saved = director.post(page, {"action": "save", "reflection": "Good year.",
                                 f"rating-{domain.statements[0].id}": "frequently"})
    assert saved.status_code == 303
    assert _views(appraisal_id) == before + 2  # a redirect shows no content
    refused = director.post(page, {"action": "save", "reflection": "Kept as typed.",
                                   f"rating-{domain.statements[0].id}": "sometimes-maybe"})
    assert refused.status_code == 400 and "Kept as typed." in refused.text
    assert _views(appraisal_id) == before + 3  # the page shown again is a view


def test_another_directors_domain_page_is_not_found_and_not_audited(  # type: ignore[no-untyped-def]
        sqlite_board: Board, sign_in_as) -> None:
    director = sign_in_as("finance@rx1.nhs.uk")
    other = sqlite_board.appraisals["ceo@rx1.nhs.uk"]
    domain = default_framework().domains[0]
    before = _views(other)
    assert director.get(f"/appraisals/{other}/domains/{domain.id}").status_code == 404
    assert director.post(f"/appraisals/{other}/domains/{domain.id}",
                         {"action": "save"}).status_code == 404
    assert _views(other) == before


@pytest.fixture(name="served")
def served_fixture(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What ``appraisal portal`` hands to uvicorn, captured instead of serving."""
    captured: dict[str, Any] = {}
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda target, **options: captured.update(
        target=target, **options))
    return captured


def test_portal_command_runs_one_worker_per_core_by_default(served: dict[str, Any]) -> None:
    with pytest.raises(SystemExit) as exited:
        run(["portal", "--port", "8123"])
    assert not exited.value.code
    assert served["target"] == server.APP_FACTORY and served["factory"] is True
    assert served["workers"] == server.default_workers() >= 1
    assert served["port"] == 8123 and served["host"] == "127.0.0.1"


def test_portal_command_takes_a_number_of_workers(served: dict[str, Any]) -> None:
    with pytest.raises(SystemExit) as exited:
        run(["portal", "--workers", "3"])
    assert not exited.value.code
    assert served["workers"] == 3


def test_portal_command_refuses_a_negative_number_of_workers(served: dict[str, Any]) -> None:
    with pytest.raises(SystemExit) as exited:
        run(["portal", "--workers", "-1"])
    assert exited.value.code == 2 and not served


def test_the_served_factory_builds_the_app() -> None:
    module, name = server.APP_FACTORY.split(":")
    assert module == server.__name__ and callable(getattr(server, name))


def test_a_worker_runs_two_pages_at_a_time(sqlite_board: Board) -> None:
    import anyio
    import anyio.to_thread

    from portal.app import PAGE_THREADS, create_app

    async def page_threads(app: Any) -> int:
        async with app.router.lifespan_context(app):
            return int(anyio.to_thread.current_default_thread_limiter().total_tokens)

    assert anyio.run(page_threads, create_app()) == PAGE_THREADS == 2
    assert anyio.run(page_threads, create_app(page_threads=5)) == 5


def test_the_gil_is_handed_on_every_millisecond_only_on_sqlite() -> None:
    assert server.gil_switch_interval("sqlite:////tmp/appraisal.db") == 0.001
    assert server.gil_switch_interval("postgresql+psycopg://u@127.0.0.1/db") is None


def test_the_served_app_sets_the_switch_interval_of_its_store(sqlite_board: Board) -> None:
    import sys

    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)
        server.create_served_app()  # the test store is SQLite
        assert sys.getswitchinterval() == pytest.approx(0.001)
    finally:
        sys.setswitchinterval(before)


def _transaction_began_with_the_statement(session: Any) -> bool:
    from sqlalchemy import text

    return bool(session.execute(text(
        "SELECT xact_start = query_start FROM pg_stat_activity WHERE pid = pg_backend_pid()"
    )).scalar_one())


@pytest.mark.postgres
def test_portal_reads_on_postgresql_run_without_a_transaction(  # type: ignore[no-untyped-def]
        home, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each statement of a read is a transaction of its own (no BEGIN and ROLLBACK round
    trips); a write session is still one transaction."""
    from sqlalchemy import text

    from appraisal_store import config, engines
    from portal import store as portal_store

    monkeypatch.setenv("APPRAISAL_DATABASE_URL", postgres_url)
    config.settings.cache_clear()
    engines.reset_engines()
    with portal_store.read_session() as session:
        session.execute(text("SELECT 1"))
        assert _transaction_began_with_the_statement(session)
    with portal_store.unit_of_work() as session:
        session.execute(text("SELECT 1"))
        assert not _transaction_began_with_the_statement(session)


def test_a_save_audits_the_edit_after_its_changes(sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    """The edit event is the save's last event (it holds the chain's head to the commit),
    after the start of the self-assessment on a first save."""
    director = sign_in_as("finance@rx1.nhs.uk")
    appraisal_id = sqlite_board.appraisals["finance@rx1.nhs.uk"]
    domain = default_framework().domains[0]
    saved = director.post(f"/appraisals/{appraisal_id}/domains/{domain.id}", {
        "action": "save", "reflection": "First save.",
        f"rating-{domain.statements[0].id}": "frequently"})
    assert saved.status_code == 303
    with read_session() as session:
        actions = list(session.execute(select(AuditEvent.action).where(
            AuditEvent.subject_id == str(appraisal_id)).order_by(AuditEvent.id)).scalars())
    assert actions[-2:] == ["start_self_assessment", "edit_self_assessment"]


def test_an_unknown_domain_is_a_page_not_found_and_not_a_view(  # type: ignore[no-untyped-def]
        sqlite_board: Board, sign_in_as) -> None:
    director = sign_in_as("finance@rx1.nhs.uk")
    appraisal_id = sqlite_board.appraisals["finance@rx1.nhs.uk"]
    page = f"/appraisals/{appraisal_id}/domains/no-such-domain"
    before = _views(appraisal_id)
    shown = director.get(page)
    assert shown.status_code == 404 and "There is no domain" in shown.text
    assert director.post(page, {"action": "save", "reflection": "x"}).status_code == 404
    assert _views(appraisal_id) == before  # nothing was shown, so no view is recorded


@pytest.mark.postgres
def test_a_view_is_audited_on_postgresql_in_one_autocommitted_statement(  # type: ignore[no-untyped-def]
        home, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A view of content is its own transaction: on PostgreSQL one statement in autocommit
    (the audit head is never held across a round trip), its hash the one Python computes.
    A connection in a transaction is refused, writing nothing."""
    from appraisal_store import config, engines
    from appraisal_store.actors import Actor
    from appraisal_store.audit_verification import verify_chain
    from appraisal_store.models import Appraisal, AuditHead
    from appraisal_store.schema import upgrade
    from appraisal_store.services.content_views import record_content_view_alone
    from portal import store as portal_store

    monkeypatch.setenv("APPRAISAL_DATABASE_URL", postgres_url)
    config.settings.cache_clear()
    engines.reset_engines()
    upgrade()
    viewer = Actor.person(7, "Siân Wyn")
    appraisal = Appraisal(id=3, organisation_id=1, revision=1)
    seen = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    with portal_store.unit_of_work() as session:  # in a transaction: not alone
        assert not record_content_view_alone(connection=session.connection(), actor=viewer,
                                             appraisal=appraisal, page="domain d1", now=seen)
    with read_session() as session:
        assert session.get(AuditHead, 1).last_event_id == 0  # type: ignore[union-attr]
    with portal_store._read_engine().connect() as connection:
        assert record_content_view_alone(connection=connection, actor=viewer,
                                         appraisal=appraisal, page="domain d1", now=seen)
    portal_store.record_view_alone(viewer, appraisal, "domain d1", now=seen + timedelta(hours=1))
    with read_session() as session:
        assert session.get(AuditHead, 1).last_event_id == 2  # type: ignore[union-attr]
        report = verify_chain(session)
        assert report.ok and report.verified == 2
        # Each view is stamped with the moment its caller gave, never the wall clock's.
        assert list(session.execute(select(AuditEvent.occurred_at).order_by(
            AuditEvent.id)).scalars()) == [seen, seen + timedelta(hours=1)]


def test_the_portal_never_downloads_the_nhsuk_assets_at_start_up(
        served: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import urllib.request

    from portal import assets

    def no_download(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the portal's start-up tried to download")

    monkeypatch.setattr(urllib.request, "urlopen", no_download)
    monkeypatch.setattr(assets, "STATIC_DIR", tmp_path / "never-fetched")
    with pytest.raises(SystemExit) as exited:
        run(["portal", "--port", "8124"])
    said = capsys.readouterr().err
    assert exited.value.code == 1
    assert "make assets" in said and "Traceback" not in said, said
    assert served == {}  # not served

    # Installed (as `make assets` leaves them), the same start serves without a download.
    monkeypatch.setattr(assets, "STATIC_DIR", Path(assets.__file__).parent / "static" / "nhsuk")
    with pytest.raises(SystemExit) as exited:
        run(["portal", "--port", "8124"])
    assert not exited.value.code and served["port"] == 8124
