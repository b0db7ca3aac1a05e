"""`appraisal demo` builds the whole sample year, and building it again starts afresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.commands.test_operator_commands import invoke


@pytest.mark.slow
def test_the_demo_runs_the_year_through_the_flows(
        home: Path, prefect_harness: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = invoke(capsys, "demo")
    assert code == 0, out
    assert "the open_cycle flow opens 2025/26" in out
    code, out, _ = invoke(capsys, "status", "--json", "--today", "2026-03-02")
    status = json.loads(out)
    assert [o["code"] for o in status["organisations"]] == ["QWE", "RXR", "RYF"]
    by_state = status["by_state"]
    assert by_state["complete"] >= 3 and by_state["withdrawn"] == 1 and by_state["deferred"] == 1
    assert {"not_started", "in_preparation", "submitted", "in_review", "returned",
            "agreed", "signed_by_appraisee"} <= set(by_state)
    records = sorted((home / "records").glob("*.pdf"))
    assert len(records) == by_state["complete"]
    assert len(list((home / "outbox").glob("*.eml"))) > 50
    assert (home / "reports" / "2025-26" / "nhse-submissions.csv").exists()
    code, out, _ = invoke(capsys, "records", "verify", str(records[0]))
    assert code == 0 and "VALID" in out
    code, out, _ = invoke(capsys, "audit", "verify")
    assert code == 0
    # A second run rebuilds the demo from scratch rather than adding to it.
    code, _, _ = invoke(capsys, "demo")
    assert code == 0
    code, out, _ = invoke(capsys, "status", "--json", "--today", "2026-03-02")
    assert json.loads(out)["total"] == status["total"]
