"""``appraisal fppt ...``, ``references list`` and ``people leave``: the year at the command
line, and bad input refused with a message naming it, nothing written."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from appraisal_store.fppt_checklist import DEFAULT_CHECKLIST_PATH, default_checklist
from tests.commands.test_admin_commands import invoke
from tests.conftest import Board


def test_status_record_and_references(board: Board, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = invoke(capsys, "fppt", "record", "finance@rx1.nhs.uk", "--check", "dbs",
                            "--on", "2025-11-20", "--outcome", "clear", "--note", "Seen")
    assert code == 0, err
    code, out, _ = invoke(capsys, "fppt", "status", "--org", "RX1", "--year", "2025/26",
                          "--json")
    lines = {line["email"]: line for line in json.loads(out)}
    assert lines["finance@rx1.nhs.uk"]["state"] == "in_progress"
    assert lines["finance@rx1.nhs.uk"]["checks_recorded"] == 1
    assert "ned2@rx1.nhs.uk" in lines  # the deferred late starter is covered
    code, out, _ = invoke(capsys, "references", "list", "--json")
    assert [r["email"] for r in json.loads(out)] == ["leaver@rx1.nhs.uk"]


@pytest.mark.parametrize("args, named", [
    (["nobody@rx1.nhs.uk", "--check", "dbs", "--on", "2025-11-20", "--outcome", "clear"],
     "nobody@rx1.nhs.uk is not on the board"),
    (["finance@rx1.nhs.uk", "--check", "palmistry", "--on", "2025-11-20", "--outcome",
      "clear"], "unknown check id 'palmistry'"),
    (["finance@rx1.nhs.uk", "--check", "dbs", "--on", "2999-01-01", "--outcome", "clear"],
     "1 January 2999 is in the future"),
    (["finance@rx1.nhs.uk", "--check", "dbs", "--on", "2025-11-20", "--outcome", "fine"],
     "'fine' is not one of"),
])
def test_bad_records_are_refused(board: Board, capsys: pytest.CaptureFixture[str],
                                 args: list[str], named: str) -> None:
    code, _, err = invoke(capsys, "fppt", "record", *args)
    assert code == 1 and named in err
    _, out, _ = invoke(capsys, "fppt", "status", "--org", "RX1", "--json")
    assert all(line["checks_recorded"] == 0 for line in json.loads(out))


def test_a_bad_checklist_is_refused_with_its_line(board: Board, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    text = DEFAULT_CHECKLIST_PATH.read_text(encoding="utf-8").replace(
        "applies_to: clinically_registered", "applies_to: surgeons")
    path = tmp_path / "checks.yaml"
    path.write_text(text, encoding="utf-8")
    line = text[:text.index("applies_to: surgeons")].count("\n") + 1
    code, _, err = invoke(capsys, "fppt", "checks", "import", str(path))
    assert code == 1 and f"line {line}: " in err and "'surgeons'" in err
    good = tmp_path / "good.yaml"
    good.write_text(DEFAULT_CHECKLIST_PATH.read_text(encoding="utf-8").replace(
        'version: "2026.1"', 'version: "2026.2"'), encoding="utf-8")
    code, out, _ = invoke(capsys, "fppt", "checks", "import", str(good))
    assert code == 0 and "version 2026.2" in out


def test_the_esr_export_and_a_submission_not_yet_made(
        board: Board, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "esr.csv"
    code, _, err = invoke(capsys, "fppt", "esr-export", "--org", "RX1", "--year", "2025/26",
                          "-o", str(output))
    assert code == 0, err
    header = next(csv.reader(output.read_text(encoding="utf-8-sig").splitlines()))
    assert header == [c.column for c in default_checklist().esr_columns]
    code, _, err = invoke(capsys, "fppt", "submission", "--org", "RX1", "--year", "2025/26",
                          "-o", str(tmp_path / "submission.pdf"))
    assert code == 1 and "Priya Shah: the FPPT is not started" in err
    assert not (tmp_path / "submission.pdf").exists()


def test_people_leave_opens_a_reference(board: Board, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = invoke(capsys, "people", "leave", "ned1@rx1.nhs.uk", "--org", "RX1",
                            "--on", date(2025, 12, 31).isoformat(), "--reason", "Term ended")
    assert code == 0, err
    assert "due 2026-01-28" in out
    code, out, _ = invoke(capsys, "references", "list", "--org", "RX1", "--json")
    assert {r["email"] for r in json.loads(out)} == {"leaver@rx1.nhs.uk", "ned1@rx1.nhs.uk"}
    code, _, err = invoke(capsys, "people", "leave", "ned1@rx1.nhs.uk", "--org", "RX1",
                          "--on", "2026-01-05", "--reason", "Again")
    assert code == 1 and "is not on the board of RX1 on 2026-01-05" in err


def test_references_received_and_export(board: Board, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = invoke(capsys, "references", "received", "ned2@rx1.nhs.uk", "--org",
                            "RX1", "--from", "Northgate ICB", "--on", "2025-10-01",
                            "--covering", "2021 to 2025")
    assert code == 0, err
    code, _, err = invoke(capsys, "references", "received", "ned2@rx1.nhs.uk", "--org",
                          "RX1", "--from", "", "--on", "2999-10-01", "--covering", "x")
    assert code == 1 and "from whom: say who gave the reference" in err and "in the future" in err
    code, _, err = invoke(capsys, "references", "export", "1", "-o", str(tmp_path / "r.pdf"))
    assert code == 1 and "no signed Board Member Reference 1" in err


def test_people_registration_says_who_is_clinically_registered(
        board: Board, capsys: pytest.CaptureFixture[str]) -> None:
    def register_check(email: str) -> dict[str, object]:
        _, out, _ = invoke(capsys, "fppt", "status", "--org", "RX1", "--json")
        return {line["email"]: line for line in json.loads(out)}[email]

    before = register_check("nursing@rx1.nhs.uk")["checks_applicable"]
    code, out, err = invoke(capsys, "people", "registration", "nursing@rx1.nhs.uk", "--org",
                            "RX1", "--clinically-registered", "yes")
    assert code == 0, err
    assert "is clinically registered" in out
    assert register_check("nursing@rx1.nhs.uk")["checks_applicable"] == before + 1  # type: ignore[operator]
    code, _, err = invoke(capsys, "people", "registration", "nursing@rx1.nhs.uk", "--org",
                          "RX1", "--clinically-registered", "maybe")
    assert code == 2 and "yes or no" in err
    code, _, err = invoke(capsys, "people", "registration", "nobody@rx1.nhs.uk", "--org",
                          "RX1", "--clinically-registered", "no")
    assert code == 1 and "nobody@rx1.nhs.uk is not on the board of RX1" in err
