"""The review's sections saved one at a time, and last year's objectives carried forward."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.clock import utcnow
from appraisal_store.errors import NotAllowed, ValidationFailed
from appraisal_store.models import DevelopmentAction, DomainReflection, Objective, ObjectiveReview
from appraisal_store.services import review
from appraisal_store.services.parked_forms import (
    discard_expired,
    discard_parked_form,
    park_form,
    parked_form,
)
from appraisal_store.services.review_objectives import (
    CarriedObjectiveReview,
    DevelopmentInput,
    ObjectiveInput,
    previous_objectives,
    review_previous_objectives,
    set_development_plan,
    set_objectives,
)
from appraisal_store.vocabulary import ObjectiveKind, ObjectiveOutcome, ReflectionAuthor
from competencies.scale import ScaleLabel
from tests.conftest import Board
from tests.review_journeys import (
    LAST_YEAR_OBJECTIVES,
    agree_with_objectives,
    open_next_year,
    submit,
)

NED, CHAIR = "ned1@rx1.nhs.uk", "chair@rx1.nhs.uk"
NEW_NED = "ned2@rx1.nhs.uk"


def _in_review(board: Board, appraisee: str, appraiser: str, appraisal_id: int) -> None:
    submit(board, appraisee, appraisal_id)
    with sessions.write_session() as session:
        review.begin_review(session=session, actor=board.actor(appraiser),
                            appraisal_id=appraisal_id)


@pytest.fixture(name="next_year")
def next_year_fixture(board: Board) -> int:
    """The NED's 2026/27 appraisal, in review, after an agreed 2025/26 one."""
    agree_with_objectives(board, NED, CHAIR, board.appraisals[NED])
    appraisal_id = open_next_year(board, NED)
    _in_review(board, NED, CHAIR, appraisal_id)
    return appraisal_id


def _carried(appraisal_id: int) -> list[Objective]:
    with sessions.read_session() as session:
        appraisal = session.get(review.Appraisal, appraisal_id)
        assert appraisal is not None
        return previous_objectives(session, appraisal)


def _reviews(appraisal_id: int) -> list[ObjectiveReview]:
    with sessions.read_session() as session:
        return list(session.execute(select(ObjectiveReview).where(
            ObjectiveReview.appraisal_id == appraisal_id)
            .order_by(ObjectiveReview.id)).scalars())


def test_an_objective_keeps_its_measure_target_date_and_priority(board: Board) -> None:
    appraisal_id = board.appraisals[NED]
    _in_review(board, NED, CHAIR, appraisal_id)
    with sessions.write_session() as session:
        set_objectives(session=session, actor=board.actor(CHAIR), appraisal_id=appraisal_id,
                       objectives=LAST_YEAR_OBJECTIVES)
    with sessions.read_session() as session:
        saved = list(session.execute(select(Objective).where(
            Objective.appraisal_id == appraisal_id).order_by(Objective.position)).scalars())
    assert [(o.kind, o.text, o.measure, o.target_date, o.priority) for o in saved] == [
        (ObjectiveKind.EDI, "Sponsor the race equality network", "Network meets quarterly",
         date(2026, 3, 31), "Our people"),
        (ObjectiveKind.ORGANISATIONAL, "Chair the quality committee", "Every meeting quorate",
         None, "Quality and safety")]


def test_last_years_agreed_objectives_are_carried_forward(board: Board, next_year: int) -> None:
    assert [o.text for o in _carried(next_year)] == [o.text for o in LAST_YEAR_OBJECTIVES]
    assert _carried(board.appraisals[NED]) == []  # last year had no year before it


def test_a_new_appointment_or_an_unagreed_year_carries_nothing(board: Board) -> None:
    submit(board, "finance@rx1.nhs.uk", board.appraisals["finance@rx1.nhs.uk"])  # not agreed
    this_year = open_next_year(board, "finance@rx1.nhs.uk")
    assert _carried(this_year) == []
    # Appointed in November 2025: her first appraisal is this year's; nothing before it.
    assert _carried(open_next_year(board, NEW_NED)) == []


