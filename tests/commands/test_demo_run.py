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
    # The foundation trust has opened 2026/27 (the demo follows objectives into it).
    code, out, _ = invoke(capsys, "status", "--json", "--cycle", "2025/26", "--today",
                          "2026-03-02")
    status = json.loads(out)
    assert [o["code"] for o in status["organisations"]] == ["QWE", "RXR", "RYF"]
    by_state = status["by_state"]
    assert by_state["complete"] >= 3 and by_state["withdrawn"] == 1 and by_state["deferred"] == 1
    assert {"not_started", "in_preparation", "submitted", "in_review", "returned",
            "agreed", "signed_by_appraisee"} <= set(by_state)
    records = sorted((home / "records").glob("*.pdf"))
    # The ICB's and the trust's packs went to NHS England; the foundation trust's are held.
    assert by_state["submitted_to_nhse"] == 4
    assert len(records) == by_state["complete"] + by_state["submitted_to_nhse"]
    assert len(list((home / "outbox").glob("*.eml"))) > 50
    assert (home / "reports" / "2025-26" / "nhse-submissions.csv").exists()
    _the_hand_over_and_the_year_of_objectives()
    code, out, _ = invoke(capsys, "records", "verify", str(records[0]))
    assert code == 0 and "VALID" in out
    code, out, _ = invoke(capsys, "audit", "verify")
    assert code == 0
    _every_reviewed_appraisal_has_feedback(records)
    # A second run rebuilds the demo from scratch rather than adding to it.
    code, _, _ = invoke(capsys, "demo")
    assert code == 0
    code, out, _ = invoke(capsys, "status", "--json", "--cycle", "2025/26", "--today",
                          "2026-03-02")
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

    reviewed = {S.IN_REVIEW, S.RETURNED, S.AGREED, S.SIGNED_BY_APPRAISEE, S.COMPLETE,
                S.SUBMITTED_TO_NHSE}
    with read_session() as session:
        ids = set(session.execute(select(Appraisal.id).where(
            Appraisal.state.in_(reviewed))).scalars())  # type: ignore[attr-defined]
        answered = dict(session.execute(
            select(FeedbackRound.appraisal_id, func.count(FeedbackResponse.id))
            .join(FeedbackResponse, FeedbackResponse.round_id == FeedbackRound.id)
            .where(FeedbackRound.closed_at.is_not(None))  # type: ignore[union-attr]
            .group_by(FeedbackRound.appraisal_id)).tuples().all())
        missing = {i: (a.state.value, a.cycle_id) for i in ids if answered.get(i, 0) < 3
                   for a in [session.get(Appraisal, i)] if a is not None}
    assert ids and not missing, missing
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(
        records[0].read_bytes())).pages)
    assert "Response rate:" in " ".join(text.split())
    for record in records:  # every sealed record, not only the first
        words = " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(
            record.read_bytes())).pages).split())
        assert "Multi-source feedback summary" in words and "Response rate:" in words, record
def _the_hand_over_and_the_year_of_objectives() -> None:
    """The ICB and the trust sent packs for both deadlines with endorsed records; the
    foundation trust holds its own; a mid-year review is carried into 2026/27."""
    from sqlalchemy import select

    from appraisal_store.models import Appraisal, Organisation
    from appraisal_store.nhse_tables import CheckIn, Endorsement, SubmissionPack
    from appraisal_store.services.check_ins import carried_progress
    from appraisal_store.services.review_objectives import previous_objectives
    from appraisal_store.sessions import read_session

    with read_session() as session:
        packs = session.execute(select(Organisation.code, SubmissionPack.deadline,
                                       SubmissionPack.sent_on)
                                .join(Organisation,
                                      Organisation.id == SubmissionPack.organisation_id)
                                ).all()
        assert sorted((code, deadline.isoformat()) for code, deadline, sent in packs
                      if sent) == [("QWE", "2026-06-30"), ("QWE", "2026-09-30"),
                                   ("RXR", "2026-06-30"), ("RXR", "2026-09-30")]
        assert len(session.execute(select(Endorsement)).all()) == 4
        mid_year = session.execute(select(CheckIn)).scalar_one()
        reviewed = session.get(Appraisal, mid_year.appraisal_id)
        assert reviewed is not None
        following = session.execute(select(Appraisal).where(
            Appraisal.appointment_id == reviewed.appointment_id,
            Appraisal.id != reviewed.id)).scalar_one()
        carried = previous_objectives(session, following)
        assert carried and carried_progress(session, reviewed.id or 0)
