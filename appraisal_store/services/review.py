"""The appraiser's part: commentary, feedback, FPPT confirmation, agree or return.

The objectives and the development plan: ``services.objectives``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from sqlalchemy import insert, select
from sqlmodel import Session, col

from competencies.scale import ScaleLabel

from ..actors import Actor
from ..clock import day_of, moment_of
from ..date_words import long_date
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
    Rating,
)
from ..names import text_problems
from ..outbox import QueuedMessage
from ..vocabulary import FPPTStatus, ObjectiveKind, ReflectionAuthor
from .appraisal_changes import begin, context_of, edit, transition
from .fppt_years import appraisal_fppt_gaps
from .frameworks import framework_of
from .review_objectives import unreviewed_objectives
from .self_assessment import known


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
        col(DomainReflection.appraisal_id) == appraisal.id,
        col(DomainReflection.revision) == appraisal.revision,
        col(DomainReflection.domain_id) == domain_id,
        col(DomainReflection.author) == ReflectionAuthor.APPRAISER)).scalar_one_or_none()
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
    if last_assessed_on > day_of(session) + timedelta(days=1):
        problems.append("last_assessed_on: the last assessment cannot be in the future")
    problems += text_problems({"the notes": notes})
    if problems:
        raise ValidationFailed("The FPPT confirmation was not saved.", problems)
    edit(session, actor, appraisal, parties, "edit_review",
         details={"fppt_status": FPPTStatus(status).value, "last_assessed_on": last_assessed_on})
    attestation = session.execute(select(FPPTAttestation).where(
        col(FPPTAttestation.appraisal_id) == appraisal_id)).scalar_one_or_none()
    attestation = attestation or FPPTAttestation(appraisal_id=appraisal_id)
    attestation.last_assessed_on, attestation.status = last_assessed_on, FPPTStatus(status)
    attestation.notes, attestation.confirmed_by_id = notes.strip(), actor.person_id
    attestation.confirmed_at = moment_of(session)
    session.add(attestation)
    return attestation


def agreement_gaps(session: Session, appraisal: Appraisal) -> list[str]:
    """What the national form needs before the appraisal can be agreed."""
    gaps = []
    kinds = list(session.execute(select(col(Objective.kind)).where(
        col(Objective.appraisal_id) == appraisal.id)).scalars())
    if not kinds:
        gaps.append("objectives: set the new objectives")
    elif ObjectiveKind.EDI not in kinds:
        gaps.append("objectives: at least one objective must be on equality, diversity and "
                    "inclusion")
    if session.execute(select(col(DevelopmentAction.id)).where(
            col(DevelopmentAction.appraisal_id) == appraisal.id)).first() is None:
        gaps.append("development_plan: add at least one development action")
    fppt = session.execute(select(FPPTAttestation).where(
        col(FPPTAttestation.appraisal_id) == appraisal.id)).scalar_one_or_none()
    gaps += appraisal_fppt_gaps(
        session, organisation_id=appraisal.organisation_id, person_id=appraisal.appraisee_id,
        year=session.execute(select(col(Cycle.year)).where(col(Cycle.id) == appraisal.cycle_id)
                             ).scalar_one(), confirmed=fppt.status if fppt else None)
    if appraisal.meeting_date is None:
        gaps.append("meeting_date: schedule the appraisal meeting")
    elif appraisal.meeting_date > day_of(session):
        # The agreement records what was said at the meeting, and the record says when.
        gaps.append(f"meeting_date: the appraisal meeting is on "
                    f"{long_date(appraisal.meeting_date)}; agree the appraisal once it is held")
    gaps += [f"objective_reviews: say whether last year's objective \"{o.text}\" was met"
             for o in unreviewed_objectives(session, appraisal)]
    return gaps



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
    appraisal.agreed_at = moment_of(session)
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
        col(AppraisalRevision.appraisal_id) == appraisal_id, col(AppraisalRevision.revision) == old)
    ).scalar_one()
    revision_row.returned_at, revision_row.return_reason = moment_of(session), reason.strip()
    session.add(revision_row)
    appraisal.revision, appraisal.return_reason = old + 1, reason.strip()
    _copy_revision(session, appraisal_id, old, old + 1)
    return appraisal


def _copy_revision(session: Session, appraisal_id: int, old: int, new: int) -> None:
    ratings = session.execute(select(col(Rating.statement_id), col(Rating.value)).where(
        col(Rating.appraisal_id) == appraisal_id, col(Rating.revision) == old)).all()
    if ratings:
        session.execute(insert(Rating), [
            {"appraisal_id": appraisal_id, "revision": new, "statement_id": s, "value": v}
            for s, v in ratings])
    for reflection in session.execute(select(DomainReflection).where(
            col(DomainReflection.appraisal_id) == appraisal_id,
            col(DomainReflection.revision) == old)).scalars().all():
        session.add(DomainReflection(
            appraisal_id=appraisal_id, revision=new, domain_id=reflection.domain_id,
            author=reflection.author, text=reflection.text, view=reflection.view))

