"""Objectives through the year: the mid-year review after sign-off (refused before it),
progress in each party's words with a joint note, reminders to both, a PDF of the review,
and all of it read back in next year's review of last year's objectives."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.errors import InvalidTransition, ValidationFailed
from appraisal_store.models import Appraisal, Cycle, Objective
from appraisal_store.nhse_tables import CheckIn, CheckInProgress
from appraisal_store.services.check_ins import (
    carried_progress,
    default_mid_year_review,
    mid_year_review_due,
    queue_mid_year_reminders,
    save_progress,
    set_mid_year_review_date,
    start_check_in,
)
from appraisal_store.services.review_objectives import previous_objectives
from tests.conftest import Board
from tests.records.appraisals import NED1, agree, complete
from tests.review_journeys import open_next_year

CHAIR = "chair@rx1.nhs.uk"
NOW = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)


def _start(board: Board, who: str, appraisal_id: int, kind: str = "mid-year") -> int:
    with sessions.write_session() as session:
        return start_check_in(session=session, actor=board.actor(who),
                              appraisal_id=appraisal_id, kind=kind,
                              held_on=date(2026, 10, 20), today=date(2026, 10, 20)).id or 0


def _objectives(appraisal_id: int) -> list[Objective]:
    with sessions.read_session() as session:
        return list(session.execute(select(Objective).where(
            Objective.appraisal_id == appraisal_id).order_by(Objective.position)).scalars())


def test_a_mid_year_review_before_sign_off_is_refused(board: Board) -> None:
    appraisal_id = agree(board, NED1)
    with pytest.raises(InvalidTransition, match="follows the sign-off"):
        _start(board, NED1, appraisal_id)
    with sessions.read_session() as session:
        assert session.execute(select(CheckIn)).first() is None


def test_the_mid_year_review_is_carried_into_next_years_review(board: Board) -> None:
    appraisal_id = complete(board, NED1)
    check_in = _start(board, NED1, appraisal_id)
    with pytest.raises(InvalidTransition, match="already recorded"):
        _start(board, CHAIR, appraisal_id)
    edi, personal = _objectives(appraisal_id)
    with sessions.write_session() as session:
        save_progress(session=session, actor=board.actor(NED1), check_in_id=check_in,
                      notes={f"objective-{edi.id}": "Two network events held"},
                      joint_note="On track", now=NOW)
    with sessions.write_session() as session:
        save_progress(session=session, actor=board.actor(CHAIR), check_in_id=check_in,
                      notes={f"objective-{edi.id}": "Visible sponsorship"},
                      joint_note="On track; revisit in January", now=NOW)
    with pytest.raises(ValidationFailed) as raised, sessions.write_session() as session:
        save_progress(session=session, actor=board.actor(CHAIR), check_in_id=check_in,
                      notes={"objective-999999": "x"}, joint_note="", now=NOW)
    assert raised.value.problems == ["objective-999999: not an objective or action of this "
                                     "appraisal"]
    _start(board, CHAIR, appraisal_id, kind="check-in")
    with sessions.read_session() as session:
        progress = session.execute(select(CheckInProgress)).scalars().all()
        assert [(p.appraisee_note, p.appraiser_note) for p in progress] == [
            ("Two network events held", "Visible sponsorship")]
        assert session.get(CheckIn, check_in).joint_note == "On track; revisit in January"  # type: ignore[union-attr]

    next_year = open_next_year(board, NED1)
    with sessions.read_session() as session:
        carried = carried_progress(session, appraisal_id)
        this_year = session.get(Appraisal, next_year)
        assert this_year is not None
        assert [o.id for o in previous_objectives(session, this_year)] == [edi.id, personal.id]
    assert carried == {edi.id or 0: [("Mid-year review", date(2026, 10, 20),
                                      "Two network events held", "Visible sponsorship")]}


def test_the_mid_year_date_and_reminders_to_both(board: Board) -> None:
    complete(board, NED1)
    with sessions.read_session() as session:
        cycle = session.execute(select(Cycle)).scalar_one()
        assert mid_year_review_due(session, cycle.id or 0) == default_mid_year_review(
            "2025/26") == date(2026, 10, 31)
    with pytest.raises(ValidationFailed, match="mid-year review date was not set"), \
            sessions.write_session() as session:
        set_mid_year_review_date(session=session, actor=Actor.operator(),
                                 organisation_code="RX1", year="2025/26", due=date(2026, 3, 1))
    with sessions.write_session() as session:
        set_mid_year_review_date(session=session, actor=Actor.operator(),
                                 organisation_code="RX1", year="2025/26",
                                 due=date(2026, 10, 15))
    with sessions.write_session() as session:
        assert queue_mid_year_reminders(session=session, today=date(2026, 9, 1)) == 0
        assert queue_mid_year_reminders(session=session, today=date(2026, 10, 5)) == 2
        assert queue_mid_year_reminders(session=session, today=date(2026, 10, 6)) == 0


def test_the_year_page_records_progress_and_exports_a_pdf(
        sqlite_board: Board, sign_in_as, clock) -> None:  # type: ignore[no-untyped-def]
    clock.now = NOW
    appraisal_id = complete(sqlite_board, NED1)
    director = sign_in_as(NED1)
    early = director.post(f"/appraisals/{appraisal_id}/check-ins",
                          {"kind": "mid-year", "held-on-day": "20", "held-on-month": "11",
                           "held-on-year": "2026"})
    assert early.status_code == 400 and "20 November 2026 is in the future" in early.text
    started = director.post(f"/appraisals/{appraisal_id}/check-ins",
                            {"kind": "mid-year", "held-on-day": "20", "held-on-month": "10",
                             "held-on-year": "2026"})
    assert started.status_code == 303
    with sessions.read_session() as session:
        check_in = session.execute(select(CheckIn)).scalar_one()
    edi, _ = _objectives(appraisal_id)
    saved = director.post(f"/check-ins/{check_in.id}",
                          {f"note-objective-{edi.id}": "Two network events held",
                           "joint_note": "On track"})
    assert saved.status_code == 303
    page = director.get(f"/appraisals/{appraisal_id}/year").text
    assert "Two network events held" in page and "Mid-year review, 20 October 2026" in page
    pdf = director.get(f"/check-ins/{check_in.id}.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Two network events held" in text and "On track" in text
    stranger = sign_in_as("ned2@rx1.nhs.uk")
    assert stranger.get(f"/check-ins/{check_in.id}.pdf").status_code == 404


def test_next_years_review_page_shows_the_years_progress(
        sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    from tests.appraisal_store.test_review_sections import _in_review

    appraisal_id = complete(sqlite_board, NED1)
    check_in = _start(sqlite_board, NED1, appraisal_id)
    edi, _ = _objectives(appraisal_id)
    with sessions.write_session() as session:
        save_progress(session=session, actor=sqlite_board.actor(CHAIR), check_in_id=check_in,
                      notes={f"objective-{edi.id}": "Visible sponsorship"}, joint_note="",
                      now=NOW)
    next_year = open_next_year(sqlite_board, NED1)
    _in_review(sqlite_board, NED1, CHAIR, next_year)
    page = sign_in_as(CHAIR).get(f"/review/{next_year}/last-year").text
    assert "Mid-year review, 20 October 2026" in page and "Visible sponsorship" in page
