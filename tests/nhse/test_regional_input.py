"""NHS England's regional director's input to a chair's appraisal where the policy gives
it: only the registered regional director, only before agreement; the appraiser reads it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.errors import InvalidTransition, NotFound, ValidationFailed
from appraisal_store.models import OutboxMessage, Record
from appraisal_store.nhse_tables import RegionalInput
from appraisal_store.services import self_assessment
from appraisal_store.services.regional_input import give_input
from appraisal_store.vocabulary import RecordStage
from tests.conftest import Board
from tests.nhse.endorsing import REGIONAL, people_id, register_regional_director, sealed_complete
from tests.pdf_text import pdf_text
from tests.portal.test_follow_ups import answer_everything
from tests.records.appraisals import CHAIR, NED1, SID, agree

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _give(board: Board, email: str, appraisal_id: int, text: str) -> None:
    with sessions.write_session() as session:
        give_input(session=session, actor=Actor.person(people_id(board, email), email),
                   appraisal_id=appraisal_id, text=text, now=NOW)


def _inputs() -> int:
    with sessions.read_session() as session:
        return len(session.execute(select(RegionalInput)).all())


def test_only_the_regional_director_gives_input_to_the_chairs_appraisal(board: Board) -> None:
    register_regional_director()
    chair = board.appraisals[CHAIR]
    with pytest.raises(NotFound):  # the SID is the appraiser, not the regional director
        _give(board, SID, chair, "From the SID")
    with pytest.raises(NotFound):  # a NED's appraisal takes no regional input
        _give(board, REGIONAL, board.appraisals[NED1], "On a NED")
    with pytest.raises(ValidationFailed):
        _give(board, REGIONAL, chair, "   ")
    assert _inputs() == 0
    _give(board, REGIONAL, chair, "Strong system leadership across the ICS.")
    assert _inputs() == 1
    agree(board, CHAIR)
    with pytest.raises(InvalidTransition, match="before the appraiser agrees"):
        _give(board, REGIONAL, chair, "Too late")
    assert _inputs() == 1


def test_the_appraiser_reads_the_input_beside_the_review(
        sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    register_regional_director()
    chair = sqlite_board.appraisals[CHAIR]
    director = sign_in_as(REGIONAL)
    assert "Chairs' appraisals for your input" in director.get("/").text
    refused = director.post(f"/regional-input/{chair}", {"text": ""})
    assert refused.status_code == 400 and "write the input" in refused.text
    given = director.post(f"/regional-input/{chair}",
                          {"text": "Strong system leadership across the ICS."})
    assert given.status_code == 303
    agree(sqlite_board, CHAIR)
    review = sign_in_as(SID).get(f"/review/{chair}").text
    assert "Input from NHS England's regional director" in review
    assert "Strong system leadership across the ICS." in review


def _complete_record(appraisal_id: int) -> bytes:
    with sessions.read_session() as session:
        return session.execute(select(Record.pdf).where(
            Record.appraisal_id == appraisal_id,
            Record.stage == RecordStage.COMPLETE)).scalar_one()


def test_the_input_is_carried_into_the_sealed_record(board: Board, tmp_path: Path) -> None:
    register_regional_director()
    chair = board.appraisals[CHAIR]
    _give(board, REGIONAL, chair, "Strong system leadership across the ICS.\n\n"
                                  "Should chair the provider collaborative's board.")
    sealed_complete(board, CHAIR)
    text = pdf_text(_complete_record(chair), tmp_path)
    assert "Input from NHS England's regional director" in text
    assert "Dr Amara Osei, NHS England's regional director, 5 January 2026" in text
    assert "Strong system leadership across the ICS." in text
    assert "Should chair the provider collaborative's board." in text
    # A NED's record has no such section: the policy gives the regional director no input.
    ned_text = pdf_text(_complete_record(sealed_complete(board, NED1)), tmp_path)
    assert "Input from NHS England's regional director" not in ned_text


def test_the_regional_director_is_asked_once_when_the_chair_submits(board: Board) -> None:
    register_regional_director()
    chair = answer_everything(board, CHAIR)
    with sessions.write_session() as session:
        self_assessment.submit_self_assessment(session=session, actor=board.actor(CHAIR),
                                               appraisal_id=chair)
    ned = answer_everything(board, NED1)
    with sessions.write_session() as session:
        self_assessment.submit_self_assessment(session=session, actor=board.actor(NED1),
                                               appraisal_id=ned)
    with sessions.read_session() as session:
        asked = session.execute(select(OutboxMessage).where(
            OutboxMessage.template == "regional_input_requested")).scalars().all()
    assert [(m.recipient_email, m.appraisal_id, m.payload["page"]) for m in asked] == [
        (REGIONAL, chair, "regional-input")]
