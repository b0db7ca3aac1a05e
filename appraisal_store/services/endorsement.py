"""NHS England's regional endorsement of an ICB or NHS trust appraisal that goes to NHS
England: after both signatures, the regional director (or their delegate) endorses the
signed record, with an optional comment. The endorsement is recorded and audited here;
``records.endorsement`` then signs it into the record as a third signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import record_event
from ..errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from ..links import Page, for_reader
from ..models import Appraisal, Person
from ..names import text_problems
from ..nhse_tables import Endorsement, ExternalContributor
from ..outbox import QueuedMessage, queue_messages
from ..queries import company_secretaries
from ..vocabulary import AppraisalState
from .appraisal_changes import context_of
from .contributors import ContributorPart, live_contributors, role_route

COMMENT_LONGEST = 4000
# Endorsers are reminded this many days before the NHS England deadline, and weekly once
# it has passed (``endorsement_reminders``).
REMIND_DAYS_BEFORE = (21, 7, 1)


def endorsement_required(session: Session, appraisal: Appraisal) -> bool:
    """Whether the appraisal goes to NHS England and the policy wants it endorsed."""
    return appraisal.nhse_due is not None and role_route(session, appraisal)[1].endorsed


def endorsers(session: Session, appraisal: Appraisal) -> list[tuple[Person, ContributorPart]]:
    """Who may endorse: the regional director and delegates registered for the role."""
    role, _ = role_route(session, appraisal)
    return [(person, ContributorPart(c.part))
            for c, person in live_contributors(session, appraisal.organisation_id, role=role)
            if ContributorPart(c.part).endorses]


def endorsement_of(session: Session, appraisal: Appraisal) -> Endorsement | None:
    """The endorsement of the appraisal's current record version, if given."""
    return session.execute(select(Endorsement).where(
        col(Endorsement.appraisal_id) == appraisal.id,
        col(Endorsement.record_version) == appraisal.record_version)).scalars().first()


@dataclass(frozen=True)
class EndorsementView:
    """What the endorser's page shows: status only, and the sealed record to read."""

    appraisal_id: int
    organisation: str
    year: str
    appraisee_name: str
    role: str
    appraiser_name: str | None
    nhse_due: date | None
    state: AppraisalState
    endorsement: Endorsement | None
    endorser_name: str | None


def _standing(session: Session, actor: Actor, appraisal: Appraisal) -> ContributorPart:
    """The actor's standing as an endorser of this appraisal, or NotFound (no hint that the
    appraisal exists to someone who is not one)."""
    for person, part in endorsers(session, appraisal):
        if actor.person_id is not None and person.id == actor.person_id:
            return part
    raise NotFound(f"There is no appraisal {appraisal.id} for you to endorse.")


def endorsement_view(session: Session, actor: Actor, appraisal_id: int) -> EndorsementView:
    """The page of one appraisal for its endorser.

    Raises:
        NotFound: no such appraisal, or the actor is not registered as its endorser.
    """
    appraisal = session.get(Appraisal, appraisal_id)
    if appraisal is None or not endorsement_required(session, appraisal):
        raise NotFound(f"There is no appraisal {appraisal_id} for you to endorse.")
    _standing(session, actor, appraisal)
    context = context_of(session, appraisal)
    role, _ = role_route(session, appraisal)
    given = endorsement_of(session, appraisal)
    endorser = session.get(Person, given.endorser_id) if given else None
    return EndorsementView(appraisal_id, context.organisation, context.year,
                           context.appraisee_name, role.label, context.appraiser_name,
                           appraisal.nhse_due, appraisal.state, given,
                           endorser.name if endorser else None)


def endorsement_queue(session: Session, actor: Actor) -> list[EndorsementView]:
    """Every appraisal the actor may endorse that is signed by both and not yet endorsed,
    and those they endorsed; by deadline."""
    if actor.person_id is None:
        return []
    registrations = session.execute(select(ExternalContributor).where(
        col(ExternalContributor.person_id) == actor.person_id,
        col(ExternalContributor.revoked_at).is_(None))).scalars().all()
    organisation_ids = {r.organisation_id for r in registrations
                        if ContributorPart(r.part).endorses}
    if not organisation_ids:
        return []
    candidates = session.execute(select(Appraisal).where(
        col(Appraisal.organisation_id).in_(organisation_ids),
        col(Appraisal.nhse_due).is_not(None),
        col(Appraisal.state).in_([AppraisalState.COMPLETE,
                             AppraisalState.SUBMITTED_TO_NHSE]))
        .order_by(col(Appraisal.nhse_due), col(Appraisal.id))).scalars().all()
    views = []
    for appraisal in candidates:
        try:
            views.append(endorsement_view(session, actor, appraisal.id or 0))
        except NotFound:
            continue
    return views


