"""The appraisee's part: ratings, reflections, submission (the FPPT self-attestation is
the FPPT year's: ``services.fppt.attest``)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from sqlalchemy import delete, select
from sqlmodel import Session, col

from competencies.scale import ScaleLabel

from ..actors import Actor
from ..clock import moment_of
from ..errors import ValidationFailed
from ..lifecycle import check_edit, check_transition
from ..links import Page, for_reader
from ..models import Appraisal, AppraisalRevision, DomainReflection, Rating
from ..names import text_problems
from ..outbox import QueuedMessage
from ..sql_types import table_of
from ..upsert import upsert
from ..vocabulary import AppraisalState, ReflectionAuthor
from .appraisal_changes import begin, context_of, edit, transition
from .frameworks import framework_of
from .regional_input import input_requests

_RATINGS = table_of(Rating)
_REFLECTIONS = table_of(DomainReflection)


def known(enum: type[StrEnum], value: object) -> bool:
    """Whether ``value`` is one of the enum's values (a form can send anything)."""
    if not isinstance(value, str):
        return False
    try:
        enum(value)
    except ValueError:
        return False
    return True


def _check_text(field: str, text: str, problems: list[str]) -> None:
    problems.extend(f"{problem}." for problem in text_problems({field: text}))


def save_self_assessment(
    *,
    session: Session,
    actor: Actor,
    appraisal_id: int,
    ratings: Mapping[str, ScaleLabel | str | None],
    reflections: Mapping[str, str] | None = None,
) -> Appraisal:
    """Save some or all of the appraisee's answers ("save and come back later").

    A rating given as None clears it. The first save starts the self-assessment; saving a
    returned appraisal works on the new revision, never on the submitted one.

    Raises:
        NotFound / NotAllowed / InvalidTransition: not this actor's, or not editable now.
        ValidationFailed: an unknown statement, answer or domain, or a text too long.
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    check_edit("edit_self_assessment", appraisal.state, parties)
    framework = framework_of(session, appraisal.framework_version_id)
    known_statements = set(framework.statement_ids())
    known_domains = {d.id for d in framework.domains}
    problems = [f"unknown statement '{s}'" for s in ratings if s not in known_statements]
    problems += [f"statement {s}: '{v}' is not one of the answers" for s, v in ratings.items()
                 if v is not None and not known(ScaleLabel, v)]
    problems += [f"unknown domain '{d}'" for d in (reflections or {}) if d not in known_domains]
    for domain_id, text in (reflections or {}).items():
        _check_text(f"The reflection on domain {domain_id}", text, problems)
    if problems:
        raise ValidationFailed("Your answers were not saved.", problems)
    if appraisal.state in (AppraisalState.NOT_STARTED, AppraisalState.RETURNED):
        transition(session, actor, appraisal, parties, "start_self_assessment")
    revision = appraisal.revision
    cleared = [s for s, v in ratings.items() if v is None]
    if cleared:
        session.execute(delete(Rating).where(
            col(Rating.appraisal_id) == appraisal_id, col(Rating.revision) == revision,
            col(Rating.statement_id).in_(cleared)))
    upsert(session, _RATINGS, [
        {"appraisal_id": appraisal_id, "revision": revision, "statement_id": s,
         "value": ScaleLabel(v)} for s, v in ratings.items() if v is not None],
        keys=("appraisal_id", "revision", "statement_id"), changed=("value",))
    upsert(session, _REFLECTIONS, [
        {"appraisal_id": appraisal_id, "revision": revision, "domain_id": domain_id,
         "author": ReflectionAuthor.APPRAISEE, "text": text.strip()}
        for domain_id, text in (reflections or {}).items()],
        keys=("appraisal_id", "revision", "domain_id", "author"), changed=("text",))
    # Audited last: the event takes the audit chain's head, which every audited change in
    # the store waits for (a row lock on PostgreSQL), so it is held only until the commit.
    edit(session, actor, appraisal, parties, "edit_self_assessment",
         details={"revision": revision, "statements": sorted(ratings),
                  "reflections": sorted(reflections or {})})
    return appraisal


def missing_answers(session: Session, appraisal: Appraisal) -> list[str]:
    """Statement ids of the pinned framework that have no answer in the current revision."""
    framework = framework_of(session, appraisal.framework_version_id)
    answered = set(session.execute(select(col(Rating.statement_id)).where(
        col(Rating.appraisal_id) == appraisal.id,
        col(Rating.revision) == appraisal.revision)).scalars())
    return [s for s in framework.statement_ids() if s not in answered]


def submit_self_assessment(*, session: Session, actor: Actor, appraisal_id: int) -> Appraisal:
    """Submit the current revision to the appraiser; it can no longer be changed.

    Raises:
        ValidationFailed: some statements have no answer (each is named).
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    check_transition("submit_self_assessment", appraisal.state, parties)  # who before what
    missing = missing_answers(session, appraisal)
    if missing:
        raise ValidationFailed(
            f"Answer every statement before you submit: {len(missing)} have no answer.",
            [f"statement {s} has no answer" for s in missing])
    context = context_of(session, appraisal)
    messages = []
    if context.appraiser_email:
        messages.append(QueuedMessage(
            f"submitted:{appraisal_id}:{appraisal.revision}", "self_assessment_submitted",
            context.appraiser_email, context.appraiser_name or "", appraisal_id,
            context.payload(due=appraisal.review_due, revision=appraisal.revision)
            | for_reader(Page.REVIEW)))
    messages += input_requests(session, appraisal)
    transition(session, actor, appraisal, parties, "submit_self_assessment",
               details={"revision": appraisal.revision}, messages=messages)
    appraisal.submitted_at = moment_of(session)
    session.add(AppraisalRevision(appraisal_id=appraisal_id, revision=appraisal.revision,
                                  submitted_at=moment_of(session)))
    return appraisal
