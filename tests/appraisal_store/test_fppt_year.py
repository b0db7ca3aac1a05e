"""The FPPT year: opened for every board member, checks append-only, the sign-off rules,
concern needs mitigation, the appraisal's agreement, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import func, select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.audit_verification import verify_chain
from appraisal_store.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from appraisal_store.fppt_tables import FPPTCheckEntry, FPPTYear
from appraisal_store.fppt_vocabulary import FPPTOutcome, FPPTYearState
from appraisal_store.models import AuditEvent, OutboxMessage, Person
from appraisal_store.services.administration import withdraw
from appraisal_store.services.fppt import (
    Answer,
    EvidenceFile,
    attest,
    mark_not_required,
    mitigate_self_attestation,
    record_chair_decision,
    record_check,
    sign_off,
)
from appraisal_store.services.fppt_checklists import checklist_of
from appraisal_store.services.fppt_submissions import queue_fppt_reminders
from appraisal_store.services.fppt_years import appraisal_fppt_gaps
from appraisal_store.services.people import import_people
from appraisal_store.vocabulary import FPPTStatus
from tests.appraisal_store.fppt_steps import (
    NOW,
    SECRETARY,
    TODAY,
    attest_clear,
    record_applicable,
    year_of,
)
from tests.conftest import Board

CHAIR, SID, FINANCE, LATE = ("chair@rx1.nhs.uk", "sid@rx1.nhs.uk", "finance@rx1.nhs.uk",
                             "ned2@rx1.nhs.uk")


def _count(table: type) -> int:
    with sessions.read_session() as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def test_every_board_member_in_post_gets_a_year_including_the_deferred(board: Board) -> None:
    with sessions.write_session() as session:
        queue_fppt_reminders(session=session, today=TODAY)
    with sessions.read_session() as session:
        years = {y.person_id: y for y in session.execute(select(FPPTYear)).scalars()}
        invited = set(session.execute(select(OutboxMessage.recipient_email).where(
            OutboxMessage.template == "fppt_attestation")).scalars())
    people = {v: k for k, v in board.people.items()}
    assert {people[p] for p in years} == set(board.appraisals)  # deferred ned2 included
    assert "cosec@rx1.nhs.uk" not in {people[p] for p in years}
    assert "leaver@rx1.nhs.uk" not in {people[p] for p in years}
    assert all(y.state is FPPTYearState.NOT_STARTED for y in years.values())
    assert invited == set(board.appraisals)


def test_an_appointment_during_the_year_gets_one_at_appointment(board: Board,
                                                                operator: Actor) -> None:
    with sessions.write_session() as session:
        import_people(session=session, actor=operator, csv_text=(
            "org_code,name,email,role,start_date,end_date,interim,staff_number\n"
            "RX1,Ada New,ada@rx1.nhs.uk,executive-director,2026-01-05,,yes,E123456\n"))
    with sessions.read_session() as session:
        new = session.execute(select(FPPTYear, Person.staff_number).join(
            Person, Person.id == FPPTYear.person_id).where(
            Person.email == "ada@rx1.nhs.uk")).one()
    assert (new[0].year, new[0].state, new[1]) == ("2025/26", FPPTYearState.NOT_STARTED,
                                                   "E123456")


def test_checks_move_the_year_to_ready_and_the_chair_signs_it_off(board: Board) -> None:
    attest_clear(board, FINANCE)
    assert year_of(board, FINANCE).state is FPPTYearState.IN_PROGRESS
    record_applicable(board, FINANCE)
    assert year_of(board, FINANCE).state is FPPTYearState.READY_FOR_SIGN_OFF
    with sessions.write_session() as session:
        sign_off(session=session, actor=board.actor(CHAIR),
                 fppt_year_id=year_of(board, FINANCE).id or 0, outcome="fit_and_proper",
                 now=NOW)
    year = year_of(board, FINANCE)
    assert (year.state, year.outcome, year.signed_off_by_id) == (
        FPPTYearState.SIGNED_OFF, FPPTOutcome.FIT_AND_PROPER, board.people[CHAIR])
    with sessions.read_session() as session:
        assert verify_chain(session).ok
    with sessions.read_session() as session:
        assert appraisal_fppt_gaps(session, organisation_id=board.organisation_id,
                                   person_id=board.people[FINANCE], year="2025/26",
                                   confirmed=None) == []


def test_a_sign_off_with_checks_missing_is_refused_naming_them(board: Board) -> None:
    attest_clear(board, FINANCE)
    record_applicable(board, FINANCE, skip=("dbs",))
    with sessions.write_session() as session, pytest.raises(ValidationFailed) as refused:
        sign_off(session=session, actor=board.actor(CHAIR),
                 fppt_year_id=year_of(board, FINANCE).id or 0, outcome="fit_and_proper",
                 now=NOW)
    assert "Disclosure and Barring Service check: not recorded yet" in refused.value.problems
    assert year_of(board, FINANCE).state is FPPTYearState.IN_PROGRESS


@pytest.mark.parametrize("email, signer, allowed", [
    (FINANCE, CHAIR, True), (FINANCE, SID, False), (FINANCE, SECRETARY, False),
    (FINANCE, "ceo@rx1.nhs.uk", False), (CHAIR, SID, True), (CHAIR, CHAIR, False),
    (SID, SID, False), (SID, CHAIR, True),
])
def test_who_signs_off_whom(board: Board, email: str, signer: str, allowed: bool) -> None:
    attest_clear(board, email)
    record_applicable(board, email, by=SECRETARY)
    year_id = year_of(board, email).id or 0
    with sessions.write_session() as session:
        if allowed:
            sign_off(session=session, actor=board.actor(signer), fppt_year_id=year_id,
                     outcome="fit_and_proper", now=NOW)
        else:
            with pytest.raises((NotAllowed, NotFound)):
                sign_off(session=session, actor=board.actor(signer), fppt_year_id=year_id,
                         outcome="fit_and_proper", now=NOW)
    assert (year_of(board, email).state is FPPTYearState.SIGNED_OFF) is allowed


def test_the_deputy_chair_signs_off_the_chair_when_there_is_no_sid(board: Board,
                                                                   operator: Actor) -> None:
    deputy = "deputy@rx1.nhs.uk"
    with sessions.write_session() as session:
        import_people(session=session, actor=operator, csv_text=(
            "org_code,name,email,role,start_date,end_date,interim\n"
            "RX1,Dee Puty,deputy@rx1.nhs.uk,deputy-chair,2024-04-01,,no\n"))
    with sessions.read_session() as session:
        deputy_id = session.execute(select(Person.id).where(Person.email == deputy)).scalar_one()
    as_deputy = Actor.person(deputy_id, deputy)
    attest_clear(board, CHAIR)
    record_applicable(board, CHAIR, by=SECRETARY)
    year_id = year_of(board, CHAIR).id or 0
    with sessions.write_session() as session:  # the SID in post signs, not the deputy
        with pytest.raises((NotAllowed, NotFound)):
            sign_off(session=session, actor=as_deputy, fppt_year_id=year_id,
                     outcome="fit_and_proper", now=NOW)
    with sessions.write_session() as session:
        import_people(session=session, actor=operator, csv_text=(
            "org_code,name,email,role,start_date,end_date,interim\n"
            "RX1,Siân Ŵyn ap Gruffydd,sid@rx1.nhs.uk,senior-independent-director,"
            "2019-07-01,2025-11-30,no\n"))
    with sessions.write_session() as session:
        sign_off(session=session, actor=as_deputy, fppt_year_id=year_id,
                 outcome="fit_and_proper", now=NOW)
    assert year_of(board, CHAIR).state is FPPTYearState.SIGNED_OFF


def test_a_concern_needs_its_mitigation_before_sign_off(board: Board) -> None:
    attest_clear(board, FINANCE)
    record_applicable(board, FINANCE, skip=("social-media",))
    year_id = year_of(board, FINANCE).id or 0
    with sessions.write_session() as session:
        concern = record_check(session=session, actor=board.actor(SECRETARY),
                               fppt_year_id=year_id, check_id="social-media",
                               done_on=date(2025, 11, 25), outcome="concern", today=TODAY,
                               note="A post criticising a partner organisation")
    with sessions.write_session() as session, pytest.raises(ValidationFailed) as refused:
        sign_off(session=session, actor=board.actor(CHAIR), fppt_year_id=year_id,
                 outcome="fit_and_proper_with_mitigation", now=NOW)
    assert any("needs a mitigation note" in p for p in refused.value.problems)
    with sessions.write_session() as session:
        record_check(session=session, actor=board.actor(SECRETARY), fppt_year_id=year_id,
                     check_id="social-media", done_on=date(2025, 11, 25), outcome="concern",
                     today=TODAY, note="A post criticising a partner organisation",
                     mitigation="Discussed with the chair; social media training booked",
                     supersedes_id=concern.id)
    with sessions.write_session() as session, pytest.raises(ValidationFailed) as plain:
        sign_off(session=session, actor=board.actor(CHAIR), fppt_year_id=year_id,
                 outcome="fit_and_proper", now=NOW)
    assert any("a concern was recorded" in p for p in plain.value.problems)
    with sessions.write_session() as session:
        sign_off(session=session, actor=board.actor(CHAIR), fppt_year_id=year_id,
                 outcome="fit_and_proper_with_mitigation", now=NOW)
    with sessions.read_session() as session:
        entries = list(session.execute(select(FPPTCheckEntry).where(
            FPPTCheckEntry.check_id == "social-media")).scalars())
    # The first entry is kept as it was; the correction names it.
    assert [e.mitigation for e in entries] == [
        "", "Discussed with the chair; social media training booked"]
    assert entries[1].supersedes_id == entries[0].id


def test_a_declaration_in_the_self_attestation_is_mitigated_then_signed_off(
        board: Board) -> None:
    """A yes in the self-attestation is a concern only the secretary or the chair can
    mitigate (the director cannot record their own); the declaration is kept as signed."""
    record_applicable(board, FINANCE)
    year = year_of(board, FINANCE)
    with sessions.write_session() as session:
        checklist_declarations = [d.id for d in checklist_of(
            session, year.checklist_version_id).declarations]
        signed = attest(session=session, actor=board.actor(FINANCE), fppt_year_id=year.id or 0,
                        answers={d: Answer(d == "interests", "A new trusteeship"
                                           if d == "interests" else "")
                                 for d in checklist_declarations}, today=TODAY)
    assert year_of(board, FINANCE).state is FPPTYearState.IN_PROGRESS  # not ready yet
    refusals = [(FINANCE, "Mitigated", NotAllowed), (SECRETARY, "  ", ValidationFailed)]
    for who, mitigation, refused in refusals:
        with sessions.write_session() as session, pytest.raises(refused):
            mitigate_self_attestation(session=session, actor=board.actor(who),
                                      fppt_year_id=year.id or 0, mitigation=mitigation)
    with sessions.write_session() as session:
        mitigated = mitigate_self_attestation(
            session=session, actor=board.actor(SECRETARY), fppt_year_id=year.id or 0,
            mitigation="Declared to the board; she steps out of hospice contract decisions")
    assert (mitigated.supersedes_id, mitigated.answers, mitigated.done_on) == (
        signed.id, signed.answers, signed.done_on)
    assert year_of(board, FINANCE).state is FPPTYearState.READY_FOR_SIGN_OFF
    with sessions.write_session() as session:
        sign_off(session=session, actor=board.actor(CHAIR), fppt_year_id=year.id or 0,
                 outcome="fit_and_proper_with_mitigation", now=NOW)
    # A clear self-attestation has nothing to mitigate.
    attest_clear(board, CHAIR)
    with sessions.write_session() as session, pytest.raises(ValidationFailed) as nothing:
        mitigate_self_attestation(session=session, actor=board.actor(SECRETARY),
                                  fppt_year_id=year_of(board, CHAIR).id or 0,
                                  mitigation="Nothing")
    assert nothing.value.problems == [
        "mitigation: the self-attestation declares nothing to mitigate"]


def test_an_evidence_file_is_kept_with_its_hash(board: Board) -> None:
    year_id = year_of(board, FINANCE).id or 0
    with sessions.write_session() as session:
        entry = record_check(session=session, actor=board.actor(SECRETARY),
                             fppt_year_id=year_id, check_id="disqualified-directors",
                             done_on=date(2025, 11, 20), outcome="clear", today=TODAY,
                             evidence=EvidenceFile("search.png", b"\x89PNG screenshot"))
    assert entry.evidence_sha256 == hashlib.sha256(b"\x89PNG screenshot").hexdigest()


@pytest.mark.parametrize("change, named", [
    ({"check_id": "horoscope"}, "unknown check id 'horoscope'"),
    ({"done_on": date(2025, 12, 2)}, "2 December 2025 is in the future"),
    ({"done_on": date(2024, 1, 5)}, "5 January 2024 is more than a year before the 2025/26"),
    ({"outcome": "fine"}, "'fine' is not one of: clear, concern, not-applicable"),
])
def test_bad_checks_are_refused_naming_what_is_wrong(board: Board, change: dict[str, object],
                                                      named: str) -> None:
    before = _count(FPPTCheckEntry), _count(AuditEvent)
    values: dict[str, object] = {"check_id": "dbs", "done_on": date(2025, 11, 1),
                                 "outcome": "clear", **change}
    with sessions.write_session() as session, pytest.raises(ValidationFailed) as refused:
        record_check(session=session, actor=board.actor(SECRETARY),
                     fppt_year_id=year_of(board, FINANCE).id or 0, today=TODAY,
                     **values)  # type: ignore[arg-type]
    assert any(named in p for p in refused.value.problems)
    assert (_count(FPPTCheckEntry), _count(AuditEvent)) == before


def test_other_board_members_neither_see_nor_record(board: Board) -> None:
    year_id = year_of(board, FINANCE).id or 0
    for outsider in ("ned1@rx1.nhs.uk", "ceo@rx1.nhs.uk"):
        with sessions.write_session() as session, pytest.raises(NotFound):
            record_check(session=session, actor=board.actor(outsider), fppt_year_id=year_id,
                         check_id="dbs", done_on=date(2025, 11, 1), outcome="clear",
                         today=TODAY)
    with sessions.write_session() as session, pytest.raises(NotAllowed):
        record_check(session=session, actor=board.actor(FINANCE), fppt_year_id=year_id,
                     check_id="dbs", done_on=date(2025, 11, 1), outcome="clear", today=TODAY)


def test_not_fit_and_proper_blocks_the_appraisal_until_the_chair_decides(board: Board) -> None:
    attest_clear(board, FINANCE)
    record_applicable(board, FINANCE)
    year_id = year_of(board, FINANCE).id or 0
    with sessions.write_session() as session:
        sign_off(session=session, actor=board.actor(CHAIR), fppt_year_id=year_id,
                 outcome="not_fit_and_proper", now=NOW)

    def gaps() -> list[str]:
        with sessions.read_session() as session:
            return appraisal_fppt_gaps(session, organisation_id=board.organisation_id,
                                       person_id=board.people[FINANCE], year="2025/26",
                                       confirmed=FPPTStatus.FIT_AND_PROPER)
    assert "not fit and proper" in gaps()[0]
    with sessions.write_session() as session:
        record_chair_decision(session=session, actor=board.actor(CHAIR), fppt_year_id=year_id,
                              decision="Suspended from the board pending the review", now=NOW)
    assert gaps() == []


def test_a_year_signed_off_is_final(board: Board) -> None:
    year_id = year_of(board, LATE).id or 0
    with sessions.write_session() as session:
        mark_not_required(session=session, actor=board.actor(SECRETARY), fppt_year_id=year_id,
                          reason="On long-term leave for the whole year")
    with sessions.write_session() as session, pytest.raises(InvalidTransition):
        record_check(session=session, actor=board.actor(SECRETARY), fppt_year_id=year_id,
                     check_id="dbs", done_on=date(2025, 11, 1), outcome="clear", today=TODAY)


def test_a_withdrawn_director_keeps_their_year(board: Board, operator: Actor) -> None:
    with sessions.write_session() as session:
        withdraw(session=session, actor=operator, appraisal_id=board.appraisals[FINANCE],
                 reason="Left the trust", today=TODAY)
    assert year_of(board, FINANCE).state is FPPTYearState.NOT_STARTED


def test_the_appraisal_is_not_agreed_while_not_fit_and_proper_without_a_decision(
        board: Board) -> None:
    from appraisal_store.services import review
    from tests.review_journeys import agree_with_objectives

    attest_clear(board, FINANCE)
    record_applicable(board, FINANCE)
    year_id = year_of(board, FINANCE).id or 0
    with sessions.write_session() as session:
        sign_off(session=session, actor=board.actor(CHAIR), fppt_year_id=year_id,
                 outcome="not_fit_and_proper", now=NOW)
    appraisal_id = board.appraisals[FINANCE]
    with pytest.raises(ValidationFailed) as refused:
        agree_with_objectives(board, FINANCE, "ceo@rx1.nhs.uk", appraisal_id)
    assert any("the chair must record a decision" in p for p in refused.value.problems)
    with sessions.write_session() as session:
        record_chair_decision(session=session, actor=board.actor(CHAIR), fppt_year_id=year_id,
                              decision="Stays in post with an improvement plan", now=NOW)
    with sessions.write_session() as session:
        review.agree(session=session, actor=board.actor("ceo@rx1.nhs.uk"),
                     appraisal_id=appraisal_id)
