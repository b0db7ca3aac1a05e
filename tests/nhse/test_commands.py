"""The operator's commands for the hand-over and the year: refusals exit 1 with the reason,
nothing written; the routing policy shown with what the guidance confirms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.nhse_tables import CheckInSchedule, RoutingOverride, SubmissionPack
from tests.commands.test_operator_commands import invoke
from tests.conftest import Board


def test_submissions_status_and_refusals(capsys: pytest.CaptureFixture[str],
                                         sqlite_board: Board) -> None:
    code, out, _ = invoke(capsys, "submissions", "status", "--org", "RX1", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["deadline"], r["due"], r["in_pack"]) for r in rows] == [
        ("2026-06-30", 1, 0), ("2026-09-30", 2, 0)]
    code, out, err = invoke(capsys, "submissions", "build", "--org", "RX1", "--deadline",
                            "2026-06-30")
    assert code == 1 and "ready to send" in out + err
    code, out, err = invoke(capsys, "submissions", "build", "--org", "RX1", "--deadline",
                            "30 June")
    assert code == 1 and "--deadline" in out + err
    with sessions.read_session() as session:
        assert session.execute(select(SubmissionPack)).first() is None


def test_the_mid_year_date_and_the_routing_override(capsys: pytest.CaptureFixture[str],
                                                    sqlite_board: Board,
                                                    tmp_path: Path) -> None:
    code, out, err = invoke(capsys, "cycle", "mid-year-review", "--org", "RX1", "--year",
                            "2025/26", "--due", "2026-01-01")
    assert code == 1 and "must fall after the sign-off is due" in out + err
    code, _, _ = invoke(capsys, "cycle", "mid-year-review", "--org", "RX1", "--year",
                        "2025/26", "--due", "2026-10-15")
    assert code == 0
    bad = tmp_path / "rx1.yaml"
    bad.write_text("chair:\n  appraisers: [governor]\n", encoding="utf-8")
    code, out, err = invoke(capsys, "org", "routing", "set", "RX1", str(bad), "--reason",
                            "Local")
    assert code == 1 and "rx1.yaml: line 2" in out + err
    with sessions.read_session() as session:
        assert session.execute(select(RoutingOverride)).first() is None
        assert session.execute(select(CheckInSchedule.mid_year_review_due)).scalar_one(
            ).isoformat() == "2026-10-15"
    code, out, _ = invoke(capsys, "org", "routing", "show", "icb", "--json")
    assert json.loads(out)["chair"]["guidance"] == "unconfirmed"
