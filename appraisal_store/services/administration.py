"""The administrator's adjustments: deadlines, appraisers, withdrawals, deferrals, NHS England."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import PendingEvent, record_events
from ..clock import day_of, moment_of
from ..deadlines import DUE_KIND_BY_STATE
from ..errors import NotAllowed, NotFound, ValidationFailed
from ..lifecycle import check_edit, check_transition
from ..models import Appraisal, ContentDelegation, Person
from ..names import text_problems
from ..vocabulary import BoardRole
from .access import current_roles, sees_status_of
from .appraisal_changes import begin, edit, transition
from .appraisers import choose_appraiser
from .fppt_references import reference_on_withdrawal
from .meetings import cancel_for_closure

DEADLINES = ("self_assessment", "review", "sign_off")


def _reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationFailed("Give a reason; it is kept on the record.",
                               ["reason: say why"])
    if (problems := text_problems({"the reason": reason})):
        raise ValidationFailed("The reason was not kept.", problems)
    return reason.strip()


def extend_deadline(*, session: Session, actor: Actor, appraisal_id: int, deadline: str,
                    new_date: date, reason: str) -> Appraisal:
    """Move one of the appraisal's due dates (reminders follow the new date).

    Raises:
        ValidationFailed: an unknown deadline, no reason, or dates out of order.
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    check_edit("extend_deadline", appraisal.state, parties)
    why = _reason(reason)
    if deadline not in DEADLINES:
        raise ValidationFailed(
            f"'{deadline}' is not a deadline; use one of {', '.join(DEADLINES)}.")
    old = getattr(appraisal, f"{deadline}_due")
    edit(session, actor, appraisal, parties, "extend_deadline",
         details={"deadline": deadline, "from": old, "to": new_date, "reason": why})
    setattr(appraisal, f"{deadline}_due", new_date)
    if not appraisal.self_assessment_due <= appraisal.review_due <= appraisal.sign_off_due:
        raise ValidationFailed("The deadlines must run self-assessment, review, then sign-off; "
                               "extend the later ones first.")
    if appraisal.overdue_since and DUE_KIND_BY_STATE.get(appraisal.state) == deadline:
        appraisal.overdue_since = None
    session.add(appraisal)
    return appraisal


