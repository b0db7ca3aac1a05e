"""Walking an appraisal to "agreed" through the services, and opening the next year.

Shared by the store's, the portal's and the browser's tests of the carried-forward
objectives (last year's agreed objectives reviewed in this year's appraisal).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.models import Appraisal, Cycle
from appraisal_store.services import meetings, review, self_assessment
from appraisal_store.services.cycles import open_cycles, resolve_dates
from appraisal_store.services.frameworks import framework_of
from appraisal_store.services.review_objectives import (
    DevelopmentInput,
    ObjectiveInput,
    set_development_plan,
    set_objectives,
)
from appraisal_store.vocabulary import FPPTStatus, ObjectiveKind
from competencies.scale import ScaleLabel
from tests.conftest import Board

LAST_YEAR_OBJECTIVES = (
    ObjectiveInput(ObjectiveKind.EDI, "Sponsor the race equality network",
                   measure="Network meets quarterly", target_date=date(2026, 3, 31),
                   priority="Our people"),
    ObjectiveInput(ObjectiveKind.ORGANISATIONAL, "Chair the quality committee",
                   measure="Every meeting quorate", priority="Quality and safety"),
)


def submit(board: Board, appraisee: str, appraisal_id: int) -> None:
    """The appraisee answers every statement and submits."""
    with sessions.write_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal is not None
        framework = framework_of(session, appraisal.framework_version_id)
        self_assessment.save_self_assessment(
            session=session, actor=board.actor(appraisee), appraisal_id=appraisal_id,
            ratings=dict.fromkeys(framework.statement_ids(), ScaleLabel.FREQUENTLY),
            reflections={d.id: f"Reflection on {d.name}" for d in framework.domains})
    with sessions.write_session() as session:
        self_assessment.submit_self_assessment(session=session, actor=board.actor(appraisee),
                                               appraisal_id=appraisal_id)


def agree_with_objectives(board: Board, appraisee: str, appraiser: str, appraisal_id: int,
                          objectives: tuple[ObjectiveInput, ...] = LAST_YEAR_OBJECTIVES,
                          *, submitted: bool = False) -> None:
    """Submit, review and agree ``appraisal_id`` with ``objectives`` (``submitted``: the
    review has already begun)."""
    actor = board.actor(appraiser)
    if not submitted:
        submit(board, appraisee, appraisal_id)
        with sessions.write_session() as session:
            review.begin_review(session=session, actor=actor, appraisal_id=appraisal_id)
    with sessions.write_session() as session:
        meetings.schedule_meeting(session=session, actor=actor, appraisal_id=appraisal_id,
                                  starts_at=datetime(2026, 2, 10, 14, 30), duration_minutes=60,
                                  place="The boardroom")
        set_objectives(session=session, actor=actor, appraisal_id=appraisal_id,
                       objectives=objectives)
        set_development_plan(session=session, actor=actor, appraisal_id=appraisal_id,
                             actions=[DevelopmentInput("Digital", "Board course")])
        review.confirm_fppt(session=session, actor=actor, appraisal_id=appraisal_id,
                            last_assessed_on=date(2025, 11, 1), status=FPPTStatus.FIT_AND_PROPER)
    with sessions.write_session() as session:
        review.agree(session=session, actor=actor, appraisal_id=appraisal_id)


def open_next_year(board: Board, appraisee: str, year: str = "2026/27") -> int:
    """Open the next cycle for RX1; the id of ``appraisee``'s appraisal in it."""
    with sessions.write_session() as session:
        open_cycles(session=session, actor=Actor.operator(), year=year,
                    organisation_codes=["RX1"], dates=resolve_dates(year),
                    today=date(2026, 4, 2))
    with sessions.read_session() as session:
        found = session.execute(select(Appraisal.id).join(Cycle, Cycle.id == Appraisal.cycle_id)
                                .where(Cycle.year == year,
                                       Appraisal.appraisee_id == board.people[appraisee])
                                ).scalar_one()
    return int(found)