def test_each_carried_objective_is_reviewed_and_saving_objectives_keeps_it(
        board: Board, next_year: int) -> None:
    chair = board.actor(CHAIR)
    first, second = _carried(next_year)
    with sessions.write_session() as session:
        review_previous_objectives(
            session=session, actor=chair, appraisal_id=next_year,
            reviews=[CarriedObjectiveReview(first.id or 0, ObjectiveOutcome.PARTLY_MET,
                                            "Met twice")])
    with sessions.read_session() as session:
        appraisal = session.get(review.Appraisal, next_year)
        assert appraisal is not None
        gaps = review.agreement_gaps(session, appraisal)
    assert any("Chair the quality committee" in g for g in gaps)
    assert not any("race equality" in g for g in gaps)
    with sessions.write_session() as session:
        set_objectives(session=session, actor=chair, appraisal_id=next_year, objectives=[
            ObjectiveInput(ObjectiveKind.EDI, "Mentor a director from a minority group")])
        review_previous_objectives(
            session=session, actor=chair, appraisal_id=next_year,
            reviews=[CarriedObjectiveReview(second.id or 0, ObjectiveOutcome.MET)])
    saved = _reviews(next_year)
    assert [(r.previous_objective_id, r.text, r.outcome, r.comment) for r in saved] == [
        (first.id, "Sponsor the race equality network", ObjectiveOutcome.PARTLY_MET, "Met twice"),
        (second.id, "Chair the quality committee", ObjectiveOutcome.MET, "")]
    with sessions.write_session() as session:  # a second review of one replaces it alone
        review_previous_objectives(
            session=session, actor=chair, appraisal_id=next_year,
            reviews=[CarriedObjectiveReview(first.id or 0, ObjectiveOutcome.MET, "Done")])
    assert sorted((r.previous_objective_id, r.outcome) for r in _reviews(next_year)) == sorted(
        [(first.id, ObjectiveOutcome.MET), (second.id, ObjectiveOutcome.MET)])


def test_only_last_years_objectives_can_be_reviewed(board: Board, next_year: int) -> None:
    chair = board.actor(CHAIR)
    with sessions.write_session() as session:
        set_objectives(session=session, actor=chair, appraisal_id=next_year, objectives=[
            ObjectiveInput(ObjectiveKind.EDI, "This year's")])
    with sessions.read_session() as session:
        own = session.execute(select(Objective.id).where(
            Objective.appraisal_id == next_year)).scalar_one()
    with sessions.write_session() as session, pytest.raises(ValidationFailed) as raised:
        review_previous_objectives(
            session=session, actor=chair, appraisal_id=next_year,
            reviews=[CarriedObjectiveReview(own, ObjectiveOutcome.MET)])
    assert f"objective {own} is not one of last year's objectives" in raised.value.problems
    assert _reviews(next_year) == []
    with sessions.write_session() as session, pytest.raises(NotAllowed):
        review_previous_objectives(  # the appraisee may not review their own
            session=session, actor=board.actor(NED), appraisal_id=next_year,
            reviews=[CarriedObjectiveReview(_carried(next_year)[0].id or 0,
                                            ObjectiveOutcome.MET)])


