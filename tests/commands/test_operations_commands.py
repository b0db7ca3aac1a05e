"""``appraisal health``, ``appraisal reports``, and the start-up refusals of production:
no part starts without the one organisation seal, no sender without SMTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from appraisal_store import config, sessions
from appraisal_store.config import PRODUCTION_NEEDS_SMTP
from appraisal_store.models import Record
from flows.reports import write_cycle_reports
from records.configured_seal import PRODUCTION_NEEDS_A_SEAL, ensure_deployment_seal
from records.self_signed_seal import CERT_FILE, ensure_seal, seal_dir
from tests.commands.test_operator_commands import invoke
from tests.conftest import Board
from tests.flows.conftest import SmtpServer, free_port
from tests.records.appraisals import NED1, complete


@pytest.fixture(name="smtp")
def smtp_fixture() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


def _production(monkeypatch: pytest.MonkeyPatch, **more: str) -> None:
    monkeypatch.setenv("APPRAISAL_ENV", "production")
    for name, value in more.items():
        monkeypatch.setenv(f"APPRAISAL_{name.upper()}", value)
    config.settings.cache_clear()


def _health(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code, out, _ = invoke(capsys, "health", "--json")
    return code, json.loads(out)


def test_health_checks_store_schema_prefect_seal_and_mail_server(
        home: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], prefect_harness: None) -> None:
    assert invoke(capsys, "init")[0] == 0
    monkeypatch.setenv("APPRAISAL_SMTP_URL", smtp.url)
    config.settings.cache_clear()

    code, report = _health(capsys)

    assert code == 0 and report["healthy"] is True, report
    checks = {c["name"]: c for c in report["checks"]}  # type: ignore[attr-defined]
    assert list(checks) == ["database", "migrations", "prefect", "seal", "smtp"]
    assert checks["prefect"]["detail"].startswith("The Prefect API at http")
    assert checks["smtp"]["detail"] == f"The mail server 127.0.0.1:{smtp.port} answers."
    assert "valid until" in checks["seal"]["detail"]
    assert not smtp.mailbox.messages  # nothing was sent


def test_health_names_each_failure_and_exits_1(
        home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    port = free_port()
    _production(monkeypatch)

    with temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{port}/api"}):
        code, report = _health(capsys)

    assert code == 1 and report["healthy"] is False
    checks = {c["name"]: c for c in report["checks"]}  # type: ignore[attr-defined]
    assert checks["database"]["ok"] is True
    assert checks["migrations"]["detail"].endswith("has no schema: run `appraisal init`.")
    assert checks["prefect"]["detail"].startswith(
        f"The Prefect API at http://127.0.0.1:{port}/api does not answer")
    assert checks["seal"]["detail"] == PRODUCTION_NEEDS_A_SEAL
    assert checks["smtp"]["detail"] == ("APPRAISAL_SMTP_URL is not set: in production email "
                                        "goes by SMTP only.")
    code, out, _ = invoke(capsys, "health")
    assert code == 1 and "Not healthy" in out


@pytest.mark.parametrize("command", [["flows", "seal"], ["flows", "worker"], ["portal"],
                                     ["serve"]])
def test_production_parts_refuse_to_start_without_the_organisation_seal(
        home: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    _production(monkeypatch, smtp_url=smtp.url)

    code, out, err = invoke(capsys, *command)

    assert code == 1 and out == ""
    assert " ".join(err.split()) == f"Error: {PRODUCTION_NEEDS_A_SEAL}"
    assert not seal_dir(home).exists()


def test_production_sends_no_email_without_smtp_and_writes_no_eml(
        sqlite_board: Board, home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _production(monkeypatch)

    code, _, err = invoke(capsys, "outbox", "send")

    assert code == 1 and " ".join(err.split()) == f"Error: {PRODUCTION_NEEDS_SMTP}"
    assert not (home / "outbox").exists()
    from appraisal_store.errors import DeploymentError
    from flows.postbox import postbox
    with pytest.raises(DeploymentError, match="sends email by SMTP only"):
        postbox()


def test_a_certificate_of_another_key_stops_sealing_before_any_record_is_stored(
        sqlite_board: Board, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ensure_deployment_seal()
    complete(sqlite_board, NED1)
    other = ensure_seal(home / "elsewhere")
    (seal_dir(home) / CERT_FILE).write_bytes(other.cert_path.read_bytes())

    for command in (["flows", "seal"], ["records", "seal"]):
        code, _, err = invoke(capsys, *command)
        assert code == 1, command
        assert f"{CERT_FILE} does not match its key" in " ".join(err.split()), command
    with sessions.read_session() as session:
        assert session.execute(select(func.count()).select_from(Record)).scalar_one() == 0


def test_init_reports_the_seals_state(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = invoke(capsys, "init")

    assert code == 0
    text = " ".join(out.split())
    assert "Records are sealed as 'Board appraisal record seal' (self-signed, valid until " in text
    assert f"from {(seal_dir(home) / CERT_FILE).resolve()}." in text


def test_reports_are_listed_and_downloaded_from_the_store(
        sqlite_board: Board, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _production(monkeypatch, seal_pkcs12=str(tmp_path / "unused.p12"))
    made = write_cycle_reports(year="2025/26", codes=["RX1"], today=date(2026, 4, 1),
                               folder=tmp_path / "reports", with_submission_list=True)

    code, out, _ = invoke(capsys, "reports", "list", "--year", "2025/26", "--json")
    listed = json.loads(out)["reports"]
    by_name = {r["filename"]: r for r in listed}
    code_download, _, _ = invoke(capsys, "reports", "download",
                                 str(by_name["RX1-completion.xlsx"]["id"]), "-o", str(tmp_path))

    assert made.files == [] and not (tmp_path / "reports").exists()  # production: no files
    assert code == 0 and sorted(by_name) == sorted(made.stored) == [
        "RX1-completion.csv", "RX1-completion.xlsx", "RX1-summary.html",
        "nhse-submissions.csv", "nhse-submissions.xlsx"]
    assert by_name["nhse-submissions.csv"]["organisation"] is None
    assert by_name["RX1-summary.html"]["organisation"] == "RX1"
    assert code_download == 0
    assert (tmp_path / "RX1-completion.xlsx").read_bytes()[:2] == b"PK"
    assert (tmp_path / "RX1-completion.xlsx").stat().st_size == by_name[
        "RX1-completion.xlsx"]["size"]
    again = write_cycle_reports(year="2025/26", codes=["RX1"], today=date(2026, 4, 2),
                                folder=tmp_path / "reports", with_submission_list=False)
    assert again.stored == ["RX1-completion.csv", "RX1-completion.xlsx", "RX1-summary.html"]
    code, out, _ = invoke(capsys, "reports", "list", "--json")
    assert len(json.loads(out)["reports"]) == 5  # replaced, not added
    code, _, err = invoke(capsys, "reports", "download", "999999")
    assert code == 1 and "There is no stored report 999999" in err
    from appraisal_store.actors import Actor
    from appraisal_store.services.reports import list_reports

    with sessions.read_session() as session:  # another kind of file can be listed apart
        only = list_reports(session=session, actor=Actor.operator(),
                            kinds=("submissions-csv", "submissions-xlsx"))
    assert [r.filename for r in only] == ["nhse-submissions.csv", "nhse-submissions.xlsx"]


def test_init_in_production_without_a_seal_says_so_and_makes_none(
        home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _production(monkeypatch)

    code, out, err = invoke(capsys, "init")

    assert code == 1 and "Created the store" in out
    assert " ".join(err.split()) == f"Error: {PRODUCTION_NEEDS_A_SEAL}"
    assert not seal_dir(home).exists()
