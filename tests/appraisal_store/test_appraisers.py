"""Who may appraise whom: a reassignment names someone eligible, or nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.errors import NotAllowed, ValidationFailed
from appraisal_store.models import Appraisal, AuditEvent
from appraisal_store.routing import MAY_APPRAISE, BoardLeads, default_route
from appraisal_store.services import administration
from appraisal_store.services.appraisers import (
    eligible_appraisers,
    external_appraisers,
    register_external_appraiser,
    remove_external_appraiser,
)
from appraisal_store.services.people import import_people
from appraisal_store.vocabulary import BoardRole, OrgType
from tests.conftest import Board
from tests.second_board import seed_second_board

EXEC = "finance@rx1.nhs.uk"
CHAIR = "chair@rx1.nhs.uk"
COSEC = "cosec@rx1.nhs.uk"
REGIONAL = "rd.northwest@england.nhs.uk"


def _appraiser_id(board: Board, appraisee: str) -> int | None:
    with sessions.read_session() as session:
        found = session.get(Appraisal, board.appraisals[appraisee])
        assert found is not None
        return found.appraiser_id


def _reassignments() -> int:
    with sessions.read_session() as session:
        return session.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "reassign_appraiser")).scalar_one()


def _reassign(board: Board, actor: str, appraisee: str, to: str) -> None:
    with sessions.write_session() as session:
        administration.reassign_appraiser(
            session=session, actor=board.actor(actor), appraisal_id=board.appraisals[appraisee],
            appraiser_email=to, reason="Conflict of interest")


def _refused(board: Board, actor: str, appraisee: str, to: str) -> ValidationFailed:
    before = _appraiser_id(board, appraisee), _reassignments()
    with pytest.raises(ValidationFailed) as raised:
        _reassign(board, actor, appraisee, to)
    assert (_appraiser_id(board, appraisee), _reassignments()) == before  # nothing written
    return raised.value


def _register_regional(roles: list[str]) -> None:
    with sessions.write_session() as session:
        register_external_appraiser(
            session=session, actor=Actor.operator(), organisation_code="RX1", email=REGIONAL,
            roles=roles, reason="NHS England regional director (North West)",
            name="Rosa Regional")


def test_the_company_secretary_cannot_make_herself_the_appraiser(board: Board) -> None:
    refusal = _refused(board, COSEC, EXEC, COSEC)
    assert "Ruth Clarke is the company secretary, who appraises nobody" in refusal.summary
    assert refusal.problems == ["Choose one of: Daniel Price (chief executive); "
                                "Margaret Okafor (chair)."]


def test_a_peer_whose_role_may_not_appraise_the_role_is_refused(board: Board) -> None:
    refusal = _refused(board, COSEC, EXEC, "ned1@rx1.nhs.uk")
    assert refusal.summary == (
        "Zoë Łukasiewicz (non-executive director) cannot appraise Priya Shah (executive "
        "director): an executive director is appraised by the chief executive or the chair "
        "of the same board.")
    # A fellow executive director, and the senior independent director, may not either.
    _refused(board, CHAIR, EXEC, "nursing@rx1.nhs.uk")
    _refused(board, CHAIR, EXEC, "sid@rx1.nhs.uk")


def test_someone_of_another_organisation_is_refused(board: Board) -> None:
    seed_second_board()
    refusal = _refused(board, COSEC, EXEC, "ceo@rx2.nhs.uk")
    assert "Hana Novak is not on this organisation's board" in refusal.summary
    assert "Choose one of" in refusal.problems[0]


def test_a_company_secretary_is_refused_whoever_chooses_her(board: Board) -> None:
    assert "company secretary" in _refused(board, CHAIR, EXEC, COSEC).summary
    assert "company secretary" in _refused(board, CHAIR, "ceo@rx1.nhs.uk", COSEC).summary


def test_a_leaver_is_refused(board: Board, operator: Actor) -> None:
    with sessions.write_session() as session:
        import_people(session=session, actor=operator, csv_text=(
            "org_code,name,email,role,start_date,end_date,interim\n"
            "RX1,Olive Oldham,old.ceo@rx1.nhs.uk,chief-executive,2015-01-01,2020-08-31,no\n"))
    refusal = _refused(board, COSEC, EXEC, "old.ceo@rx1.nhs.uk")
    assert "Olive Oldham left this board on 2020-08-31" in refusal.summary
    assert "left this board on 2025-06-30" in _refused(
        board, COSEC, "ned1@rx1.nhs.uk", "leaver@rx1.nhs.uk").summary


def test_nobody_appraises_themselves_and_unknown_people_are_refused(board: Board) -> None:
    assert "appraise themselves" in _refused(board, COSEC, EXEC, EXEC).summary
    assert "nobody@rx1.nhs.uk is not on record" in _refused(
        board, COSEC, EXEC, "nobody@rx1.nhs.uk").summary


def test_an_eligible_board_member_is_chosen_with_the_reason(board: Board) -> None:
    _reassign(board, COSEC, EXEC, CHAIR)
    assert _appraiser_id(board, EXEC) == board.people[CHAIR]
    with sessions.read_session() as session:
        event = session.execute(select(AuditEvent).where(
            AuditEvent.action == "reassign_appraiser")).scalars().one()
    assert event.details["standing"] == "chair"
    assert event.details["reason"] == "Conflict of interest"


def test_a_registered_external_appraiser_may_appraise_the_registered_roles_only(
        board: Board) -> None:
    refusal = _refused(board, COSEC, CHAIR, REGIONAL)  # not registered yet
    assert "not on record" in refusal.summary
    _register_regional(["chair"])
    _reassign(board, COSEC, CHAIR, REGIONAL)
    with sessions.read_session() as session:
        appraisal = session.get(Appraisal, board.appraisals[CHAIR])
        assert appraisal is not None
        choices = eligible_appraisers(session, appraisal)
    assert [(c.email, c.external) for c in choices] == [
        ("sid@rx1.nhs.uk", False), (REGIONAL, True)]
    assert choices[1].standing == "external appraiser: NHS England regional director " \
                                  "(North West)"
    assert "not registered as an external appraiser of an executive director" in _refused(
        board, COSEC, EXEC, REGIONAL).summary


def test_a_removed_registration_no_longer_counts(board: Board) -> None:
    _register_regional(["chair", "non-executive-director"])
    with sessions.write_session() as session:
        assert remove_external_appraiser(session=session, actor=Actor.operator(),
                                         organisation_code="RX1", email=REGIONAL)
    _refused(board, COSEC, CHAIR, REGIONAL)
    with sessions.read_session() as session:
        assert external_appraisers(session) == []
        (removed,) = external_appraisers(session, include_removed=True)
    assert removed.revoked_at is not None and removed.roles == ["chair", "non-executive-director"]
    with sessions.read_session() as session:
        actions = list(session.execute(select(AuditEvent.action).where(
            AuditEvent.subject_id == REGIONAL).order_by(AuditEvent.id)).scalars())
    assert actions == ["person_added", "external_appraiser_registered",
                       "external_appraiser_removed"]


def test_only_the_operator_or_the_chair_registers_and_never_the_company_secretary(
        board: Board) -> None:
    for who in (COSEC, "ned1@rx1.nhs.uk"):
        with pytest.raises(NotAllowed, match="Only the operator"), \
                sessions.write_session() as session:
            register_external_appraiser(session=session, actor=board.actor(who),
                                        organisation_code="RX1", email=who,
                                        roles=["executive-director"], reason="Cover")
    with pytest.raises(ValidationFailed) as raised, sessions.write_session() as session:
        register_external_appraiser(session=session, actor=board.actor(CHAIR),
                                    organisation_code="RX1", email=COSEC,
                                    roles=["executive-director"], reason="Cover")
    assert "company secretary, who appraises nobody" in raised.value.problems[0]
    with pytest.raises(ValidationFailed) as raised, sessions.write_session() as session:
        register_external_appraiser(session=session, actor=board.actor(CHAIR),
                                    organisation_code="RX1", email="new@partner.nhs.uk",
                                    roles=["company-secretary", "director"], reason=" ")
    assert raised.value.problems == [
        "reason: say why they appraise for this organisation",
        "role: a company secretary is not appraised",
        "role: 'director' is not a board role (use executive-director, chief-executive, "
        "non-executive-director, senior-independent-director, deputy-chair, chair)"]
    with sessions.read_session() as session:
        assert external_appraisers(session, include_removed=True) == []


def test_the_default_route_is_the_first_of_the_rules() -> None:
    leads = BoardLeads(chair_id=1, chief_executive_id=2, senior_independent_director_id=3)
    holder = {BoardRole.CHAIR: 1, BoardRole.CHIEF_EXECUTIVE: 2,
              BoardRole.SENIOR_INDEPENDENT_DIRECTOR: 3}
    for role, appraisers in MAY_APPRAISE.items():
        route = default_route(role=role, org_type=OrgType.NHS_TRUST, appraisee_id=99,
                              leads=leads)
        assert route.appraiser_id == holder[appraisers[0]], role
    assert BoardRole.COMPANY_SECRETARY not in MAY_APPRAISE
    assert all(BoardRole.COMPANY_SECRETARY not in a for a in MAY_APPRAISE.values())