def test_commentary_on_one_domain_leaves_the_others(board: Board) -> None:
    appraisal_id, chair = board.appraisals[NED], board.actor(CHAIR)
    _in_review(board, NED, CHAIR, appraisal_id)
    with sessions.write_session() as session:
        review.save_domain_commentary(session=session, actor=chair, appraisal_id=appraisal_id,
                                      domain_id="d1", text=" Strong ", view=ScaleLabel.FREQUENTLY)
        review.save_domain_commentary(session=session, actor=chair, appraisal_id=appraisal_id,
                                      domain_id="d2", text="Fair", view=None)
        review.save_feedback(session=session, actor=chair, appraisal_id=appraisal_id,
                             msf_summary="Valued challenge", appraiser_comments="")
    with sessions.write_session() as session:
        review.save_domain_commentary(session=session, actor=chair, appraisal_id=appraisal_id,
                                      domain_id="d2", text="Better", view=ScaleLabel.ALMOST_ALWAYS)
        with pytest.raises(ValidationFailed, match="not saved"):
            review.save_domain_commentary(session=session, actor=chair,
                                          appraisal_id=appraisal_id, domain_id="d99", text="x",
                                          view=None)
    with sessions.read_session() as session:
        rows = {r.domain_id: (r.text, r.view) for r in session.execute(select(DomainReflection)
                .where(DomainReflection.appraisal_id == appraisal_id,
                       DomainReflection.author == ReflectionAuthor.APPRAISER)).scalars()}
        appraisal = session.get(review.Appraisal, appraisal_id)
    assert rows == {"d1": ("Strong", ScaleLabel.FREQUENTLY),
                    "d2": ("Better", ScaleLabel.ALMOST_ALWAYS)}
    assert appraisal is not None and appraisal.msf_summary == "Valued challenge"


def test_a_development_action_keeps_its_support_and_domain(board: Board) -> None:
    appraisal_id, chair = board.appraisals[NED], board.actor(CHAIR)
    _in_review(board, NED, CHAIR, appraisal_id)
    with sessions.write_session() as session:
        set_development_plan(session=session, actor=chair, appraisal_id=appraisal_id,
                             actions=[DevelopmentInput(
                                 "Digital", "Board course", support="Funding for the fee",
                                 timescale="By June", domain_id="d3")])
    with sessions.write_session() as session, pytest.raises(ValidationFailed) as raised:
        set_development_plan(session=session, actor=chair, appraisal_id=appraisal_id,
                             actions=[DevelopmentInput("A", "B", domain_id="d9")])
    assert raised.value.problems == ["development action 1: unknown domain 'd9'"]
    with sessions.read_session() as session:
        actions = list(session.execute(select(DevelopmentAction).where(
            DevelopmentAction.appraisal_id == appraisal_id)).scalars())
    assert [(a.need, a.action, a.support, a.timescale, a.domain_id) for a in actions] == [
        ("Digital", "Board course", "Funding for the fee", "By June", "d3")]


def test_a_parked_form_is_kept_for_its_person_and_page_until_it_expires(board: Board) -> None:
    now = utcnow()
    ned, chair = board.people[NED], board.people[CHAIR]
    with sessions.write_session() as session:
        park_form(session=session, person_id=chair, path="/review/1/feedback",
                  fields={"msf_summary": "Typed for half an hour", "csrf_token": "secret"},
                  now=now)
        park_form(session=session, person_id=chair, path="/review/1/feedback",
                  fields={"msf_summary": "Typed again"}, now=now)
    with sessions.read_session() as session:
        assert parked_form(session=session, person_id=chair, path="/review/1/feedback",
                           now=now) == {"msf_summary": "Typed again"}
        assert parked_form(session=session, person_id=ned, path="/review/1/feedback",
                           now=now) is None
        assert parked_form(session=session, person_id=chair, path="/review/1/plan",
                           now=now) is None
        assert parked_form(session=session, person_id=chair, path="/review/1/feedback",
                           now=now + timedelta(hours=25)) is None
    with sessions.write_session() as session:
        park_form(session=session, person_id=chair, path="/review/1/plan",
                  fields={"action-1-need": "x", "csrf_token": "secret"}, now=now)
    with sessions.read_session() as session:
        assert parked_form(session=session, person_id=chair, path="/review/1/plan",
                           now=now) == {"action-1-need": "x"}  # never the CSRF token
    with sessions.write_session() as session:
        discard_parked_form(session=session, person_id=chair, path="/review/1/plan")
        assert discard_expired(session=session, now=now + timedelta(hours=25)) == 1
    with sessions.read_session() as session:
        assert parked_form(session=session, person_id=chair, path="/review/1/plan",
                           now=now) is None
    with sessions.write_session() as session, pytest.raises(ValidationFailed):
        park_form(session=session, person_id=chair, path="/x",
                  fields={f"f{i}": "v" for i in range(500)}, now=now)
