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
    _every_reviewed_appraisal_has_feedback(records)
    # A second run rebuilds the demo from scratch rather than adding to it.
    code, _, _ = invoke(capsys, "demo")
    assert code == 0
    code, out, _ = invoke(capsys, "status", "--json", "--today", "2026-03-02")
    assert json.loads(out)["total"] == status["total"]


def _every_reviewed_appraisal_has_feedback(records: list[Path]) -> None:
    """Each appraisal that reached review has a closed round with answers, and each sealed
    record shows the feedback summary."""
    from io import BytesIO

    from pypdf import PdfReader
    from sqlalchemy import func, select

    from appraisal_store.feedback_tables import FeedbackResponse, FeedbackRound
    from appraisal_store.models import Appraisal
    from appraisal_store.sessions import read_session
    from appraisal_store.vocabulary import AppraisalState as S

    reviewed = {S.IN_REVIEW, S.RETURNED, S.AGREED, S.SIGNED_BY_APPRAISEE, S.COMPLETE}
    with read_session() as session:
        ids = set(session.execute(select(Appraisal.id).where(
            Appraisal.state.in_(reviewed))).scalars())  # type: ignore[attr-defined]
        answered = dict(session.execute(
            select(FeedbackRound.appraisal_id, func.count(FeedbackResponse.id))
            .join(FeedbackResponse, FeedbackResponse.round_id == FeedbackRound.id)
            .where(FeedbackRound.closed_at.is_not(None))  # type: ignore[union-attr]
            .group_by(FeedbackRound.appraisal_id)).tuples().all())
    assert ids and all(answered.get(i, 0) >= 3 for i in ids)
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(
        records[0].read_bytes())).pages)
    assert "Response rate:" in " ".join(text.split())
