"""Board Member References: opened on every kind of leaving, completed, signed by the
chair only, never changed after; references received at appointment."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from appraisal_store.fppt_tables import BoardMemberReference, FPPTYear, ReferenceReceived
from appraisal_store.fppt_vocabulary import FPPTYearState, ReferenceState
from appraisal_store.models import Appointment, Appraisal, OutboxMessage
from appraisal_store.services.administration import withdraw
from appraisal_store.services.fppt_references import (
    SectionAnswer,
    leave,
    record_reference_received,
    reference_gaps,
    save_reference,
    sign_reference,
)
from appraisal_store.services.fppt_submissions import queue_fppt_reminders
from appraisal_store.services.people import import_people
from appraisal_store.vocabulary import AppraisalState
from tests.conftest import Board

TODAY = date(2025, 12, 1)
NOW = datetime(2025, 12, 1, 15, tzinfo=UTC)
COMPLETE = {"role-and-dates": SectionAnswer(text="Non-executive director, 2018 to 2025"),
            "fitness-concerns": SectionAnswer(answer=False),
            "investigations": SectionAnswer(answer=False),
            "statement": SectionAnswer(text="Served the board well.")}


def _references(board: Board) -> dict[str, BoardMemberReference]:
    people = {v: k for k, v in board.people.items()}
    with sessions.read_session() as session:
        return {people[r.person_id]: r
                for r in session.execute(select(BoardMemberReference)).scalars()}


def test_an_end_date_in_the_import_opens_a_reference_and_tells_the_secretary(
        board: Board) -> None:
    reference = _references(board)["leaver@rx1.nhs.uk"]
    assert (reference.left_on, reference.due_on, reference.state) == (
        date(2025, 6, 30), date(2025, 7, 28), ReferenceState.OPEN)
    assert [s["id"] for s in reference.sections] == [
        "role-and-dates", "fitness-concerns", "investigations", "statement"]
    for day in (TODAY, TODAY):  # told once, however often the sweep runs
        with sessions.write_session() as session:
            queue_fppt_reminders(session=session, today=day)
    with sessions.read_session() as session:
        told = session.execute(select(OutboxMessage.recipient_email).where(
            OutboxMessage.template == "fppt_reference")).scalars().all()
    assert sorted(told) == ["chair@rx1.nhs.uk", "cosec@rx1.nhs.uk"]


def test_an_end_date_added_to_an_appointment_on_record_opens_one(board: Board,
                                                                 operator: Actor) -> None:
    with sessions.write_session() as session:
        import_people(session=session, actor=operator, csv_text=(
            "org_code,name,email,role,start_date,end_date,interim\n"
            "RX1,Zoë Łukasiewicz,ned1@rx1.nhs.uk,non-executive-director,2022-11-01,"
            "2026-01-31,no\n"))
    assert _references(board)["ned1@rx1.nhs.uk"].left_on == date(2026, 1, 31)


def test_a_withdrawal_opens_one(board: Board, operator: Actor) -> None:
    with sessions.write_session() as session:
        withdraw(session=session, actor=operator,
                 appraisal_id=board.appraisals["finance@rx1.nhs.uk"], reason="Resigned",
                 today=TODAY)
    assert _references(board)["finance@rx1.nhs.uk"].left_on == TODAY


def test_leaving_ends_the_appointment_withdraws_and_opens_one(board: Board) -> None:
    with sessions.write_session() as session:
        leave(session=session, actor=board.actor("cosec@rx1.nhs.uk"),
              email="ned1@rx1.nhs.uk", organisation_code="rx1", on=date(2025, 12, 15),
              reason="Moved to another trust", today=TODAY)
    with sessions.read_session() as session:
        appraisal = session.get(Appraisal, board.appraisals["ned1@rx1.nhs.uk"])
        ended = session.execute(select(Appointment.end_date).where(
            Appointment.person_id == board.people["ned1@rx1.nhs.uk"])).scalar_one()
        fppt = session.execute(select(FPPTYear).where(
            FPPTYear.person_id == board.people["ned1@rx1.nhs.uk"])).scalar_one()
    assert appraisal is not None and appraisal.state is AppraisalState.WITHDRAWN
    assert ended == date(2025, 12, 15)
    assert fppt.state is FPPTYearState.NOT_REQUIRED
    assert _references(board)["ned1@rx1.nhs.uk"].leaving_reason == "Moved to another trust"


def test_leaving_refuses_someone_not_on_the_board_and_writes_nothing(board: Board) -> None:
    with sessions.write_session() as session, pytest.raises(NotFound):
        leave(session=session, actor=board.actor("cosec@rx1.nhs.uk"),
              email="nobody@rx1.nhs.uk", organisation_code="RX1", on=TODAY, reason="x",
              today=TODAY)
    with sessions.write_session() as session, pytest.raises(NotAllowed):
        leave(session=session, actor=board.actor("ned1@rx1.nhs.uk"),
              email="ned2@rx1.nhs.uk", organisation_code="RX1", on=TODAY, reason="x",
              today=TODAY)
    assert set(_references(board)) == {"leaver@rx1.nhs.uk"}


def _asked_to_sign() -> list[tuple[str, str]]:
    with sessions.read_session() as session:
        return list(session.execute(select(OutboxMessage.recipient_email,
                                           OutboxMessage.idempotency_key).where(
            OutboxMessage.template == "fppt_reference_sign")).tuples())


def test_the_chair_signs_a_complete_reference_and_it_is_kept_unchanged(board: Board) -> None:
    reference_id = _references(board)["leaver@rx1.nhs.uk"].id or 0
    secretary, chair = board.actor("cosec@rx1.nhs.uk"), board.actor("chair@rx1.nhs.uk")
    with sessions.write_session() as session:
        save_reference(session=session, actor=secretary, reference_id=reference_id,
                       answers={"statement": COMPLETE["statement"]})
    with sessions.write_session() as session, pytest.raises(ValidationFailed) as early:
        sign_reference(session=session, actor=chair, reference_id=reference_id, pdf=b"%PDF",
                       now=NOW)
    assert "fitness-concerns: answer yes or no" in early.value.problems
    assert _asked_to_sign() == []  # not while a section is missing
    for _ in range(2):  # saved complete twice: the chair is asked once
        with sessions.write_session() as session:
            save_reference(session=session, actor=secretary, reference_id=reference_id,
                           answers=COMPLETE)
    assert _asked_to_sign() == [("chair@rx1.nhs.uk", f"reference_sign:{reference_id}:"
                                                     "chair@rx1.nhs.uk")]
    with sessions.write_session() as session, pytest.raises(NotAllowed):
        sign_reference(session=session, actor=secretary, reference_id=reference_id,
                       pdf=b"%PDF", now=NOW)
    with sessions.write_session() as session:
        signed = sign_reference(session=session, actor=chair, reference_id=reference_id,
                                pdf=b"%PDF-sealed", now=NOW)
        assert reference_gaps(signed) == []
    with sessions.write_session() as session, pytest.raises(InvalidTransition):
        save_reference(session=session, actor=secretary, reference_id=reference_id,
                       answers=COMPLETE)
    assert _references(board)["leaver@rx1.nhs.uk"].state is ReferenceState.SIGNED


def test_references_received_at_appointment(board: Board) -> None:
    with sessions.read_session() as session:
        appointment_id = session.execute(select(Appointment.id).where(
            Appointment.person_id == board.people["ned2@rx1.nhs.uk"])).scalar_one()
    with sessions.write_session() as session, pytest.raises(ValidationFailed):
        record_reference_received(session=session, actor=board.actor("cosec@rx1.nhs.uk"),
                                  appointment_id=appointment_id, from_whom="",
                                  received_on=date(2026, 1, 1), covering="", today=TODAY)
    with sessions.write_session() as session:
        record_reference_received(session=session, actor=board.actor("cosec@rx1.nhs.uk"),
                                  appointment_id=appointment_id,
                                  from_whom="Northgate ICB (chair)",
                                  received_on=date(2025, 10, 1), covering="2021 to 2025",
                                  today=TODAY)
    with sessions.read_session() as session:
        assert session.execute(select(ReferenceReceived.covering)).scalar_one() == \
            "2021 to 2025"
