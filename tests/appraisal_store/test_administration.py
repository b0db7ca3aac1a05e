"""The administrator's adjustments, each with its reason on the record."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from appraisal_store.models import Appraisal, AuditEvent
from appraisal_store.services import administration
from appraisal_store.vocabulary import AppraisalState
from tests.conftest import Board

EXEC = "finance@rx1.nhs.uk"


def _appraisal(board: Board, email: str) -> Appraisal:
    with sessions.read_session() as session:
        found = session.get(Appraisal, board.appraisals[email])
        assert found is not None
        return found


def _last_event(action: str) -> AuditEvent:
    with sessions.read_session() as session:
        return session.execute(select(AuditEvent).where(AuditEvent.action == action)
                               .order_by(AuditEvent.id.desc())).scalars().first()


def test_the_company_secretary_extends_a_deadline_with_a_reason(board: Board) -> None:
    secretary = board.actor("cosec@rx1.nhs.uk")
    with sessions.write_session() as session:
        administration.extend_deadline(session=session, actor=secretary,
                                       appraisal_id=board.appraisals[EXEC],
                                       deadline="self_assessment", new_date=date(2026, 2, 20),
                                       reason="Long-term sick leave in January")
    assert _appraisal(board, EXEC).self_assessment_due == date(2026, 2, 20)
    event = _last_event("extend_deadline")
    assert event.details["reason"] == "Long-term sick leave in January"
    assert event.details["to"] == "2026-02-20"
    with pytest.raises(ValidationFailed, match="Give a reason"), \
            sessions.write_session() as session:
        administration.extend_deadline(session=session, actor=secretary,
                                       appraisal_id=board.appraisals[EXEC],
                                       deadline="review", new_date=date(2026, 3, 20), reason=" ")


def test_deadlines_stay_in_order(board: Board) -> None:
    with pytest.raises(ValidationFailed, match="must run"), sessions.write_session() as session:
        administration.extend_deadline(session=session, actor=board.actor("cosec@rx1.nhs.uk"),
                                       appraisal_id=board.appraisals[EXEC],
                                       deadline="self_assessment", new_date=date(2026, 3, 15),
                                       reason="x")
    assert _appraisal(board, EXEC).self_assessment_due == date(2026, 1, 31)


def test_reassigning_the_appraiser_overrides_routing_with_the_reason(board: Board) -> None:
    with sessions.write_session() as session:
        administration.reassign_appraiser(
            session=session, actor=board.actor("chair@rx1.nhs.uk"),
            appraisal_id=board.appraisals[EXEC], appraiser_email="chair@rx1.nhs.uk",
            reason="Conflict of interest: the chief executive is related to the appraisee")
    appraisal = _appraisal(board, EXEC)
    assert appraisal.appraiser_id == board.people["chair@rx1.nhs.uk"]
    assert appraisal.routing_override_reason.startswith("Conflict of interest")
    with pytest.raises(ValidationFailed, match="appraise themselves"), \
            sessions.write_session() as session:
        administration.reassign_appraiser(
            session=session, actor=board.actor("chair@rx1.nhs.uk"),
            appraisal_id=board.appraisals[EXEC], appraiser_email=EXEC, reason="x")


def test_directors_cannot_administer_and_nobody_administers_their_own(board: Board) -> None:
    with pytest.raises(NotAllowed), sessions.write_session() as session:
        administration.withdraw(session=session, actor=board.actor("ned1@rx1.nhs.uk"),
                                appraisal_id=board.appraisals["ned1@rx1.nhs.uk"], reason="x")
    with pytest.raises(NotAllowed), sessions.write_session() as session:
        administration.defer(session=session, actor=board.actor("chair@rx1.nhs.uk"),
                             appraisal_id=board.appraisals["chair@rx1.nhs.uk"], reason="x")
    with pytest.raises(NotFound), sessions.write_session() as session:
        administration.defer(session=session, actor=board.actor("ned1@rx1.nhs.uk"),
                             appraisal_id=board.appraisals[EXEC], reason="x")


def test_withdraw_defer_and_resume(board: Board, operator) -> None:  # type: ignore[no-untyped-def]
    with sessions.write_session() as session:
        administration.withdraw(session=session, actor=operator,
                                appraisal_id=board.appraisals[EXEC],
                                reason="Left the board on 31 January")
    assert _appraisal(board, EXEC).state is AppraisalState.WITHDRAWN
    with pytest.raises(InvalidTransition), sessions.write_session() as session:
        administration.defer(session=session, actor=operator,
                             appraisal_id=board.appraisals[EXEC], reason="x")
    late = board.appraisals["ned2@rx1.nhs.uk"]
    with sessions.write_session() as session:
        administration.resume(session=session, actor=operator, appraisal_id=late,
                              reason="Six months in post now")
    assert _appraisal(board, "ned2@rx1.nhs.uk").state is AppraisalState.NOT_STARTED


def test_mark_overdue_stamps_only_what_is_past_its_deadline(board: Board, operator) -> None:  # type: ignore[no-untyped-def]
    with sessions.write_session() as session:
        assert administration.mark_overdue(session=session, actor=operator,
                                           today=date(2026, 1, 31)) == 0
        marked = administration.mark_overdue(session=session, actor=operator,
                                             today=date(2026, 2, 1))
    assert marked == len(board.appraisals) - 1  # the deferred appraisal has no deadline
    assert _appraisal(board, EXEC).overdue_since == date(2026, 2, 1)
    with sessions.write_session() as session:
        assert administration.mark_overdue(session=session, actor=operator,
                                           today=date(2026, 2, 2)) == 0
