"""One appraisal walked through its whole life on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from appraisal_store import engines, sessions
from appraisal_store.audit_verification import verify_chain
from appraisal_store.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from appraisal_store.models import Appraisal, AppraisalRevision, OutboxMessage, Rating
from appraisal_store.services import meetings, review, self_assessment, signing
from appraisal_store.services.frameworks import framework_of
from appraisal_store.services.review_objectives import (
    DevelopmentInput,
    ObjectiveInput,
    set_development_plan,
    set_objectives,
)
from appraisal_store.vocabulary import AppraisalState, FPPTStatus, ObjectiveKind
from competencies.scale import ScaleLabel
from tests.conftest import Board

NED = "ned1@rx1.nhs.uk"
CHAIR = "chair@rx1.nhs.uk"


def _answer_everything(board: Board, label: ScaleLabel = ScaleLabel.FREQUENTLY) -> None:
    with sessions.write_session() as session:
        appraisal = session.get(Appraisal, board.appraisals[NED])
        framework = framework_of(session, appraisal.framework_version_id)
        self_assessment.save_self_assessment(
            session=session, actor=board.actor(NED), appraisal_id=board.appraisals[NED],
            ratings=dict.fromkeys(framework.statement_ids(), label),
            reflections={d.id: f"Reflection on {d.name}" for d in framework.domains})


def _prepare_agreement(board: Board) -> None:
    appraisal_id, chair = board.appraisals[NED], board.actor(CHAIR)
    with sessions.write_session() as session:
        review.save_review(session=session, actor=chair, appraisal_id=appraisal_id,
                           commentary={"d1": "Strong challenge on quality"},
                           views={"d1": ScaleLabel.ALMOST_ALWAYS})
        meetings.schedule_meeting(session=session, actor=chair, appraisal_id=appraisal_id,
                                  starts_at=datetime(2026, 2, 10, 14, 0), duration_minutes=60,
                                  place="The boardroom")
        set_objectives(session=session, actor=chair, appraisal_id=appraisal_id, objectives=[
            ObjectiveInput(ObjectiveKind.EDI, "Sponsor the race equality network"),
            ObjectiveInput(ObjectiveKind.PERSONAL, "Chair the quality committee")])
        set_development_plan(session=session, actor=chair, appraisal_id=appraisal_id,
                             actions=[DevelopmentInput("Digital", "Board course")])
        review.confirm_fppt(session=session, actor=chair, appraisal_id=appraisal_id,
                            last_assessed_on=date(2025, 11, 1), status=FPPTStatus.FIT_AND_PROPER)


def test_the_whole_life_of_an_appraisal(board: Board) -> None:
    appraisal_id = board.appraisals[NED]
    ned, chair = board.actor(NED), board.actor(CHAIR)
    _answer_everything(board)
    with sessions.write_session() as session:
        self_assessment.submit_self_assessment(session=session, actor=ned,
                                               appraisal_id=appraisal_id)
    with sessions.write_session() as session:
        review.begin_review(session=session, actor=chair, appraisal_id=appraisal_id)
        review.return_for_changes(session=session, actor=chair, appraisal_id=appraisal_id,
                                  reason="Say more about the equality domain")
    _answer_everything(board, ScaleLabel.ALMOST_ALWAYS)
    with sessions.write_session() as session:
        self_assessment.submit_self_assessment(session=session, actor=ned,
                                               appraisal_id=appraisal_id)
        review.begin_review(session=session, actor=chair, appraisal_id=appraisal_id)
    _prepare_agreement(board)
    with sessions.write_session() as session:
        review.agree(session=session, actor=chair, appraisal_id=appraisal_id)
    with sessions.write_session() as session:
        with pytest.raises(InvalidTransition, match="appraisee signs first"):
            signing.sign(session=session, actor=chair, appraisal_id=appraisal_id)
    with sessions.write_session() as session:
        signing.sign(session=session, actor=ned, appraisal_id=appraisal_id)
    with sessions.write_session() as session:
        signing.sign(session=session, actor=chair, appraisal_id=appraisal_id)

    with sessions.read_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal.state is AppraisalState.COMPLETE
        assert appraisal.revision == 2
        # The first submitted revision is still there, unchanged, with its return reason.
        first = session.execute(select(Rating.value).where(
            Rating.appraisal_id == appraisal_id, Rating.revision == 1)).scalars().all()
        assert set(first) == {ScaleLabel.FREQUENTLY}
        revisions = session.execute(select(AppraisalRevision).where(
            AppraisalRevision.appraisal_id == appraisal_id)
            .order_by(AppraisalRevision.revision)).scalars().all()
        assert [r.return_reason for r in revisions] == ["Say more about the equality domain", None]
        templates = session.execute(select(OutboxMessage.template).where(
            OutboxMessage.appraisal_id == appraisal_id)).scalars().all()
        assert sorted(templates) == sorted([
            "invitation", "self_assessment_submitted", "returned_for_changes",
            "self_assessment_submitted", "meeting_invitation", "meeting_invitation",
            "agreed_please_sign", "appraisee_signed"])
        report = verify_chain(session)
        assert report.ok and report.verified > 20


def test_submission_needs_every_answer(board: Board) -> None:
    with sessions.write_session() as session:
        self_assessment.save_self_assessment(
            session=session, actor=board.actor(NED), appraisal_id=board.appraisals[NED],
            ratings={"d1.s1": ScaleLabel.OCCASIONALLY})
    with pytest.raises(ValidationFailed) as raised, sessions.write_session() as session:
        self_assessment.submit_self_assessment(session=session, actor=board.actor(NED),
                                               appraisal_id=board.appraisals[NED])
    assert "have no answer" in raised.value.summary
    assert "statement d1.s2 has no answer" in raised.value.problems


def test_agreement_names_what_is_missing(board: Board) -> None:
    _answer_everything(board)
    with sessions.write_session() as session:
        self_assessment.submit_self_assessment(session=session, actor=board.actor(NED),
                                               appraisal_id=board.appraisals[NED])
        review.begin_review(session=session, actor=board.actor(CHAIR),
                            appraisal_id=board.appraisals[NED])
    with pytest.raises(ValidationFailed) as raised, sessions.write_session() as session:
        set_objectives(session=session, actor=board.actor(CHAIR),
                       appraisal_id=board.appraisals[NED],
                       objectives=[ObjectiveInput(ObjectiveKind.PERSONAL, "x")])
        review.agree(session=session, actor=board.actor(CHAIR), appraisal_id=board.appraisals[NED])
    problems = "\n".join(raised.value.problems)
    assert "equality, diversity and inclusion" in problems
    assert "development_plan" in problems and "fppt" in problems and "meeting_date" in problems


def test_other_people_cannot_see_or_touch_an_appraisal(board: Board) -> None:
    other_director = board.actor("finance@rx1.nhs.uk")
    with pytest.raises(NotFound), sessions.write_session() as session:
        self_assessment.save_self_assessment(session=session, actor=other_director,
                                             appraisal_id=board.appraisals[NED], ratings={})
    # The chair may see a NED's appraisal but cannot fill in the NED's self-assessment.
    with pytest.raises(NotAllowed, match="Only the appraisee"), \
            sessions.write_session() as session:
        self_assessment.save_self_assessment(session=session, actor=board.actor(CHAIR),
                                             appraisal_id=board.appraisals[NED], ratings={})


def test_a_failed_service_call_writes_nothing(board: Board) -> None:
    with sessions.read_session() as session:
        events_before = session.execute(select(func.count()).select_from(
            __import__("appraisal_store.models", fromlist=["AuditEvent"]).AuditEvent)).scalar()
    with pytest.raises(ValidationFailed), sessions.write_session() as session:
        self_assessment.save_self_assessment(
            session=session, actor=board.actor(NED), appraisal_id=board.appraisals[NED],
            ratings={"no-such-statement": ScaleLabel.FREQUENTLY})
    with sessions.read_session() as session:
        appraisal = session.get(Appraisal, board.appraisals[NED])
        assert appraisal.state is AppraisalState.NOT_STARTED
        events_after = session.execute(select(func.count()).select_from(
            __import__("appraisal_store.models", fromlist=["AuditEvent"]).AuditEvent)).scalar()
    assert events_after == events_before


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_a_change_sees_what_was_committed_before_its_lock(board: Board) -> None:
    # The portal's save reads the appraisal (to find its framework) before the service
    # locks it. A submission committed in between must be what the lock sees: else the
    # answers would be written into a submitted revision.
    from sqlalchemy import update

    from appraisal_store.services.access import get_appraisal

    appraisal_id = board.appraisals[NED]
    with sessions.write_session() as session:
        # A plain read, no lock; the object is kept, so the session's identity map holds it.
        seen, _ = get_appraisal(session, board.actor(NED), appraisal_id)
        assert seen.state is AppraisalState.NOT_STARTED
        with engines.engine().begin() as other:
            other.execute(update(Appraisal).where(Appraisal.id == appraisal_id)
                          .values(state=AppraisalState.SUBMITTED))
        with pytest.raises(InvalidTransition, match="submitted"):
            self_assessment.save_self_assessment(
                session=session, actor=board.actor(NED), appraisal_id=appraisal_id,
                ratings={framework_of(session, 1).statement_ids()[0]: ScaleLabel.FREQUENTLY})
