"""Who is clinically registered (the people import's column, the secretary's change) and
what follows for the professional register's check; the references an appointment came
with; the sign-off request to whoever signs a year off; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.errors import NotFound, ValidationFailed
from appraisal_store.fppt_status import check_statuses
from appraisal_store.fppt_tables import ReferenceReceived
from appraisal_store.fppt_vocabulary import FPPTYearState
from appraisal_store.models import Appointment, AuditEvent, OutboxMessage, Person
from appraisal_store.services.fppt import set_clinically_registered
from appraisal_store.services.fppt_checklists import checklist_of
from appraisal_store.services.fppt_references import record_reference_received
from appraisal_store.services.fppt_submissions import queue_fppt_reminders
from appraisal_store.services.people import import_people
from tests.appraisal_store.fppt_steps import (
    SECRETARY,
    TODAY,
    attest_clear,
    record_applicable,
    year_of,
)
from tests.conftest import Board

REGISTER = "professional-registration"


def _register_check(board: Board, email: str) -> tuple[bool, str]:
    year = year_of(board, email)
    with sessions.read_session() as session:
        status = next(s for s in check_statuses(session, year, checklist_of(
            session, year.checklist_version_id)) if s.check.id == REGISTER)
    return status.applies, status.why_not


def _registered(email: str) -> bool:
    with sessions.read_session() as session:
        return bool(session.execute(select(Person.clinically_registered).where(
            Person.email == email)).scalar_one())


def test_the_register_check_is_for_the_clinically_registered_only(board: Board) -> None:
    assert _register_check(board, "nursing@rx1.nhs.uk") == (
        False, "clinically registered members only")
    record_applicable(board, "nursing@rx1.nhs.uk")
    attest_clear(board, "nursing@rx1.nhs.uk")
    assert year_of(board, "nursing@rx1.nhs.uk").state is FPPTYearState.READY_FOR_SIGN_OFF

    with sessions.write_session() as session:
        set_clinically_registered(session=session, actor=board.actor(SECRETARY),
                                  person_id=board.people["nursing@rx1.nhs.uk"],
                                  organisation_id=board.organisation_id, registered=True)
    assert _register_check(board, "nursing@rx1.nhs.uk") == (True, "")
    # Now a check applies that is not recorded: the year is no longer ready.
    assert year_of(board, "nursing@rx1.nhs.uk").state is FPPTYearState.IN_PROGRESS
    with sessions.read_session() as session:
        event = session.execute(select(AuditEvent).where(
            AuditEvent.action == "clinical_registration_set")).scalar_one()
    assert event.details == {"clinically_registered": True}


def test_a_change_is_refused_for_someone_not_on_a_board_the_actor_runs(board: Board) -> None:
    for actor, registered in ((board.actor("ned1@rx1.nhs.uk"), True),
                              (board.actor(SECRETARY), None)):
        with sessions.write_session() as session, pytest.raises(
                (NotFound, ValidationFailed)):
            set_clinically_registered(session=session, actor=actor,
                                      person_id=board.people["ceo@rx1.nhs.uk"],
                                      organisation_id=board.organisation_id,
                                      registered=registered)
    assert not _registered("ceo@rx1.nhs.uk")


def test_the_people_import_reads_clinically_registered(board: Board, operator: Actor) -> None:
    header = "org_code,name,email,role,start_date,end_date,interim,clinically_registered\n"
    with sessions.write_session() as session, pytest.raises(ValidationFailed) as refused:
        import_people(session=session, actor=operator, csv_text=header + (
            "RX1,Dr Ada New,ada@rx1.nhs.uk,executive-director,2026-01-05,,no,perhaps\n"))
    assert refused.value.problems == [
        "line 2: clinically_registered must be yes or no, not 'perhaps'"]
    with sessions.write_session() as session:
        import_people(session=session, actor=operator, csv_text=header + (
            "RX1,Dr Ada New,ada@rx1.nhs.uk,executive-director,2026-01-05,,no,yes\n"
            "RX1,Daniel Price,ceo@rx1.nhs.uk,chief-executive,2020-09-01,,no,yes\n"
            "RX1,Priya Shah,finance@rx1.nhs.uk,executive-director,2022-01-10,,no,\n"))
    assert _registered("ada@rx1.nhs.uk") and _registered("ceo@rx1.nhs.uk")
    assert not _registered("finance@rx1.nhs.uk")  # blank leaves it as it was
    assert _register_check(board, "ceo@rx1.nhs.uk") == (True, "")


def test_a_reference_received_is_refused_whole_then_recorded(board: Board) -> None:
    with sessions.read_session() as session:
        appointment_id = session.execute(select(Appointment.id).where(
            Appointment.person_id == board.people["ned2@rx1.nhs.uk"])).scalar_one()
    with sessions.write_session() as session, pytest.raises(ValidationFailed) as refused:
        record_reference_received(session=session, actor=board.actor(SECRETARY),
                                  appointment_id=appointment_id, from_whom=" ",
                                  received_on=None, covering="", today=TODAY)
    assert refused.value.problems == [
        "from whom: say who gave the reference",
        "covering: say which years the reference covers",
        "date: enter the date it was received"]
    with sessions.write_session() as session:
        record_reference_received(session=session, actor=board.actor(SECRETARY),
                                  appointment_id=appointment_id, from_whom="Northgate ICB",
                                  received_on=date(2025, 10, 1), covering="2021 to 2025",
                                  today=TODAY)
    with sessions.read_session() as session:
        assert session.execute(select(func.count()).select_from(ReferenceReceived)
                               ).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "reference_received")).scalar_one() == 1


def _sign_off_requests() -> list[tuple[str, str]]:
    with sessions.read_session() as session:
        return sorted(session.execute(select(OutboxMessage.recipient_email,
                                             OutboxMessage.idempotency_key).where(
            OutboxMessage.template == "fppt_sign_off")).tuples())


def test_whoever_signs_off_is_asked_once_when_the_year_is_ready(board: Board) -> None:
    for email in ("finance@rx1.nhs.uk", "chair@rx1.nhs.uk"):
        record_applicable(board, email)
    with sessions.write_session() as session:
        queue_fppt_reminders(session=session, today=TODAY)
    assert _sign_off_requests() == []  # the self-attestations are still to come
    for email in ("finance@rx1.nhs.uk", "chair@rx1.nhs.uk"):
        attest_clear(board, email)
    finance, chair = year_of(board, "finance@rx1.nhs.uk"), year_of(board, "chair@rx1.nhs.uk")
    asked = sorted([("chair@rx1.nhs.uk", f"fppt_sign_off:{finance.id}:chair@rx1.nhs.uk"),
                    ("sid@rx1.nhs.uk", f"fppt_sign_off:{chair.id}:sid@rx1.nhs.uk")])
    # Asked as the last check is recorded, not at the next sweep; the sweeps add nobody.
    assert _sign_off_requests() == asked
    for day in (TODAY, date(2025, 12, 2)):
        with sessions.write_session() as session:
            queue_fppt_reminders(session=session, today=day)
    assert _sign_off_requests() == asked
