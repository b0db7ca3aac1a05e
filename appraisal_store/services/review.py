"""The appraiser's part: commentary, objectives, development plan, FPPT confirmation, agree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, insert, select
from sqlmodel import Session

from competencies.scale import ScaleLabel

from ..actors import Actor
from ..errors import ValidationFailed
from ..lifecycle import check_edit, check_transition
from ..models import (
    Appraisal,
    AppraisalRevision,
    Cycle,
    DevelopmentAction,
    DomainReflection,
    FPPTAttestation,
    Objective,
    ObjectiveReview,
    Rating,
)
from ..names import text_problems
from ..outbox import QueuedMessage
from ..sql_types import utcnow
from ..vocabulary import (
    AppraisalState,
    FPPTStatus,
    ObjectiveKind,
    ObjectiveOutcome,
    ReflectionAuthor,
)
from .fppt import appraisal_fppt_gaps
from .frameworks import framework_of
from .self_assessment import known
from .steps import begin, context_of, edit, transition

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


def begin_review(*, session: Session, actor: Actor, appraisal_id: int) -> Appraisal:
    """The appraiser takes up a submitted self-assessment."""
    appraisal, parties = begin(session, actor, appraisal_id)
    transition(session, actor, appraisal, parties, "begin_review",
               details={"revision": appraisal.revision})
    return appraisal


def save_review(
    *,
    session: Session,
    actor: Actor,
    appraisal_id: int,
    commentary: Mapping[str, str] | None = None,
    views: Mapping[str, ScaleLabel | str | None] | None = None,
    msf_summary: str | None = None,
    appraiser_comments: str | None = None,
) -> Appraisal:
    """Save the appraiser's commentary and view per domain, and the meeting's notes.

    The meeting itself is scheduled through ``services.meetings`` (it invites both parties).

    Raises:
        ValidationFailed: an unknown domain or view, or a text too long.
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    edit(session, actor, appraisal, parties, "edit_review",
         details={"domains": sorted(set(commentary or {}) | set(views or {}))})
    domains = {d.id for d in framework_of(session, appraisal.framework_version_id).domains}
    problems = [f"unknown domain '{d}'" for d in set(commentary or {}) | set(views or {})
                if d not in domains]
    texts = {**{f"commentary on {d}": t for d, t in (commentary or {}).items()},
             "multi-source feedback summary": msf_summary or "",
             "appraiser's comments": appraiser_comments or ""}
    problems += [f"the view on domain {d} is not one of the answers"
                 for d, view in (views or {}).items() if view and not known(ScaleLabel, view)]
    problems += text_problems({f"the {name}": text for name, text in texts.items()})
    if problems:
        raise ValidationFailed("The review was not saved.", problems)
    for domain_id in sorted(set(commentary or {}) | set(views or {})):
        row = _appraiser_reflection(session, appraisal, domain_id)
        if commentary and domain_id in commentary:
            row.text = commentary[domain_id].strip()
        if views and domain_id in views:
            view = views[domain_id]
            row.view = ScaleLabel(view) if view else None
        session.add(row)
    if msf_summary is not None:
        appraisal.msf_summary = msf_summary.strip()
    if appraiser_comments is not None:
        appraisal.appraiser_comments = appraiser_comments.strip()
    session.add(appraisal)
    return appraisal


def _appraiser_reflection(session: Session, appraisal: Appraisal, domain_id: str
                          ) -> DomainReflection:
    found = session.execute(select(DomainReflection).where(
        DomainReflection.appraisal_id == appraisal.id,
        DomainReflection.revision == appraisal.revision,
        DomainReflection.domain_id == domain_id,
        DomainReflection.author == ReflectionAuthor.APPRAISER)).scalar_one_or_none()
    return found or DomainReflection(appraisal_id=appraisal.id or 0, revision=appraisal.revision,
                                     domain_id=domain_id, author=ReflectionAuthor.APPRAISER)


