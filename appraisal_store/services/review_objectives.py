"""The appraiser's objectives and development plan, and last year's objectives carried forward."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, insert, select
from sqlmodel import Session, col

from ..actors import Actor
from ..errors import ValidationFailed
from ..lifecycle import check_edit
from ..models import Appraisal, Cycle, DevelopmentAction, Objective, ObjectiveReview
from ..names import text_problems
from ..vocabulary import AppraisalState, ObjectiveKind, ObjectiveOutcome
from .appraisal_changes import begin, edit
from .frameworks import framework_of
from .self_assessment import known

TIMESCALE_LONGEST = 200  # DevelopmentAction.timescale

@dataclass(frozen=True)
class ObjectiveInput:
    kind: ObjectiveKind | str  # a form's value is checked by set_objectives
    text: str
    measure: str = ""
    target_date: date | None = None
    priority: str = ""


@dataclass(frozen=True)
class ObjectiveReviewInput:
    text: str
    outcome: ObjectiveOutcome | str  # checked by set_objectives
    comment: str = ""
    previous_objective_id: int | None = None


@dataclass(frozen=True)
class CarriedObjectiveReview:
    """How one of last year's objectives (carried forward) went, and a comment."""

    objective_id: int
    outcome: ObjectiveOutcome | str  # checked by review_previous_objectives
    comment: str = ""


@dataclass(frozen=True)
class DevelopmentInput:
    need: str
    action: str
    support: str = ""
    timescale: str = ""
    domain_id: str | None = None

# An appraisal whose objectives were agreed: agreed, or signed after.
AGREED_STATES = frozenset({AppraisalState.AGREED, AppraisalState.SIGNED_BY_APPRAISEE,
                           AppraisalState.COMPLETE, AppraisalState.SUBMITTED_TO_NHSE})


def previous_appraisal(session: Session, appraisal: Appraisal) -> Appraisal | None:
    """The same appointment's agreed appraisal in the cycle before this one, if any.

    The appointment is the thread: a person newly appointed (or appointed again to another
    role) starts with nothing carried forward.
    """
    this_cycle = session.get(Cycle, appraisal.cycle_id)
    if this_cycle is None:
        return None
    return session.execute(
        select(Appraisal).join(Cycle, col(Cycle.id) == Appraisal.cycle_id)
        .where(col(Appraisal.appointment_id) == appraisal.appointment_id,
               col(Appraisal.id) != appraisal.id,
               col(Cycle.starts_on) < this_cycle.starts_on,
               col(Appraisal.state).in_(AGREED_STATES))
        .order_by(col(Cycle.starts_on).desc()).limit(1)).scalar_one_or_none()


def previous_objectives(session: Session, appraisal: Appraisal) -> list[Objective]:
    """Last year's agreed objectives of the same appointment, carried forward for review."""
    previous = previous_appraisal(session, appraisal)
    if previous is None:
        return []
    return list(session.execute(select(Objective).where(
        col(Objective.appraisal_id) == previous.id).order_by(col(Objective.position))).scalars())


