"""Walk appraisals of the seeded board (tests/conftest.py) to agreement and signatures."""

from __future__ import annotations

from datetime import date, datetime

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.models import Appraisal
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
from appraisal_store.vocabulary import FPPTStatus, ObjectiveKind, ObjectiveOutcome
from competencies.scale import ScaleLabel
from tests.conftest import Board

CHAIR = "chair@rx1.nhs.uk"
SID = "sid@rx1.nhs.uk"
NED1 = "ned1@rx1.nhs.uk"
NED2 = "ned2@rx1.nhs.uk"

# A pattern that gives every answer, so counts, medians and flags all show.
_PATTERN = (
    ScaleLabel.ALMOST_ALWAYS,
    ScaleLabel.FREQUENTLY,
    ScaleLabel.OCCASIONALLY,
    ScaleLabel.FREQUENTLY,
    ScaleLabel.NO_CHANCE_TO_DEMONSTRATE,
)


def appraiser_of(board: Board, appraisee: str) -> str:
    with sessions.read_session() as session:
        appraisal = session.get(Appraisal, board.appraisals[appraisee])
        assert appraisal is not None and appraisal.appraiser_id is not None
        appraiser_id = appraisal.appraiser_id
    return next(email for email, pid in board.people.items() if pid == appraiser_id)


def resume(board: Board, appraisee: str) -> None:
    """Bring back an appraisal deferred because the director is new in post."""
    with sessions.write_session() as session:
        administration.resume(session=session, actor=Actor.operator(),
                              appraisal_id=board.appraisals[appraisee], reason="Ready now")


def reassign(board: Board, appraisee: str, appraiser: str) -> None:
    with sessions.write_session() as session:
        administration.reassign_appraiser(
            session=session, actor=Actor.operator(), appraisal_id=board.appraisals[appraisee],
            appraiser_email=appraiser, reason="Conflict of interest")


def agree(board: Board, appraisee: str, *, comments: str = "A fair and useful conversation.",
          disagreement: str = "") -> int:
    """Take the appraisee's appraisal from not started to agreed; returns its id."""
    appraisal_id = board.appraisals[appraisee]
    ee, er = board.actor(appraisee), board.actor(appraiser_of(board, appraisee))
    with sessions.write_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        framework = framework_of(session, appraisal.framework_version_id)
        ids = framework.statement_ids()
        self_assessment.save_self_assessment(
            session=session, actor=ee, appraisal_id=appraisal_id,
            ratings={s: _PATTERN[i % len(_PATTERN)] for i, s in enumerate(ids)},
            reflections={d.id: f"My reflection on {d.name} <b>&amp;</b>"
                         for d in framework.domains})
    with sessions.write_session() as session:
        self_assessment.submit_self_assessment(session=session, actor=ee,
                                               appraisal_id=appraisal_id)
    with sessions.write_session() as session:
        review.begin_review(session=session, actor=er, appraisal_id=appraisal_id)
        review.save_review(
            session=session, actor=er, appraisal_id=appraisal_id,
            commentary={"d1": "Strong challenge on quality", "d3": "More on inequalities"},
            views={"d1": ScaleLabel.ALMOST_ALWAYS, "d3": ScaleLabel.OCCASIONALLY},
            msf_summary="Eleven colleagues gave feedback.", appraiser_comments="A strong year.")
        meetings.schedule_meeting(session=session, actor=er, appraisal_id=appraisal_id,
                                  starts_at=datetime(2026, 2, 10, 14, 0), duration_minutes=60,
                                  place="The boardroom")
        set_objectives(
            session=session, actor=er, appraisal_id=appraisal_id,
            objectives=[ObjectiveInput(ObjectiveKind.EDI, "Sponsor the race equality "
                                       "network", "Two events", date(2027, 3, 31)),
                        ObjectiveInput(ObjectiveKind.PERSONAL, "Chair the quality "
                                       "committee")],
            reviews=[ObjectiveReviewInput("Visit every division", ObjectiveOutcome.MET,
                                          "All six visited")])
        set_development_plan(
            session=session, actor=er, appraisal_id=appraisal_id,
            actions=[DevelopmentInput("Digital", "Board course", "ICB", "By June")])
        review.confirm_fppt(session=session, actor=er, appraisal_id=appraisal_id,
                            last_assessed_on=date(2025, 11, 1),
                            status=FPPTStatus.FIT_AND_PROPER, notes="No concerns")
    with sessions.write_session() as session:
        review.comment_as_appraisee(session=session, actor=ee, appraisal_id=appraisal_id,
                                    comments=comments, disagreement=disagreement)
    with sessions.write_session() as session:
        review.agree(session=session, actor=er, appraisal_id=appraisal_id)
    return appraisal_id


def sign(board: Board, appraisee: str, *, by_appraiser: bool = True) -> None:
    """The appraisee signs, then (unless told not to) the appraiser."""
    appraisal_id = board.appraisals[appraisee]
    with sessions.write_session() as session:
        signing.sign(session=session, actor=board.actor(appraisee), appraisal_id=appraisal_id)
    if by_appraiser:
        with sessions.write_session() as session:
            signing.sign(session=session, actor=board.actor(appraiser_of(board, appraisee)),
                         appraisal_id=appraisal_id)


def complete(board: Board, appraisee: str, **agree_options: str) -> int:
    """Agree and sign the appraisee's appraisal; returns its id (not yet sealed)."""
    appraisal_id = agree(board, appraisee, **agree_options)
    sign(board, appraisee)
    return appraisal_id


def reopen(board: Board, appraisee: str, reason: str = "Wrong meeting date") -> None:
    with sessions.write_session() as session:
        administration.reopen_for_correction(
            session=session, actor=Actor.operator(), appraisal_id=board.appraisals[appraisee],
            reason=reason)
