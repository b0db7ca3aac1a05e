"""What an operator asks the portal: /healthz, /readyz, /metrics, the request id on every
answer and on the JSON log lines, and the stored close-of-cycle reports."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from appraisal_store import config, engines, sessions
from appraisal_store.actors import Actor
from appraisal_store.models import OutboxMessage
from appraisal_store.schema import head_revision
from appraisal_store.services.content_views import ACCESS_LOGGER
from flows.reports import write_cycle_reports
from portal.app import create_app
from portal.deps import clock_of
from records.self_signed_seal import ensure_seal
from tests.conftest import Board
from tests.portal.conftest import Clock, SignedInClient

LOOPBACK = ("127.0.0.1", 50000)
FINANCE, NED1, COSEC = "finance@rx1.nhs.uk", "ned1@rx1.nhs.uk", "cosec@rx1.nhs.uk"


def _metrics(response: object) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = response.text  # type: ignore[attr-defined]
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_healthz_answers_without_the_store(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPRAISAL_DATABASE_URL",
                       "postgresql+psycopg://nobody@127.0.0.1:9/nowhere?connect_timeout=1")
    config.settings.cache_clear()
    engines.reset_engines()
    client = TestClient(create_app())

    response = client.get("/healthz", headers={"host": "10.0.0.7:8000"})
    ready = client.get("/readyz")

    assert (response.status_code, response.text) == (200, "ok\n")
    assert response.headers["cache-control"] == "no-store"
    assert len(response.headers["x-request-id"]) == 16
    assert ready.status_code == 503
    assert ready.text.startswith("not ready: the database nowhere on 127.0.0.1:9 does not "
                                 "answer: ")
    assert ready.text.count("\n") == 1


def test_readyz_names_what_is_missing_until_the_store_and_seal_are_there(
        sqlite_board: Board, home: Path, app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)

    missing_seal = client.get("/readyz")
    ensure_seal(home)
    ready = client.get("/readyz")

    assert missing_seal.status_code == 503
    assert missing_seal.text == (f"not ready: There is no organisation seal in "
                                 f"{(home / 'seal').resolve()}; run `appraisal init` to create "
                                 "one or set APPRAISAL_SEAL_PKCS12.\n")
    assert (ready.status_code, ready.text) == (200, "ready\n")
    assert ready.headers["cache-control"] == "no-store"


def test_readyz_refuses_a_store_behind_this_release(home: Path) -> None:
    ensure_seal(home)
    engines.engine().dispose()
    with engines.engine().begin() as connection:
        from sqlalchemy import text
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('0003')"))

    response = TestClient(create_app()).get("/readyz")

    assert response.status_code == 503
    assert response.text.endswith(f"is at schema 0003, this release needs {head_revision()}: "
                                  "run `appraisal init`.\n")


def test_every_answer_carries_a_request_id_of_its_own(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    ids = {client.get(path).headers["x-request-id"] for path in ("/sign-in", "/sign-in", "/nope")}

    assert len(ids) == 3


def test_metrics_count_requests_by_route_template_and_read_the_queues(
        sqlite_board: Board, sign_in_as: Callable[..., SignedInClient], app,  # type: ignore[no-untyped-def]
        clock: Clock) -> None:
    secretary = sign_in_as(COSEC)
    organisation = sqlite_board.organisation_id
    for _ in range(2):
        assert secretary.get(f"/organisations/{organisation}/dashboard").status_code == 200
    assert secretary.get("/organisations/999999/dashboard").status_code == 404
    with sessions.write_session() as session:
        session.add(OutboxMessage(idempotency_key="metrics-test", template="reminder",
                                  recipient_email="a@rx1.nhs.uk", recipient_name="A",
                                  created_at=clock.now - timedelta(hours=2)))
    with sessions.read_session() as session:
        unsent = session.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.sent_at.is_(None))).scalar_one()  # type: ignore[union-attr]

    scraped = TestClient(app, client=LOOPBACK).get("/metrics")

    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = _metrics(scraped)
    route = "/organisations/{organisation_id}/dashboard"
    assert samples[("appraisal_portal_requests_total", (
        ("method", "GET"), ("route", route), ("status", "200")))] == 2
    assert samples[("appraisal_portal_requests_total", (
        ("method", "GET"), ("route", route), ("status", "404")))] == 1
    assert samples[("appraisal_portal_request_seconds_count", (("route", route),))] == 3
    assert samples[("appraisal_outbox_queued", ())] == unsent > 1
    assert 2 * 3600 <= samples[("appraisal_outbox_oldest_unsent_seconds", ())] < 3 * 3600
    assert samples[("appraisal_records_pending_sealing", ())] == 0
    assert not any("999999" in str(labels) for _, labels in samples)


def test_the_oldest_unsent_message_is_aged_at_the_portals_clock(sqlite_board: Board) -> None:
    queued_at = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)  # before anything the board queued
    with sessions.write_session(now=queued_at) as session:
        session.add(OutboxMessage(idempotency_key="metrics-clock", template="reminder",
                                  recipient_email="a@rx1.nhs.uk", recipient_name="A",
                                  created_at=queued_at))
    app = create_app()
    app.dependency_overrides[clock_of] = lambda: queued_at + timedelta(seconds=90)

    samples = _metrics(TestClient(app, client=LOOPBACK).get("/metrics"))

    # The wall clock would say years: only the portal's clock says a minute and a half.
    assert samples[("appraisal_outbox_oldest_unsent_seconds", ())] == 90.0


def test_metrics_are_for_loopback_trusted_proxies_or_the_token(
        sqlite_board: Board, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPRAISAL_TRUSTED_PROXIES", "10.0.0.5")
    monkeypatch.setenv("APPRAISAL_METRICS_TOKEN", "scrape-secret")
    config.settings.cache_clear()
    app = create_app()

    def status(client: tuple[str, int], **headers: str) -> int:
        return TestClient(app, client=client).get("/metrics", headers=headers).status_code

    assert status(("203.0.113.9", 1)) == 404
    assert status(("203.0.113.9", 1), authorization="Bearer wrong") == 404
    assert status(("203.0.113.9", 1), authorization="Bearer scrape-secret") == 200
    assert status(("10.0.0.5", 1)) == 200  # the balancer itself
    assert status(("10.0.0.5", 1), **{"x-forwarded-for": "203.0.113.9"}) == 404
    assert status(("::1", 1)) == 200


@pytest.fixture(name="json_logs")
def json_logs_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("APPRAISAL_LOG_FORMAT", "json")
    config.settings.cache_clear()
    loggers = [logging.getLogger(n) for n in ("", "uvicorn", "uvicorn.error", "uvicorn.access",
                                              "fastapi", "prefect")]
    saved = [(logger, list(logger.handlers), logger.propagate, logger.level)
             for logger in loggers]
    yield
    for logger, handlers, propagate, level in saved:
        logger.handlers[:] = handlers
        logger.propagate, logger.level = propagate, level


def test_json_log_lines_carry_the_request_id_and_the_persons_id_only(
        capsys: pytest.CaptureFixture[str], json_logs: None, sqlite_board: Board,
        sign_in_as: Callable[..., SignedInClient]) -> None:
    intruder = sign_in_as(NED1)  # the app is made after json_logs: JSON lines on stderr
    capsys.readouterr()

    response = intruder.get(f"/appraisals/{sqlite_board.appraisals[FINANCE]}")

    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line]
    [line] = [line for line in lines if line["logger"] == ACCESS_LOGGER]
    assert response.status_code == 404
    assert set(line) == {"time", "level", "logger", "message", "request_id", "person_id"}
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["person_id"] == sqlite_board.people[NED1]
    assert line["level"] == "WARNING"
    assert "tried the portal's overview page" in line["message"]


def test_stored_reports_download_for_those_who_see_the_organisation(
        sqlite_board: Board, sign_in_as: Callable[..., SignedInClient],
        tmp_path: Path) -> None:
    from tests.second_board import NATIONAL, seed_second_board

    seed_second_board()
    write_cycle_reports(year="2025/26", codes=["RX1"], today=date(2026, 4, 1),
                        folder=tmp_path, with_submission_list=True)
    secretary, national = sign_in_as(COSEC), sign_in_as(NATIONAL, national=True)
    director, other = sign_in_as(FINANCE), sign_in_as("cosec@rx2.nhs.uk")

    page = secretary.get(f"/reports?organisation={sqlite_board.organisation_id}")
    dashboard = secretary.get(f"/organisations/{sqlite_board.organisation_id}/dashboard")

    assert page.status_code == 200
    assert f'href="/reports?organisation={sqlite_board.organisation_id}"' in dashboard.text
    assert "RX1-completion.csv" in page.text and "nhse-submissions" not in page.text
    national_page = national.get("/reports").text
    assert "RX1-summary.html" in national_page and "nhse-submissions.xlsx" in national_page
    with sessions.read_session() as session:
        from appraisal_store.services.reports import list_reports
        ids = {r.filename: r.id for r in list_reports(session=session,
                                                      actor=Actor.operator())}
    csv = secretary.get(f"/reports/{ids['RX1-completion.csv']}")
    assert csv.status_code == 200
    assert csv.content == (tmp_path / "RX1-completion.csv").read_bytes()
    assert csv.headers["content-disposition"] == (
        'attachment; filename="2025_26-RX1-completion.csv"')
    assert csv.headers["cache-control"] == "no-store"
    for client, report in ((secretary, "nhse-submissions.csv"),
                           (director, "RX1-completion.csv"),
                           (other, "RX1-summary.html")):
        assert client.get(f"/reports/{ids[report]}").status_code == 404, report
    assert national.get(f"/reports/{ids['nhse-submissions.csv']}").status_code == 200
    assert "No reports yet" in other.get("/reports").text