def endorse(*, session: Session, actor: Actor, appraisal_id: int, comment: str,
            now: datetime) -> Endorsement:
    """Endorse the signed record of an appraisal that goes to NHS England. Audited; the
    company secretaries are told; the caller seals it into the record after the commit
    (``records.endorsement.seal_endorsement``).

    Raises:
        NotFound: no such appraisal, or the actor is not registered as its endorser.
        NotAllowed: the appraisal does not need an endorsement (held locally, or a role
            NHS England does not endorse).
        InvalidTransition: not yet signed by both, or already endorsed.
        ValidationFailed: the comment is too long or holds characters refused.
    """
    appraisal = session.execute(select(Appraisal).where(col(Appraisal.id) == appraisal_id)
                                .with_for_update()).scalar_one_or_none()
    if appraisal is None:
        raise NotFound(f"There is no appraisal {appraisal_id} for you to endorse.")
    if not endorsement_required(session, appraisal):
        _standing_or_not_found(session, actor, appraisal)
        raise NotAllowed("This appraisal is held locally: NHS England's regional director "
                         "does not endorse it.")
    standing = _standing(session, actor, appraisal)
    if appraisal.state is not AppraisalState.COMPLETE:
        raise InvalidTransition(
            f"This appraisal is {appraisal.state.label.lower()}: it can be endorsed once "
            "both the appraisee and the appraiser have signed it.")
    if endorsement_of(session, appraisal) is not None:
        raise InvalidTransition("This appraisal's record is already endorsed.")
    problems = text_problems({"comment: the comment": comment}, longest=COMMENT_LONGEST)
    if problems:
        raise ValidationFailed("The endorsement was not recorded.", problems)
    endorsement = Endorsement(appraisal_id=appraisal_id,
                              record_version=appraisal.record_version,
                              endorser_id=actor.person_id or 0, standing=standing.value,
                              comment=comment.strip(), endorsed_at=now)
    session.add(endorsement)
    session.flush()
    record_event(session, actor, "appraisal_endorsed", subject_type="appraisal",
                 subject_id=appraisal_id, organisation_id=appraisal.organisation_id,
                 details={"record_version": appraisal.record_version,
                          "standing": standing.value, "comment": bool(comment.strip())},
                 at=now)
    context = context_of(session, appraisal)
    payload = context.payload(nhse_due=appraisal.nhse_due, endorser=actor.label)
    queue_messages(session, [
        QueuedMessage(f"appraisal_endorsed:{appraisal_id}:{appraisal.record_version}:{email}",
                      "appraisal_endorsed", email, name, appraisal_id,
                      payload | for_reader(Page.MANAGEMENT))
        for name, email in company_secretaries(
            session, {appraisal.organisation_id}).get(appraisal.organisation_id, [])])
    return endorsement


def _standing_or_not_found(session: Session, actor: Actor, appraisal: Appraisal) -> None:
    """Someone who is registered for none of the organisation's endorsements learns
    nothing about the appraisal."""
    registered = session.execute(select(col(ExternalContributor.id)).where(
        col(ExternalContributor.organisation_id) == appraisal.organisation_id,
        col(ExternalContributor.person_id) == (actor.person_id or 0),
        col(ExternalContributor.revoked_at).is_(None))).first()
    if registered is None:
        raise NotFound(f"There is no appraisal {appraisal.id} for you to endorse.")


def endorsement_requests(session: Session, appraisal: Appraisal) -> list[QueuedMessage]:
    """The emails asking each endorser to endorse the newly complete record (none when no
    endorsement is wanted); queued with the complete record."""
    if not endorsement_required(session, appraisal):
        return []
    context = context_of(session, appraisal)
    payload = context.payload(nhse_due=appraisal.nhse_due) | for_reader(Page.ENDORSEMENT)
    return [QueuedMessage(
        f"endorsement_requested:{appraisal.id}:{appraisal.record_version}:{person.email}",
        "endorsement_requested", person.email, person.name, appraisal.id, payload)
        for person, _ in endorsers(session, appraisal)]


def _reminder_window(days_left: int) -> str | None:
    """Which reminder a day falls in: the first working day in each window sends it."""
    if days_left < 0:
        return f"overdue-week-{(-days_left - 1) // 7}"
    windows = [d for d in REMIND_DAYS_BEFORE if days_left <= d]
    return f"within-{min(windows)}-days" if windows else None


def endorsement_reminders(session: Session, *, today: date) -> list[QueuedMessage]:
    """Reminders to the endorsers of complete records not yet endorsed: once within 21
    days of the NHS England deadline, once within 7, the day before, then weekly once it
    has passed, until endorsed. Each keyed by its window, so a re-run (or the next day in
    the same window) sends nothing twice."""
    due = session.execute(select(Appraisal).where(
        col(Appraisal.state) == AppraisalState.COMPLETE,
        col(Appraisal.nhse_due).is_not(None))).scalars().all()
    messages: list[QueuedMessage] = []
    for appraisal in due:
        assert appraisal.nhse_due is not None
        left = (appraisal.nhse_due - today).days
        window = _reminder_window(left)
        if window is None:
            continue
        if not endorsement_required(session, appraisal) or endorsement_of(session, appraisal):
            continue
        context = context_of(session, appraisal)
        payload = context.payload(nhse_due=appraisal.nhse_due, days_left=left) | for_reader(
            Page.ENDORSEMENT)
        messages += [QueuedMessage(
            f"endorsement_reminder:{appraisal.id}:{appraisal.record_version}:{window}:"
            f"{person.email}", "endorsement_reminder", person.email, person.name,
            appraisal.id, payload) for person, _ in endorsers(session, appraisal)]
    return messages


def queue_endorsement_reminders(*, session: Session, today: date) -> int:
    """Queue the day's endorsement reminders (see ``endorsement_reminders``); how many were
    new."""
    return queue_messages(session, endorsement_reminders(session, today=today))