def save_domain_commentary(*, session: Session, actor: Actor, appraisal_id: int,
                           domain_id: str, text: str, view: ScaleLabel | str | None
                           ) -> Appraisal:
    """The appraiser's commentary and view on one domain (one page of the review).

    Raises:
        ValidationFailed: an unknown domain or view, or a text too long.
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    check_edit("edit_review", appraisal.state, parties)  # who before what
    domains = {d.id for d in framework_of(session, appraisal.framework_version_id).domains}
    problems = [f"unknown domain '{domain_id}'"] if domain_id not in domains else []
    if view and not known(ScaleLabel, view):
        problems.append("view: the view is not one of the answers")
    problems += text_problems({"commentary: the commentary": text})
    if problems:
        raise ValidationFailed("The commentary was not saved.", problems)
    edit(session, actor, appraisal, parties, "edit_review", details={"domains": [domain_id]})
    row = _appraiser_reflection(session, appraisal, domain_id)
    row.text, row.view = text.strip(), ScaleLabel(view) if view else None
    session.add(row)
    return appraisal


def save_feedback(*, session: Session, actor: Actor, appraisal_id: int, msf_summary: str,
                  appraiser_comments: str) -> Appraisal:
    """The multi-source feedback summary and the appraiser's overall comments.

    Raises:
        ValidationFailed: a text too long.
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    check_edit("edit_review", appraisal.state, parties)  # who before what
    problems = text_problems({"msf_summary: the summary": msf_summary,
                              "appraiser_comments: the comments": appraiser_comments})
    if problems:
        raise ValidationFailed("The feedback summary was not saved.", problems)
    edit(session, actor, appraisal, parties, "edit_review", details={"feedback": True})
    appraisal.msf_summary = msf_summary.strip()
    appraisal.appraiser_comments = appraiser_comments.strip()
    session.add(appraisal)
    return appraisal


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
        select(Appraisal).join(Cycle, Cycle.id == Appraisal.cycle_id)
        .where(Appraisal.appointment_id == appraisal.appointment_id,
               Appraisal.id != appraisal.id,
               Cycle.starts_on < this_cycle.starts_on,
               Appraisal.state.in_(AGREED_STATES))  # type: ignore[attr-defined]
        .order_by(Cycle.starts_on.desc()).limit(1)).scalar_one_or_none()  # type: ignore[attr-defined]


def previous_objectives(session: Session, appraisal: Appraisal) -> list[Objective]:
    """Last year's agreed objectives of the same appointment, carried forward for review."""
    previous = previous_appraisal(session, appraisal)
    if previous is None:
        return []
    return list(session.execute(select(Objective).where(
        Objective.appraisal_id == previous.id).order_by(Objective.position)).scalars())


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
            ObjectiveReview.appraisal_id == appraisal_id,
            ObjectiveReview.previous_objective_id.in_(ids)))  # type: ignore[union-attr]
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
    session.execute(delete(Objective).where(Objective.appraisal_id == appraisal_id))
    if objectives:
        session.execute(insert(Objective), [
            {"appraisal_id": appraisal_id, "position": i, "kind": ObjectiveKind(o.kind),
             "text": o.text.strip(), "measure": o.measure.strip(), "target_date": o.target_date,
             "priority": o.priority.strip()}
            for i, o in enumerate(objectives)])
    if reviews is not None:
        session.execute(delete(ObjectiveReview).where(ObjectiveReview.appraisal_id == appraisal_id))
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
    session.execute(delete(DevelopmentAction).where(DevelopmentAction.appraisal_id == appraisal_id))
    if actions:
        session.execute(insert(DevelopmentAction), [
            {"appraisal_id": appraisal_id, "position": i, "need": a.need.strip(),
             "action": a.action.strip(), "support": a.support.strip(),
             "timescale": a.timescale.strip(), "domain_id": a.domain_id}
            for i, a in enumerate(actions)])
    return appraisal


def confirm_fppt(*, session: Session, actor: Actor, appraisal_id: int, last_assessed_on: date,
                 status: FPPTStatus | str, notes: str = "") -> FPPTAttestation:
    """The appraiser confirms the fit and proper person test status.

    Raises:
        ValidationFailed: an unknown status, or the assessment date is in the future.
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    check_edit("edit_review", appraisal.state, parties)  # who before what
    problems = []
    if not known(FPPTStatus, status):
        problems.append("fppt: choose whether they are still fit and proper")
    if last_assessed_on > date.today() + timedelta(days=1):
        problems.append("last_assessed_on: the last assessment cannot be in the future")
    problems += text_problems({"the notes": notes})
    if problems:
        raise ValidationFailed("The FPPT confirmation was not saved.", problems)
    edit(session, actor, appraisal, parties, "edit_review",
         details={"fppt_status": FPPTStatus(status).value, "last_assessed_on": last_assessed_on})
    attestation = session.execute(select(FPPTAttestation).where(
        FPPTAttestation.appraisal_id == appraisal_id)).scalar_one_or_none()
    attestation = attestation or FPPTAttestation(appraisal_id=appraisal_id)
    attestation.last_assessed_on, attestation.status = last_assessed_on, FPPTStatus(status)
    attestation.notes, attestation.confirmed_by_id = notes.strip(), actor.person_id
    attestation.confirmed_at = utcnow()
    session.add(attestation)
    return attestation


def agreement_gaps(session: Session, appraisal: Appraisal) -> list[str]:
    """What the national form needs before the appraisal can be agreed."""
    gaps = []
    kinds = list(session.execute(select(Objective.kind).where(
        Objective.appraisal_id == appraisal.id)).scalars())
    if not kinds:
        gaps.append("objectives: set the new objectives")
    elif ObjectiveKind.EDI not in kinds:
        gaps.append("objectives: at least one objective must be on equality, diversity and "
                    "inclusion")
    if session.execute(select(DevelopmentAction.id).where(
            DevelopmentAction.appraisal_id == appraisal.id)).first() is None:
        gaps.append("development_plan: add at least one development action")
    fppt = session.execute(select(FPPTAttestation).where(
        FPPTAttestation.appraisal_id == appraisal.id)).scalar_one_or_none()
    gaps += appraisal_fppt_gaps(
        session, organisation_id=appraisal.organisation_id, person_id=appraisal.appraisee_id,
        year=session.execute(select(Cycle.year).where(Cycle.id == appraisal.cycle_id)
                             ).scalar_one(), confirmed=fppt.status if fppt else None)
    if appraisal.meeting_date is None:
        gaps.append("meeting_date: schedule the appraisal meeting")
    gaps += [f"objective_reviews: say whether last year's objective \"{o.text}\" was met"
             for o in unreviewed_objectives(session, appraisal)]
    return gaps


def unreviewed_objectives(session: Session, appraisal: Appraisal) -> list[Objective]:
    """Last year's objectives that this year's review has not yet said how they went."""
    carried = previous_objectives(session, appraisal)
    if not carried:
        return []
    reviewed = set(session.execute(select(ObjectiveReview.previous_objective_id).where(
        ObjectiveReview.appraisal_id == appraisal.id)).scalars())
    return [o for o in carried if o.id not in reviewed]


def agree(*, session: Session, actor: Actor, appraisal_id: int) -> Appraisal:
    """The appraiser agrees the appraisal; both parties are then asked to sign.

    Raises:
        ValidationFailed: something the national form needs is missing (each is named).
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    check_transition("agree", appraisal.state, parties)  # who before what
    gaps = agreement_gaps(session, appraisal)
    if gaps:
        raise ValidationFailed("The appraisal cannot be agreed yet.", gaps)
    context = context_of(session, appraisal)
    transition(session, actor, appraisal, parties, "agree",
               details={"revision": appraisal.revision},
               messages=[QueuedMessage(
                   f"agreed:{appraisal_id}:{appraisal.record_version}", "agreed_please_sign",
                   context.appraisee_email, context.appraisee_name, appraisal_id,
                   context.payload(due=appraisal.sign_off_due))])
    appraisal.agreed_at = utcnow()
    return appraisal


