"""The operator's commands, run as the console script runs them: exit codes and messages."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from commands.main import run
from competencies.loader import DEFAULT_FRAMEWORK_PATH

PEOPLE = """org_code,name,email,role,start_date,end_date,interim
RX1,Ann Chair,ann@rx1.nhs.uk,chair,2021-04-01,,no
RX1,Bob Ceo,bob@rx1.nhs.uk,chief-executive,2021-04-01,,no
RX1,Cat Exec,cat@rx1.nhs.uk,executive-director,2021-04-01,,no
RX1,Dee Ned,dee@rx1.nhs.uk,senior-independent-director,2021-04-01,,no
"""


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from commands.prefect_console import restore_prefect_console

    try:
        with pytest.raises(SystemExit) as exited:
            run(list(args))
    finally:
        # The console script leaves Prefect quiet to its end; this process runs on.
        restore_prefect_console()
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return int(exited.value.code or 0), captured.out, captured.err


@pytest.fixture(name="ready")
def ready_fixture(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                  prefect_harness: None) -> Path:
    assert invoke(capsys, "init")[0] == 0
    assert invoke(capsys, "org", "add", "RX1", "--name", "Riverside", "--type", "nhs-trust")[0] == 0
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE, encoding="utf-8")
    assert invoke(capsys, "people", "import", str(people))[0] == 0
    return home


def test_init_is_safe_to_run_twice(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = invoke(capsys, "init")
    assert code == 0 and "Created the store" in out
    code, out, _ = invoke(capsys, "init")
    assert code == 0 and "up to date" in out


def test_misuse_exits_2_with_usage(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = invoke(capsys, "org", "add", "RX1", "--name", "X", "--type", "hospital")
    assert code == 2 and "Usage" in err
    code, _, err = invoke(capsys, "cycle", "open", "--year", "2025/26")
    assert code == 2 and "--org CODE or --all" in err
    assert invoke(capsys, "no-such-command")[0] == 2


def test_a_bad_people_file_exits_1_naming_each_line(ready: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(PEOPLE.splitlines()[0] + "\nRX9,X,x@y.nhs.uk,chair,2021-04-01,,no\n"
                   "RX1,Y,nope,chair,2021-04-01,,no\n", encoding="utf-8")
    code, _, err = invoke(capsys, "people", "import", str(bad))
    assert code == 1
    assert "line 2: unknown organisation 'RX9'" in err
    assert "line 3: 'nope' is not an email address" in err
    code, _, err = invoke(capsys, "people", "import", str(tmp_path / "missing.csv"))
    assert code == 1 and "Cannot read" in err


def test_open_cycle_status_and_list(ready: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = invoke(capsys, "cycle", "open", "--year", "2025/26", "--org", "RX1")
    assert code == 0
    assert "self-assessment due 2026-01-31, review due 2026-02-28, sign-off due 2026-03-31" in out
    code, out, _ = invoke(capsys, "cycle", "open", "--year", "2025/26", "--all")
    assert code == 0
    code, out, _ = invoke(capsys, "status", "--json", "--today", "2025-12-01")
    status = json.loads(out)
    assert status == {"cycle": "2025/26", "total": 4, "by_state": {"not_started": 4},
                      "overdue": 0, "organisations": [{"code": "RX1", "name": "Riverside",
                                                       "total": 4,
                                                       "by_state": {"not_started": 4},
                                                       "overdue": 0}]}
    code, out, _ = invoke(capsys, "status", "--json", "--today", "2026-02-02")
    assert json.loads(out)["overdue"] == 4
    code, out, _ = invoke(capsys, "appraisals", "list", "--json")
    rows = json.loads(out)
    assert {r["appraisee_name"]: r["appraiser_name"] for r in rows} == {
        "Ann Chair": "Dee Ned", "Bob Ceo": "Ann Chair", "Cat Exec": "Bob Ceo",
        "Dee Ned": "Ann Chair"}
    code, _, err = invoke(capsys, "appraisals", "list", "--state", "bogus")
    assert code == 2 and "not a state" in err
    code, out, _ = invoke(capsys, "status")
    assert code == 0 and "Riverside" in out


def test_framework_import_adds_a_version_and_rejects_a_bad_file(
        ready: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    invoke(capsys, "cycle", "open", "--year", "2025/26", "--org", "RX1")
    bad = tmp_path / "bad.yaml"
    bad.write_text("framework_id: x\nversion: '1'\nname: X\ndomains: []\n", encoding="utf-8")
    code, _, err = invoke(capsys, "framework", "import", str(bad))
    assert code == 1 and "bad.yaml:" in err and "nothing was imported" in err
    changed = tmp_path / "lcf-local.yaml"
    changed.write_text(DEFAULT_FRAMEWORK_PATH.read_text(encoding="utf-8").replace(
        "version: 2024.1-project", "version: 2025.1-local"), encoding="utf-8")
    code, out, _ = invoke(capsys, "framework", "import", str(changed))
    assert code == 0 and "2025.1-local" in out
    code, out, _ = invoke(capsys, "framework", "show", "--json")
    assert json.loads(out)["version"] == "2025.1-local"
    with sqlite3.connect(ready / "appraisal.db") as connection:
        pinned = {row[0] for row in connection.execute(
            "select distinct f.version from appraisal a join frameworkversion f "
            "on f.id = a.framework_version_id")}
    assert pinned == {"2024.1-project"}


def test_audit_verify_passes_then_fails_after_a_hand_edit(
        ready: Path, capsys: pytest.CaptureFixture[str]) -> None:
    invoke(capsys, "cycle", "open", "--year", "2025/26", "--org", "RX1")
    code, out, _ = invoke(capsys, "audit", "verify")
    assert code == 0 and "events verified" in out
    with sqlite3.connect(ready / "appraisal.db") as connection:
        connection.execute("update auditevent set action = 'nothing' where id = 3")
    code, _, err = invoke(capsys, "audit", "verify")
    assert code == 1 and "broken at event 3" in err
