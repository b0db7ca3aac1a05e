"""NHS England's regional director's input to a chair's appraisal where the policy gives
it: only the registered regional director, only before agreement; the appraiser reads it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.errors import InvalidTransition, NotFound, ValidationFailed
from appraisal_store.nhse_tables import RegionalInput
from appraisal_store.services.regional_input import give_input
from tests.conftest import Board
from tests.nhse.endorsing import REGIONAL, people_id, register_regional_director
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
