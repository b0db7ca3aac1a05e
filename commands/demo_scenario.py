"""The demo's year: people act through the service layer, exactly as the portal makes them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlmodel import col

from appraisal_store.actors import Actor
from appraisal_store.models import Appraisal, Organisation, Person
from appraisal_store.services import (
    administration,
    meetings,
    review,
    self_assessment,
    signing,
)
from appraisal_store.services.frameworks import framework_of
from appraisal_store.services.review_objectives import (
    DevelopmentInput,
    ObjectiveInput,
    ObjectiveReviewInput,
    set_development_plan,
    set_objectives,
)
from appraisal_store.sessions import read_session, write_session
from appraisal_store.vocabulary import AppraisalState, FPPTStatus, ObjectiveKind, ObjectiveOutcome
from competencies.scale import ScaleLabel

from .demo_feedback import REACHED_REVIEW, gather_feedback

S = AppraisalState
# The demo's appraisal meetings (the trust chair's, finished in April, aside).
MEETING_ON = date(2026, 2, 10)
# Where each board's appraisals are left, in the order of the appraisees' names: a realistic
# spread for a company secretary to chase in February.
TARGETS = [S.COMPLETE, S.SUBMITTED, S.NOT_STARTED, S.RETURNED, S.IN_REVIEW, S.IN_PREPARATION,
           S.AGREED, S.SIGNED_BY_APPRAISEE, S.COMPLETE, S.COMPLETE]
_ORDER = [S.NOT_STARTED, S.IN_PREPARATION, S.SUBMITTED, S.IN_REVIEW, S.AGREED,
          S.SIGNED_BY_APPRAISEE, S.COMPLETE]
_PATTERN = [ScaleLabel.ALMOST_ALWAYS, ScaleLabel.FREQUENTLY, ScaleLabel.FREQUENTLY,
            ScaleLabel.OCCASIONALLY, ScaleLabel.ALMOST_ALWAYS, ScaleLabel.NO_CHANCE_TO_DEMONSTRATE,
            ScaleLabel.FREQUENTLY, ScaleLabel.RARELY_OR_NEVER]


@dataclass(frozen=True)
class DemoAppraisal:
    id: int
    organisation_code: str
    appraisee: Actor
    appraiser: Actor | None
    state: AppraisalState


def demo_appraisals() -> list[DemoAppraisal]:
    with read_session() as session:
        rows = session.execute(
            select(Appraisal, col(Organisation.code), Person)
            .join(Organisation, col(Organisation.id) == Appraisal.organisation_id)
            .join(Person, col(Person.id) == Appraisal.appraisee_id)
            .order_by(col(Organisation.code), col(Person.name))
        ).all()
        people = {p.id: p for p in session.execute(select(Person)).scalars()}
    result = []
    for appraisal, code, person in rows:
        appraiser = people.get(appraisal.appraiser_id) if appraisal.appraiser_id else None
        result.append(DemoAppraisal(
            appraisal.id or 0, code, Actor.person(person.id or 0, person.name),
            Actor.person(appraiser.id or 0, appraiser.name) if appraiser else None,
            appraisal.state))
    return result


def plan_targets(appraisals: list[DemoAppraisal]) -> dict[int, AppraisalState]:
    """A target state for each open appraisal, cycling through TARGETS per organisation."""
    targets: dict[int, AppraisalState] = {}
    position: dict[str, int] = {}
    for appraisal in appraisals:
        if appraisal.state is not S.NOT_STARTED or appraisal.appraiser is None:
            continue
        index = position.get(appraisal.organisation_code, 0)
        targets[appraisal.id] = TARGETS[index % len(TARGETS)]
        position[appraisal.organisation_code] = index + 1
    return targets


def _answers(appraisal_id: int, seed: int) -> tuple[dict[str, ScaleLabel], dict[str, str]]:
    with read_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal is not None
        framework = framework_of(session, appraisal.framework_version_id)
    ratings = {s: _PATTERN[(i + seed) % len(_PATTERN)]
               for i, s in enumerate(framework.statement_ids())}
    reflections = {d.id: f"This year I focused on {d.name.lower()}; my evidence is in the board "
                         f"papers and the committee minutes." for d in framework.domains}
    return ratings, reflections


def self_assess(appraisal: DemoAppraisal, *, half: bool = False) -> None:
    ratings, reflections = _answers(appraisal.id, appraisal.id)
    if half:
        ratings = dict(list(ratings.items())[: len(ratings) // 2])
        reflections = dict(list(reflections.items())[:3])
    with write_session() as session:
        self_assessment.save_self_assessment(session=session, actor=appraisal.appraisee,
                                             appraisal_id=appraisal.id, ratings=ratings,
                                             reflections=reflections)


def submit(appraisal: DemoAppraisal) -> None:
    with write_session() as session:
        self_assessment.submit_self_assessment(session=session, actor=appraisal.appraisee,
                                               appraisal_id=appraisal.id)


def start_review(appraisal: DemoAppraisal) -> None:
    assert appraisal.appraiser is not None
    with write_session() as session:
        review.begin_review(session=session, actor=appraisal.appraiser, appraisal_id=appraisal.id)


def return_once(appraisal: DemoAppraisal) -> None:
    assert appraisal.appraiser is not None
    with write_session() as session:
        review.return_for_changes(
            session=session, actor=appraisal.appraiser, appraisal_id=appraisal.id,
            reason="Please add an example of your work on health inequalities to domain 3.")


def complete_review(appraisal: DemoAppraisal, meeting: date) -> None:
    assert appraisal.appraiser is not None
    actor, appraisal_id = appraisal.appraiser, appraisal.id
    with write_session() as session:
        meetings.schedule_meeting(
            session=session, actor=actor, appraisal_id=appraisal_id,
            starts_at=datetime.combine(meeting, time(14, 0)), duration_minutes=60,
            place="The boardroom, trust headquarters")
        review.save_review(
            session=session, actor=actor, appraisal_id=appraisal_id,
            commentary={f"d{n}": "Evidence seen in board and committee work; a fair "
                                 "self-assessment." for n in range(1, 7)},
            views={f"d{n}": ScaleLabel.FREQUENTLY for n in range(1, 7)},
            msf_summary="Colleagues value clear challenge and openness; more visibility on "
                        "the wards was suggested.",
            appraiser_comments="A strong year; the development plan focuses on digital "
                               "transformation.")
        set_objectives(
            session=session, actor=actor, appraisal_id=appraisal_id,
            objectives=[
                ObjectiveInput(ObjectiveKind.EDI, "Sponsor the race equality network and "
                               "report progress on the WRES to the board",
                               "Quarterly reports; WRES indicators improve",
                               date(2027, 3, 31)),
                ObjectiveInput(ObjectiveKind.ORGANISATIONAL, "Lead the board's review of "
                               "elective recovery", "Plan agreed by September",
                               date(2026, 9, 30)),
            ],
            reviews=[ObjectiveReviewInput("Strengthen the quality committee's assurance",
                                          ObjectiveOutcome.MET, "Achieved in Q3")])
        set_development_plan(
            session=session, actor=actor, appraisal_id=appraisal_id,
            actions=[DevelopmentInput("Digital and data leadership",
                                      "NHS Digital Academy board programme",
                                      "Funded by the trust", "By March 2027", "d2")])
        review.confirm_fppt(session=session, actor=actor, appraisal_id=appraisal_id,
                            last_assessed_on=date(2025, 10, 15), status=FPPTStatus.FIT_AND_PROPER,
                            notes="Annual checks complete; no concerns.")


def signing_moments(meeting: date) -> tuple[datetime, datetime, datetime]:
    """When the demo's appraiser agrees (the meeting's afternoon) and each party signs (two
    and three days on): the year's dates, so the records and the NHS England index say
    the appraisal was signed in its year, not on the day the demo ran."""
    agreed = datetime.combine(meeting, time(16, 0), tzinfo=UTC)
    return agreed, agreed + timedelta(days=2), agreed + timedelta(days=3)


def agree(appraisal: DemoAppraisal, at: datetime | None = None) -> None:
    assert appraisal.appraiser is not None
    with write_session(now=at) as session:
        review.agree(session=session, actor=appraisal.appraiser, appraisal_id=appraisal.id)


def sign(actor: Actor, appraisal_id: int, at: datetime | None = None) -> None:
    with write_session(now=at) as session:
        signing.sign(session=session, actor=actor, appraisal_id=appraisal_id)


def advance(appraisal: DemoAppraisal, target: AppraisalState, *, returned_once: bool,
            after_step: Callable[[int], object]) -> None:
    """Walk one appraisal to ``target`` the way its two people would."""
    if target is S.NOT_STARTED:
        return
    if target in REACHED_REVIEW:
        gather_feedback(appraisal)  # multi-source feedback, answered and closed
    if target is S.IN_PREPARATION:
        self_assess(appraisal, half=True)
        return
    self_assess(appraisal)
    submit(appraisal)
    after_step(appraisal.id)
    if target in (S.RETURNED,) or returned_once:
        start_review(appraisal)
        return_once(appraisal)
        after_step(appraisal.id)
        if target is S.RETURNED:
            return
        self_assess(appraisal)
        submit(appraisal)
        after_step(appraisal.id)
    if _ORDER.index(target) < _ORDER.index(S.IN_REVIEW):
        return
    start_review(appraisal)
    if target is S.IN_REVIEW:
        return
    complete_review(appraisal, MEETING_ON)
    agreed, appraisee_signs, appraiser_signs = signing_moments(MEETING_ON)
    agree(appraisal, agreed)
    after_step(appraisal.id)
    if target is S.AGREED:
        return
    sign(appraisal.appraisee, appraisal.id, appraisee_signs)
    after_step(appraisal.id)
    if target is S.SIGNED_BY_APPRAISEE:
        return
    assert appraisal.appraiser is not None
    sign(appraisal.appraiser, appraisal.id, appraiser_signs)
    after_step(appraisal.id)


def withdraw_leaver(appraisal_id: int, reason: str) -> None:
    with write_session() as session:
        administration.withdraw(session=session, actor=Actor.operator(),
                                appraisal_id=appraisal_id, reason=reason,
                                today=date(2026, 1, 31))
