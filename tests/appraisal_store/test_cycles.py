"""Opening a cycle: routing, leavers, late starters, pinned framework, invitations, re-runs."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.errors import ValidationFailed
from appraisal_store.models import Appraisal, OutboxMessage
from appraisal_store.routing import BoardLeads, default_route, nhse_submission_due
from appraisal_store.services.cycles import open_cycles, parse_year, resolve_dates
from appraisal_store.vocabulary import AppraisalState, BoardRole, OrgType
from tests.conftest import Board


def _by_email(board: Board) -> dict[str, Appraisal]:
    with sessions.read_session() as session:
        return {email: session.get(Appraisal, appraisal_id)
                for email, appraisal_id in board.appraisals.items()}


def test_appraisers_follow_the_routing_rules(board: Board) -> None:
    appraisals = _by_email(board)
    people = board.people
    assert appraisals["finance@rx1.nhs.uk"].appraiser_id == people["ceo@rx1.nhs.uk"]
    assert appraisals["ceo@rx1.nhs.uk"].appraiser_id == people["chair@rx1.nhs.uk"]
    assert appraisals["ned1@rx1.nhs.uk"].appraiser_id == people["chair@rx1.nhs.uk"]
    assert appraisals["sid@rx1.nhs.uk"].appraiser_id == people["chair@rx1.nhs.uk"]
    chair = appraisals["chair@rx1.nhs.uk"]
    assert chair.appraiser_id == people["sid@rx1.nhs.uk"]
    assert "NHS England regional endorsement" in chair.routing_basis
    assert chair.nhse_due == date(2026, 6, 30)
    assert appraisals["ned1@rx1.nhs.uk"].nhse_due == date(2026, 9, 30)
    assert appraisals["finance@rx1.nhs.uk"].nhse_due is None


def test_leavers_are_excluded_late_starters_deferred_and_secretaries_not_appraised(
        board: Board) -> None:
    appraisals = _by_email(board)
    assert "leaver@rx1.nhs.uk" not in appraisals
    assert "cosec@rx1.nhs.uk" not in appraisals
    late = appraisals["ned2@rx1.nhs.uk"]
    assert late.state is AppraisalState.DEFERRED
    assert "second half of the year" in (late.closure_reason or "")
    assert appraisals["ned1@rx1.nhs.uk"].state is AppraisalState.NOT_STARTED


def test_opening_twice_creates_nothing_new(board: Board, operator: Actor) -> None:
    with sessions.write_session() as session:
        again = open_cycles(session=session, actor=operator, year="2025/26",
                            organisation_codes=["RX1"], dates=resolve_dates("2025/26"),
                            today=date(2025, 12, 1))
    assert (again[0].created, again[0].already_open) == (0, len(board.appraisals))
    with sessions.read_session() as session:
        assert session.execute(select(func.count()).select_from(Appraisal)).scalar_one() \
            == len(board.appraisals)
        invitations = session.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.template == "invitation")).scalar_one()
    assert invitations == len(board.appraisals) - 1  # the deferred director is not invited


def test_every_appraisal_pins_the_framework_it_started_on(board: Board) -> None:
    versions = {a.framework_version_id for a in _by_email(board).values()}
    assert len(versions) == 1


def test_years_and_dates_are_checked() -> None:
    assert parse_year("2025/26") == (date(2025, 4, 1), date(2026, 3, 31))
    for bad in ("2025/27", "2025-26", "25/26", ""):
        with pytest.raises(ValidationFailed, match="is not a financial year"):
            parse_year(bad)
    defaults = resolve_dates("2025/26")
    assert defaults.self_assessment_due < defaults.review_due < defaults.sign_off_due
    with pytest.raises(ValidationFailed) as raised:
        resolve_dates("2025/26", self_assessment_due=date(2026, 3, 1),
                      review_due=date(2026, 2, 1))
    assert "the dates must run" in "\n".join(raised.value.problems)


def test_default_route_when_the_lead_is_missing_or_is_the_appraisee() -> None:
    vacant = default_route(role=BoardRole.EXECUTIVE_DIRECTOR, org_type=OrgType.ICB,
                           appraisee_id=5, leads=BoardLeads(chair_id=1))
    assert vacant.appraiser_id is None and "No chief executive" in vacant.basis
    own = default_route(role=BoardRole.EXECUTIVE_DIRECTOR, org_type=OrgType.ICB,
                        appraisee_id=2, leads=BoardLeads(chief_executive_id=2))
    assert own.appraiser_id is None
    ft_chair = default_route(role=BoardRole.CHAIR, org_type=OrgType.FOUNDATION_TRUST,
                             appraisee_id=1, leads=BoardLeads(senior_independent_director_id=9))
    assert ft_chair.appraiser_id == 9 and "endorsement" not in ft_chair.basis
    assert nhse_submission_due(role=BoardRole.CHAIR, org_type=OrgType.FOUNDATION_TRUST,
                               year_label="2025/26") is None
    assert nhse_submission_due(role=BoardRole.NON_EXECUTIVE_DIRECTOR, org_type=OrgType.ICB,
                               year_label="2025/26") == date(2026, 9, 30)