def comment_as_appraisee(*, session: Session, actor: Actor, appraisal_id: int, comments: str,
                         disagreement: str = "") -> Appraisal:
    """The appraisee's comments on the review, and any disagreement to record.

    For non-executive directors the chair's view stands; the disagreement is recorded.
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    check_edit("comment_as_appraisee", appraisal.state, parties)  # who before what
    if (problems := text_problems({"your comments": comments,
                                   "your disagreement": disagreement})):
        raise ValidationFailed("Your comments were not saved.", problems)
    edit(session, actor, appraisal, parties, "comment_as_appraisee",
         details={"disagreement": bool(disagreement.strip())})
    appraisal.appraisee_comments, appraisal.disagreement = comments.strip(), disagreement.strip()
    session.add(appraisal)
    return appraisal


def return_for_changes(*, session: Session, actor: Actor, appraisal_id: int, reason: str
                       ) -> Appraisal:
    """Send the self-assessment back with a reason; a new revision starts from a copy.

    The submitted revision stays as it was, readable for good.

    Raises:
        ValidationFailed: no reason was given.
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    check_transition("return_for_changes", appraisal.state, parties)  # who before what
    if not reason.strip():
        raise ValidationFailed("Say why you are returning it.",
                               ["reason: write what the appraisee should change"])
    if (problems := text_problems({"the reason": reason})):
        raise ValidationFailed("It was not returned.", problems)
    context = context_of(session, appraisal)
    old = appraisal.revision
    transition(session, actor, appraisal, parties, "return_for_changes",
               details={"revision": old, "reason": reason.strip()},
               messages=[QueuedMessage(
                   f"returned:{appraisal_id}:{old}", "returned_for_changes",
                   context.appraisee_email, context.appraisee_name, appraisal_id,
                   context.payload(reason=reason.strip(), due=appraisal.self_assessment_due))])
    revision_row = session.execute(select(AppraisalRevision).where(
        AppraisalRevision.appraisal_id == appraisal_id, AppraisalRevision.revision == old)
    ).scalar_one()
    revision_row.returned_at, revision_row.return_reason = utcnow(), reason.strip()
    session.add(revision_row)
    appraisal.revision, appraisal.return_reason = old + 1, reason.strip()
    _copy_revision(session, appraisal_id, old, old + 1)
    return appraisal


def _copy_revision(session: Session, appraisal_id: int, old: int, new: int) -> None:
    ratings = session.execute(select(Rating.statement_id, Rating.value).where(
        Rating.appraisal_id == appraisal_id, Rating.revision == old)).all()
    if ratings:
        session.execute(insert(Rating), [
            {"appraisal_id": appraisal_id, "revision": new, "statement_id": s, "value": v}
            for s, v in ratings])
    for reflection in session.execute(select(DomainReflection).where(
            DomainReflection.appraisal_id == appraisal_id,
            DomainReflection.revision == old)).scalars().all():
        session.add(DomainReflection(
            appraisal_id=appraisal_id, revision=new, domain_id=reflection.domain_id,
            author=reflection.author, text=reflection.text, view=reflection.view))