def reassign_appraiser(*, session: Session, actor: Actor, appraisal_id: int,
                       appraiser_email: str, reason: str, today: date | None = None
                       ) -> Appraisal:
    """Override the default routing (a conflict of interest, an absence), with the reason.

    The new appraiser must be eligible on ``today`` (``appraisers.eligible_appraisers``):
    a board member of the same organisation whose role may appraise the appraisee's role
    (``routing.MAY_APPRAISE``), or an external appraiser the organisation registered for
    it; never the appraisee, a company secretary, a leaver or someone of another board.

    Raises:
        ValidationFailed: no reason, or the person may not appraise this appraisal (the
            message lists who may be chosen).
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    check_edit("reassign_appraiser", appraisal.state, parties)
    why = _reason(reason)
    chosen = choose_appraiser(session, appraisal, appraiser_email, on=today)
    edit(session, actor, appraisal, parties, "reassign_appraiser",
         details={"from": appraisal.appraiser_id, "to": chosen.person_id, "reason": why,
                  "standing": chosen.standing})
    appraisal.appraiser_id, appraisal.routing_override_reason = chosen.person_id, why
    session.add(appraisal)
    return appraisal


def _close(action: str, *, session: Session, actor: Actor, appraisal_id: int, reason: str
           ) -> Appraisal:
    appraisal, parties = begin(session, actor, appraisal_id)
    check_transition(action, appraisal.state, parties)  # who and when before the reason
    why = _reason(reason)
    transition(session, actor, appraisal, parties, action, details={"reason": why})
    appraisal.closure_reason = why
    session.add(appraisal)
    return appraisal


def withdraw(*, session: Session, actor: Actor, appraisal_id: int, reason: str,
             today: date | None = None) -> Appraisal:
    """Withdraw (the director left the board): kept on record; a board member reference is
    opened (leaving on the appointment's end date, else ``today``).

    A meeting still to come is cancelled, and both parties are told.
    """
    appraisal = _close("withdraw", session=session, actor=actor, appraisal_id=appraisal_id,
                       reason=reason)
    cancel_for_closure(session, actor, appraisal)
    reference_on_withdrawal(session, actor, appraisal, reason, today or day_of(session))
    return appraisal


def defer(*, session: Session, actor: Actor, appraisal_id: int, reason: str) -> Appraisal:
    """Defer (new in post, long leave), with the reason; a meeting still to come is cancelled."""
    appraisal = _close("defer", session=session, actor=actor, appraisal_id=appraisal_id,
                       reason=reason)
    cancel_for_closure(session, actor, appraisal)
    return appraisal


def resume(*, session: Session, actor: Actor, appraisal_id: int, reason: str) -> Appraisal:
    """Bring a deferred appraisal back to not started."""
    return _close("resume", session=session, actor=actor, appraisal_id=appraisal_id, reason=reason)


def mark_submitted_to_nhse(*, session: Session, actor: Actor, appraisal_id: int) -> Appraisal:
    """Record that the signed record went to NHS England.

    Raises:
        ValidationFailed: this appraisal is held locally.
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    if appraisal.nhse_due is None:
        raise ValidationFailed("This appraisal is held locally; it does not go to NHS England.")
    transition(session, actor, appraisal, parties, "mark_submitted_to_nhse")
    return appraisal


def reopen_for_correction(*, session: Session, actor: Actor, appraisal_id: int, reason: str
                          ) -> Appraisal:
    """Reopen a signed record to correct it: both sign a new version; the old one stays."""
    appraisal = _close("reopen_for_correction", session=session, actor=actor,
                       appraisal_id=appraisal_id, reason=reason)
    appraisal.record_version += 1
    appraisal.completed_at = None
    session.add(appraisal)
    return appraisal


def check_may_delegate(session: Session, actor: Actor, organisation_id: int) -> None:
    """Only the organisation's chair delegates access to content.

    Raises:
        NotFound: the actor has no standing at the organisation (it is not shown to exist).
        NotAllowed: anyone else who is not its chair.
    """
    roles = current_roles(session, actor.person_id, organisation_id) \
        if actor.person_id is not None else set()
    if BoardRole.CHAIR not in roles:
        # Someone with no standing at the organisation is not told that it exists.
        if not roles and not sees_status_of(session, actor, organisation_id):
            raise NotFound(f"There is no organisation {organisation_id} that you chair.")
        raise NotAllowed("Only the organisation's chair can delegate access to content.")


def _chair_and_secretary(session: Session, actor: Actor, organisation_id: int,
                         delegate_email: str) -> Person:
    check_may_delegate(session, actor, organisation_id)
    person: Person | None = session.execute(select(Person).where(
        col(Person.email) == delegate_email.strip().lower())).scalar_one_or_none()
    if person is None or BoardRole.COMPANY_SECRETARY not in current_roles(
            session, person.id or 0, organisation_id):
        raise ValidationFailed(f"{delegate_email} is not this organisation's company secretary.")
    return person


def _live_delegation(session: Session, organisation_id: int, delegate_id: int
                     ) -> ContentDelegation | None:
    return session.execute(select(ContentDelegation).where(
        col(ContentDelegation.organisation_id) == organisation_id,
        col(ContentDelegation.delegate_id) == delegate_id,
        col(ContentDelegation.revoked_at).is_(None),
    )).scalars().first()


def delegate_content(*, session: Session, actor: Actor, organisation_id: int,
                     delegate_email: str) -> ContentDelegation:
    """The chair lets the company secretary see appraisal content for the organisation.

    Granting it again changes nothing. Every view of content stays audited.

    Raises:
        NotAllowed: only the organisation's chair delegates.
        ValidationFailed: the delegate is not the organisation's company secretary.
    """
    person = _chair_and_secretary(session, actor, organisation_id, delegate_email)
    existing = _live_delegation(session, organisation_id, person.id or 0)
    if existing is not None:
        return existing
    delegation = ContentDelegation(organisation_id=organisation_id, delegate_id=person.id or 0,
                                   granted_by_id=actor.person_id or 0,
                                   granted_at=moment_of(session))
    session.add(delegation)
    session.flush()
    record_events(session, actor, [PendingEvent("content_delegated", "organisation",
                                                organisation_id, organisation_id,
                                                {"delegate_id": person.id})])
    return delegation


def revoke_content_delegation(*, session: Session, actor: Actor, organisation_id: int,
                              delegate_email: str) -> bool:
    """The chair withdraws the company secretary's access to content; True if it was held.

    Raises:
        NotAllowed: only the organisation's chair revokes.
        ValidationFailed: the delegate is not the organisation's company secretary.
    """
    person = _chair_and_secretary(session, actor, organisation_id, delegate_email)
    existing = _live_delegation(session, organisation_id, person.id or 0)
    if existing is None:
        return False
    existing.revoked_at = moment_of(session)
    session.add(existing)
    record_events(session, actor, [PendingEvent("content_delegation_revoked", "organisation",
                                                organisation_id, organisation_id,
                                                {"delegate_id": person.id})])
    return True


def mark_overdue(*, session: Session, actor: Actor, today: date,
                 cycle_ids: list[int] | None = None) -> int:
    """Stamp ``overdue_since`` on open appraisals past their current deadline; returns how many."""
    marked = 0
    events: list[PendingEvent] = []
    for state, kind in DUE_KIND_BY_STATE.items():
        due = getattr(Appraisal, f"{kind}_due")
        statement = select(col(Appraisal.id), col(Appraisal.organisation_id), due).where(
            col(Appraisal.state) == state, due < today,
            col(Appraisal.overdue_since).is_(None))
        if cycle_ids is not None:
            statement = statement.where(col(Appraisal.cycle_id).in_(cycle_ids))
        rows = session.execute(statement).all()
        if not rows:
            continue
        ids = [r[0] for r in rows]
        for start in range(0, len(ids), 1000):
            session.execute(update(Appraisal).where(
                col(Appraisal.id).in_(ids[start:start + 1000])
            ).values(overdue_since=today, updated_at=moment_of(session)))
        events += [PendingEvent("marked_overdue", "appraisal", r[0], r[1],
                                {"deadline": kind, "due": r[2]}) for r in rows]
        marked += len(rows)
    record_events(session, actor, events)
    return marked

