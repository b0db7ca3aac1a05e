"""The operator's command is complete: --json everywhere a script reads, one clear line for
an unknown organisation, cycle or year, a status table that fits 80 columns, --version,
``people list``, and every problem of a people file in one pass."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from appraisal_store.queries import CompletionStatus, OrganisationStatus
from appraisal_store.vocabulary import AppraisalState
from commands.reporting import print_status
from records.configured_seal import ensure_deployment_seal
from tests.commands.test_operator_commands import PEOPLE, invoke
from tests.commands.test_operator_commands import ready_fixture as ready_fixture  # noqa: F401
from tests.conftest import Board
from tests.records.appraisals import NED1, complete
from tests.records.tampering import flip_a_signed_byte

APPRAISAL = [sys.executable, "-c", "from commands.main import run; run()"]


def invoke_json(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> object:
    """Run a command with --json: stdout is exactly one JSON document."""
    exit_code, out, err = invoke(capsys, *args, "--json")
    assert exit_code == code, err
    return json.loads(out)


def one_line_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = invoke(capsys, *args)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = invoke(capsys, "--version")
    assert code == 0 and re.fullmatch(r"appraisal \d+\.\d+\.\d+\S*\n", out)


def test_every_listing_and_run_prints_json(ready: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    organisations = invoke_json(capsys, "org", "list")
    assert organisations == [{"code": "RX1", "name": "Riverside", "type": "nhs-trust",
                              "type_label": "NHS trust", "region": None}]
    people = invoke_json(capsys, "people", "list", "--org", "rx1")
    assert {(p["name"], p["role"]) for p in people} == {  # type: ignore[union-attr]
        ("Ann Chair", "chair"), ("Bob Ceo", "chief-executive"),
        ("Cat Exec", "executive-director"), ("Dee Ned", "senior-independent-director")}
    assert people[0]["start_date"] == "2021-04-01"  # type: ignore[index]
    again = tmp_path / "again.csv"
    again.write_text(PEOPLE, encoding="utf-8")
    imported = invoke_json(capsys, "people", "import", str(again))
    assert imported["appointments_already_present"] == 4  # type: ignore[index]
    assert imported["people_added"] == 0  # type: ignore[index]

    opened = invoke_json(capsys, "cycle", "open", "--year", "2025/26", "--org", "RX1")
    assert opened["year"] == "2025/26"  # type: ignore[index]
    assert opened["dates"]["review_due"] == "2026-02-28"  # type: ignore[index]
    assert opened["organisations"] == [{  # type: ignore[index]
        "code": "RX1", "opened": 4, "deferred": 0, "already_open": 0, "leavers_excluded": 0,
        "without_appraiser": 0}]
    sent = invoke_json(capsys, "outbox", "send")
    assert sent["sent"] == 4 and sent["still_queued"] == 0  # type: ignore[index]
    reminded = invoke_json(capsys, "remind", "--today", "2026-01-30")
    # Four reminders, and each of the four directors asked for the FPPT self-attestation.
    assert reminded["today"] == "2026-01-30" and reminded["queued"] == 8  # type: ignore[index]
    assert reminded["sent"] == 8  # type: ignore[index]
    listed = invoke_json(capsys, "appraisals", "list", "--org", "RX1", "--cycle", "2025/26")
    first = listed[0]["id"]  # type: ignore[index]
    routed = invoke_json(capsys, "flows", "route", str(first))
    assert routed == {"appraisal_id": first, "sent": 0, "failed": 0, "server_down": False}
    assert invoke_json(capsys, "flows", "seal") == {"sealed": [], "failures": {}}
    assert invoke_json(capsys, "records", "seal") == {"sealed": [], "failures": {}}
    assert invoke_json(capsys, "audit", "verify")["ok"] is True  # type: ignore[index]
    status = invoke_json(capsys, "status", "--org", "RX1", "--cycle", "2025/26")
    assert status["total"] == 4  # type: ignore[index]
    closed = invoke_json(capsys, "cycle", "close", "--year", "2025/26", "--all",
                         "--today", "2026-02-16")
    assert closed["organisations"] == 1 and closed["newly_overdue"] == 4  # type: ignore[index]
    assert any(f.endswith("RX1-completion.xlsx") for f in closed["files"])  # type: ignore[index]


def test_records_and_a_broken_audit_trail_print_json(
        sqlite_board: Board, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ensure_deployment_seal()
    appraisal_id = complete(sqlite_board, NED1)
    sealed = invoke_json(capsys, "records", "seal")
    assert sealed == {"sealed": [appraisal_id], "failures": {}}
    path = tmp_path / "record.pdf"
    exported = invoke_json(capsys, "records", "export", str(appraisal_id), "-o", str(path))
    assert exported == {"appraisal_id": appraisal_id, "version": None, "path": str(path)}
    verdict = invoke_json(capsys, "records", "verify", str(path))
    assert verdict["ok"] is True and verdict["failures"] == []  # type: ignore[index]
    assert [s["role"] for s in verdict["signatures"]] == [  # type: ignore[index]
        "Non-executive director", "Chair"]
    assert verdict["record"]["appraisal_id"] == str(appraisal_id)  # type: ignore[index]
    everything = invoke_json(capsys, "records", "export-all", "--to", str(tmp_path / "all"))
    assert len(everything["files"]) == 1  # type: ignore[index]
    path.write_bytes(flip_a_signed_byte(path.read_bytes()))
    broken = invoke_json(capsys, "records", "verify", str(path), code=1)
    assert broken["ok"] is False and broken["failures"]  # type: ignore[index]
    import sqlite3

    with sqlite3.connect(Path(os.environ["APPRAISAL_HOME"]) / "appraisal.db") as connection:
        connection.execute("update auditevent set action = 'nothing' where id = 2")
    chain = invoke_json(capsys, "audit", "verify", code=1)
    assert chain["ok"] is False and chain["broken_at"] == 2  # type: ignore[index]


def test_unknown_organisations_cycles_and_years_exit_1_with_one_line(
        ready: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unknown_org = "There is no organisation 'ZZZ' on record"
    assert unknown_org in one_line_error(capsys, "cycle", "open", "--year", "2025/26",
                                         "--org", "ZZZ")
    assert unknown_org in one_line_error(capsys, "status", "--org", "zzz")
    assert unknown_org in one_line_error(capsys, "appraisals", "list", "--org", "ZZZ")
    assert unknown_org in one_line_error(capsys, "people", "list", "--org", "ZZZ")
    assert unknown_org in one_line_error(capsys, "cycle", "close", "--year", "2025/26",
                                         "--org", "ZZZ")
    no_cycle = "There is no 2030/31 cycle"
    assert no_cycle in one_line_error(capsys, "status", "--cycle", "2030/31")
    assert no_cycle in one_line_error(capsys, "appraisals", "list", "--cycle", "2030/31")
    assert no_cycle in one_line_error(capsys, "cycle", "close", "--year", "2030/31", "--all")
    assert "'2025-26' is not a financial year" in one_line_error(
        capsys, "cycle", "open", "--year", "2025-26", "--org", "RX1")
    assert "'26' is not a financial year" in one_line_error(capsys, "status", "--cycle", "26")
    assert "There is no appraisal 999" in one_line_error(capsys, "flows", "route", "999")
    assert invoke_json(capsys, "status")["total"] == 0  # type: ignore[index]


def _every_state_status(organisations: int) -> CompletionStatus:
    by_state = {state.value: 1234 for state in AppraisalState}
    rows = [OrganisationStatus(f"R{n:02d}", f"Organisation number {n} NHS Foundation Trust "
                                            "of the North East and North Cumbria",
                               total=13574, by_state=dict(by_state), overdue=123)
            for n in range(organisations)]
    return CompletionStatus("2025/26", 13574 * organisations,
                            {k: v * organisations for k, v in by_state.items()},
                            123 * organisations, rows)


def _render(status: CompletionStatus, width: int) -> str:
    console = Console(width=width, file=io.StringIO(), color_system=None, highlight=False)
    print_status(status, console)
    return console.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("organisations", [1, 12])
def test_the_status_table_fits_80_columns_without_cutting_a_word(organisations: int) -> None:
    text = _render(_every_state_status(organisations), 80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    words = set(re.findall(r"[\w/]+", text))
    for state in AppraisalState:
        assert set(state.label.split()) <= words, state.label
    assert {f"R{n:02d}" for n in range(organisations)} <= words
    assert {"Cumbria", "Foundation", "13574", "1234"} <= words
    if organisations > 1:
        assert str(1234 * organisations) in words  # the "All" column


def test_a_wide_terminal_gets_a_row_per_organisation() -> None:
    text = _render(_every_state_status(3), 240)
    row = next(line for line in text.splitlines() if "R01" in line and "1234" in line)
    assert row.count("1234") == len(AppraisalState)
    assert max(len(line) for line in text.splitlines()) <= 240


def test_status_on_the_console_fits_80_columns(ready: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    invoke(capsys, "cycle", "open", "--year", "2025/26", "--org", "RX1")
    code, out, _ = invoke(capsys, "status")
    assert code == 0 and "Not started" in out and "Riverside" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_people_import_reports_row_and_cross_row_problems_in_one_pass(
        ready: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(PEOPLE.splitlines()[0] + "\n"
                   "RX1,Eve Ned,eve@rx1.nhs.uk,non-executive-director,2021-04-01,,no\n"
                   "RX1,Y,nope,chair,2021-04-01,,no\n"
                   "RX1,Eve Ned,eve@rx1.nhs.uk,non-executive-director,2021-04-01,,no\n"
                   "RX1,Someone Else,ann@rx1.nhs.uk,chair,2024-04-01,,no\n", encoding="utf-8")
    code, _, err = invoke(capsys, "people", "import", str(bad))
    assert code == 1
    problems = [line.strip() for line in err.splitlines() if line.strip().startswith("- ")]
    assert problems == [
        "- line 3: 'nope' is not an email address",
        "- line 4: duplicate of line 2",
        "- line 5: the email ann@rx1.nhs.uk belongs to 'Ann Chair' in the store",
    ]
    assert "3 row(s) have problems; nothing was imported." in err


def test_cycle_open_for_an_unknown_organisation_is_one_line_in_a_real_process(
        ready: Path) -> None:
    finished = subprocess.run([*APPRAISAL, "cycle", "open", "--year", "2025/26", "--org",
                               "ZZZ"], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PREFECT_LOGGING_LEVEL": "INFO"})
    assert finished.returncode == 1
    assert finished.stdout == ""
    assert "Traceback" not in finished.stderr
    assert finished.stderr.strip().splitlines() == [
        "Error: There is no organisation 'ZZZ' on record (see 'appraisal org list')."]


def test_prefect_logs_only_with_verbose(ready: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    environment = {**os.environ, "PREFECT_LOGGING_LEVEL": "INFO",
                   "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    quiet = subprocess.run([*APPRAISAL, "outbox", "send", "--json"], capture_output=True,
                           text=True, timeout=180, env=environment)
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout)["sent"] == 0
    assert quiet.stderr == ""
    verbose = subprocess.run([*APPRAISAL, "--verbose", "outbox", "send", "--json"],
                             capture_output=True, text=True, timeout=180, env=environment)
    assert verbose.returncode == 0, verbose.stderr
    assert json.loads(verbose.stdout)["sent"] == 0
    assert "Finished in state Completed" in verbose.stderr
