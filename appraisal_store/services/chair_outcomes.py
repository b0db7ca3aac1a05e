"""A foundation trust chair's appraisal outcome, for the council of governors' nominations
committee (domain.md section 5: the committee receives the outcome; the level of detail
is not settled in NHS England's guidance).

The committee supports the senior independent director's appraisal and sets the chair's
terms, so it reads what was agreed: the objectives, the development plan's needs, the
fit and proper person test outcome, who appraised and when it was signed, and the sealed
record's id and SHA-256 to check a copy against. It never reads the self-assessment, the
multi-source feedback or the parties' comments: those stay with the appraisal's parties.
Only the committee's registered contact (``contributors``, part ``nominations-committee``,
for the chair's role) reads it, only once both have signed, and every read is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..errors import NotFound
from ..models import Appraisal, DevelopmentAction, Objective, Record
from ..nhse_tables import ExternalContributor
from ..routing_policy import OutcomeTo
from ..vocabulary import AppraisalState, RecordStage
from .appraisal_changes import context_of
from .content_views import record_content_view
from .contributors import ContributorPart, live_contributors, role_route
from .fppt_years import fppt_outcome_label

PAGE = "nominations committee outcome"
_LONDON = ZoneInfo("Europe/London")
SIGNED = frozenset({AppraisalState.COMPLETE, AppraisalState.SUBMITTED_TO_NHSE})


@dataclass(frozen=True)
class OutcomeObjective:
    kind_label: str
    text: str
    measure: str
    target_date: date | None


@dataclass(frozen=True)
class OutcomeDevelopment:
    need: str
    timescale: str


@dataclass(frozen=True)
class ChairOutcome:
    """What the nominations committee reads of the chair's signed appraisal."""

    appraisal_id: int
    organisation: str
    year: str
    appraisee_name: str
    appraiser_name: str | None
    meeting_date: date | None
    signed_on: date | None
    objectives: list[OutcomeObjective]
    development: list[OutcomeDevelopment]
    fppt_outcome: str
    record_id: str | None
    record_sha256: str | None


def _committee_contact(session: Session, actor: Actor, appraisal: Appraisal) -> None:
    """NotFound (no hint that the appraisal exists) unless the policy sends this
    appraisal's outcome to the nominations committee and the actor is its live contact."""
    role, route = role_route(session, appraisal)
    if (route.outcome_to is OutcomeTo.NOMINATIONS_COMMITTEE and actor.person_id is not None
            and any(p.id == actor.person_id for _, p in live_contributors(
                session, appraisal.organisation_id,
                part=ContributorPart.NOMINATIONS_COMMITTEE, role=role))):
        return
    raise NotFound(f"There is no appraisal outcome {appraisal.id} for you to read.")


def chair_outcome(*, session: Session, actor: Actor, appraisal_id: int) -> ChairOutcome:
    """The chair's signed outcome for the committee's contact; the read is audited in the
    caller's write transaction (commit it before showing the outcome).

    Raises:
        NotFound: no such appraisal, not one whose outcome goes to the committee, the
            actor is not the committee's registered contact, or it is not signed by both
            yet (the outcome is what both signed).
    """
    appraisal = session.get(Appraisal, appraisal_id)
    if appraisal is None:
        raise NotFound(f"There is no appraisal outcome {appraisal_id} for you to read.")
    _committee_contact(session, actor, appraisal)
    if appraisal.state not in SIGNED:
        raise NotFound("The chair's appraisal is not signed by both yet: its outcome "
                       "appears here once it is.")
    context = context_of(session, appraisal)
    record = session.execute(select(Record).where(
        col(Record.appraisal_id) == appraisal_id,
        col(Record.version) == appraisal.record_version,
        col(Record.stage).in_([RecordStage.COMPLETE, RecordStage.ENDORSED]))
        .order_by(col(Record.id).desc())).scalars().first()
    objectives = [OutcomeObjective(o.kind.label, o.text, o.measure, o.target_date)
                  for o in session.execute(select(Objective).where(
                      col(Objective.appraisal_id) == appraisal_id)
                      .order_by(col(Objective.position), col(Objective.id))).scalars()]
    development = [OutcomeDevelopment(a.need, a.timescale)
                   for a in session.execute(select(DevelopmentAction).where(
                       col(DevelopmentAction.appraisal_id) == appraisal_id)
                       .order_by(col(DevelopmentAction.position),
                                 col(DevelopmentAction.id))).scalars()]
    record_content_view(session=session, actor=actor, appraisal=appraisal, page=PAGE)
    return ChairOutcome(
        appraisal_id, context.organisation, context.year, context.appraisee_name,
        context.appraiser_name, appraisal.meeting_date,
        appraisal.completed_at.astimezone(_LONDON).date() if appraisal.completed_at else None,
        objectives, development, fppt_outcome_label(session, appraisal),
        f"APR-{appraisal_id}-v{appraisal.record_version}" if record else None,
        record.sha256 if record else None)


@dataclass(frozen=True)
class OutcomeLink:
    appraisal_id: int
    appraisee_name: str
    organisation: str
    year: str


def outcomes_for(session: Session, actor: Actor) -> list[OutcomeLink]:
    """The signed chairs' outcomes the actor reads as a nominations committee's contact
    (status only: reading one is audited on its page)."""
    if actor.person_id is None:
        return []
    organisations = set(session.execute(select(col(ExternalContributor.organisation_id)).where(
        col(ExternalContributor.person_id) == actor.person_id,
        col(ExternalContributor.part) == ContributorPart.NOMINATIONS_COMMITTEE.value,
        col(ExternalContributor.revoked_at).is_(None))).scalars())
    links = []
    for appraisal in session.execute(select(Appraisal).where(
            col(Appraisal.organisation_id).in_(organisations),
            col(Appraisal.state).in_(SIGNED)).order_by(col(Appraisal.id))).scalars():
        try:
            _committee_contact(session, actor, appraisal)
        except NotFound:
            continue
        context = context_of(session, appraisal)
        links.append(OutcomeLink(appraisal.id or 0, context.appraisee_name,
                                 context.organisation, context.year))
    return links