def review_previous_objectives(*, session: Session, actor: Actor, appraisal_id: int,
                               reviews: Sequence[CarriedObjectiveReview]) -> Appraisal:
    """Record how each of last year's objectives went; those not given are left as they are.

    The objective's text is copied from last year's record, so the review keeps it even if
    it is read on its own.

    Raises:
        ValidationFailed: an objective that is not one of last year's, an unknown outcome, or
            a comment too long.
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    check_edit("edit_review", appraisal.state, parties)  # who before what
    carried = {o.id: o for o in previous_objectives(session, appraisal)}
    problems = [f"objective {r.objective_id} is not one of last year's objectives"
                for r in reviews if r.objective_id not in carried]
    problems += [f"outcome_{r.objective_id}: choose met, partly met or not met"
                 for r in reviews if not known(ObjectiveOutcome, r.outcome)]
    for r in reviews:
        problems += text_problems({f"comment_{r.objective_id}: the comment": r.comment})
    if problems:
        raise ValidationFailed("The review of last year's objectives was not saved.", problems)
    edit(session, actor, appraisal, parties, "edit_review",
         details={"objective_reviews": sorted(r.objective_id for r in reviews)})
    ids = [r.objective_id for r in reviews]
    if ids:
        session.execute(delete(ObjectiveReview).where(
            col(ObjectiveReview.appraisal_id) == appraisal_id,
            col(ObjectiveReview.previous_objective_id).in_(ids)))
        session.execute(insert(ObjectiveReview), [
            {"appraisal_id": appraisal_id, "previous_objective_id": r.objective_id,
             "text": carried[r.objective_id].text, "outcome": ObjectiveOutcome(r.outcome),
             "comment": r.comment.strip()} for r in reviews])
    return appraisal


def set_objectives(*, session: Session, actor: Actor, appraisal_id: int,
                   objectives: Sequence[ObjectiveInput],
                   reviews: Sequence[ObjectiveReviewInput] | None = None) -> Appraisal:
    """Replace the new objectives; and the review of last year's, only when ``reviews`` is
    given (saving this year's objectives never touches the review of last year's).

    Raises:
        ValidationFailed: an objective without text, of an unknown kind or outcome, or a text
            too long.
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    check_edit("edit_review", appraisal.state, parties)  # who before what
    problems = [f"objective {i}: write the objective" for i, o in enumerate(objectives, 1)
                if not o.text.strip()]
    problems += [f"objective {i}: choose personal, organisational or equality, diversity "
                 "and inclusion" for i, o in enumerate(objectives, 1)
                 if not known(ObjectiveKind, o.kind)]
    for i, o in enumerate(objectives, 1):
        problems += text_problems({f"objective {i}: the objective": o.text,
                                   f"objective {i}: the measure": o.measure,
                                   f"objective {i}: the priority": o.priority})
    problems += [f"last year's objective {i}: write what it was" for i, r in
                 enumerate(reviews or (), 1) if not r.text.strip()]
    problems += [f"last year's objective {i}: choose met, partly met or not met"
                 for i, r in enumerate(reviews or (), 1) if not known(ObjectiveOutcome, r.outcome)]
    for i, r in enumerate(reviews or (), 1):
        problems += text_problems({f"last year's objective {i}: the objective": r.text,
                                   f"last year's objective {i}: the comment": r.comment})
    if problems:
        raise ValidationFailed("The objectives were not saved.", problems)
    edit(session, actor, appraisal, parties, "edit_review",
         details={"objectives": len(objectives),
                  **({"objective_reviews": len(reviews)} if reviews is not None else {})})
    session.execute(delete(Objective).where(col(Objective.appraisal_id) == appraisal_id))
    if objectives:
        session.execute(insert(Objective), [
            {"appraisal_id": appraisal_id, "position": i, "kind": ObjectiveKind(o.kind),
             "text": o.text.strip(), "measure": o.measure.strip(), "target_date": o.target_date,
             "priority": o.priority.strip()}
            for i, o in enumerate(objectives)])
    if reviews is not None:
        session.execute(delete(ObjectiveReview).where(
            col(ObjectiveReview.appraisal_id) == appraisal_id))
    if reviews:
        session.execute(insert(ObjectiveReview), [
            {"appraisal_id": appraisal_id, "text": r.text.strip(),
             "outcome": ObjectiveOutcome(r.outcome),
             "comment": r.comment.strip(), "previous_objective_id": r.previous_objective_id}
            for r in reviews])
    return appraisal


def set_development_plan(*, session: Session, actor: Actor, appraisal_id: int,
                         actions: Sequence[DevelopmentInput]) -> Appraisal:
    """Replace the development plan.

    Raises:
        ValidationFailed: an action without a need or an action.
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    edit(session, actor, appraisal, parties, "edit_review", details={"development_actions":
                                                                      len(actions)})
    problems = [f"development action {i}: say the need and the action"
                for i, a in enumerate(actions, 1) if not (a.need.strip() and a.action.strip())]
    domains = {d.id for d in framework_of(session, appraisal.framework_version_id).domains}
    problems += [f"development action {i}: unknown domain '{a.domain_id}'"
                 for i, a in enumerate(actions, 1) if a.domain_id and a.domain_id not in domains]
    for i, a in enumerate(actions, 1):
        problems += text_problems({f"development action {i}: the need": a.need,
                                   f"development action {i}: the action": a.action,
                                   f"development action {i}: the support": a.support})
        problems += text_problems({f"development action {i}: the timescale": a.timescale},
                                  longest=TIMESCALE_LONGEST)
    if problems:
        raise ValidationFailed("The development plan was not saved.", problems)
    session.execute(delete(DevelopmentAction).where(
        col(DevelopmentAction.appraisal_id) == appraisal_id))
    if actions:
        session.execute(insert(DevelopmentAction), [
            {"appraisal_id": appraisal_id, "position": i, "need": a.need.strip(),
             "action": a.action.strip(), "support": a.support.strip(),
             "timescale": a.timescale.strip(), "domain_id": a.domain_id}
            for i, a in enumerate(actions)])
    return appraisal

def unreviewed_objectives(session: Session, appraisal: Appraisal) -> list[Objective]:
    """Last year's objectives that this year's review has not yet said how they went."""
    carried = previous_objectives(session, appraisal)
    if not carried:
        return []
    reviewed = set(session.execute(select(col(ObjectiveReview.previous_objective_id)).where(
        col(ObjectiveReview.appraisal_id) == appraisal.id)).scalars())
    return [o for o in carried if o.id not in reviewed]
