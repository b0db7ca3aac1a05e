"""Feedback rounds: opened, respondents nominated (or proposed and approved), closed.

A round belongs to one appraisal and pins the current feedback form and the variant for
the appraisee's role (the full form for executives and the chair, the shorter one for
non-executive directors). The appraiser or an administrator of the organisation (chair,
company secretary) opens it; opening a whole cycle's rounds nominates each appraisee's
board colleagues by default (as many as the variant suggests) and goes set-based, like the
opening of the cycle. Each invited respondent gets one invitation; the idempotency key
``feedback-invitation:{respondent_id}`` makes a re-run queue nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import PendingEvent, record_events
from ..errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from ..feedback_links import link_token, new_nonce, token_digest
from ..feedback_tables import (
    FeedbackDraft,
    FeedbackFormVersion,
    FeedbackRespondent,
    FeedbackRound,
    RespondentStatus,
)
from ..models import Appointment, Appraisal, Cycle, Organisation, Person
from ..names import email_problem, name_problem, shown
from ..outbox import QueuedMessage, queue_messages
from ..upsert import dialect_insert
from .access import is_org_administrator
from .feedback_forms import form_of

INVITATION = "feedback_invitation"  # the email's template


@dataclass(frozen=True)
class Nomination:
    name: str
    email: str
    group_id: str


def check_may_run(session: Session, actor: Actor, appraisal: Any) -> None:
    """NotAllowed unless the actor runs rounds for ``appraisal`` (a row or the object)."""
    if actor.is_system or actor.person_id == appraisal.appraiser_id:
        return
    if actor.person_id != appraisal.appraisee_id and is_org_administrator(
            session, actor, appraisal.organisation_id):
        return
    raise NotAllowed("Only the appraiser or the organisation's chair or company secretary can "
                     "run this appraisal's feedback round.")


def _appraisal(session: Session, appraisal_id: int) -> Appraisal:
    appraisal = session.get(Appraisal, appraisal_id)
    if appraisal is None:
        raise NotFound(f"There is no appraisal {appraisal_id}.")
    return appraisal


def round_of(session: Session, appraisal_id: int, *, for_update: bool = False) -> FeedbackRound:
    statement = select(FeedbackRound).where(col(FeedbackRound.appraisal_id) == appraisal_id)
    if for_update:
        statement = statement.with_for_update()
    found: FeedbackRound | None = session.execute(statement).scalar_one_or_none()
    if found is None:
        raise NotFound(f"Appraisal {appraisal_id} has no feedback round.")
    return found


def nomination_problems(nominations: Sequence[Nomination], *, appraisee_email: str,
                        taken: set[str], groups: dict[str, str]) -> list[str]:
    """Every problem with ``nominations``, each naming the row (1-based) and what is wrong."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for row, n in enumerate(nominations, start=1):
        email = n.email.strip().lower()
        if (problem := name_problem(n.name)):
            problems.append(f"respondent {row}: the name {problem}")
        if (problem := email_problem(email)) or "@" not in email or " " in email:
            problems.append(f"respondent {row}: '{shown(n.email)}' is not an email address")
            continue
        if email == appraisee_email.lower():
            problems.append(f"respondent {row}: {email} is the appraisee; nobody gives "
                            "feedback on themselves")
        if email in taken:
            problems.append(f"respondent {row}: {email} is already asked in this round")
        if email in seen:
            problems.append(f"respondent {row}: {email} is given twice (first as respondent "
                            f"{seen[email]})")
        seen.setdefault(email, row)
        if n.group_id not in groups:
            problems.append(f"respondent {row}: the group '{shown(n.group_id)}' is not one of "
                            f"{', '.join(groups)}")
    return problems


def respondent_row(round_id: int, n: Nomination, status: RespondentStatus, now: datetime,
                    proposed: bool = False, key: bytes | None = None) -> dict[str, Any]:
    nonce = new_nonce()
    return {"round_id": round_id, "name": " ".join(n.name.split()),
            "email": n.email.strip().lower(), "group_id": n.group_id, "status": status,
            "proposed_by_appraisee": proposed, "link_nonce": nonce,
            "token_hash": token_digest(link_token(nonce, key=key)), "created_at": now}


def invitation(respondent: Any, *, appraisee: str, organisation: str, year: str,
               closes_on: date, threshold: int) -> QueuedMessage:
    """The respondent's invitation: their link is derived from the nonce when it is sent."""
    return QueuedMessage(
        f"feedback-invitation:{respondent.id}", INVITATION, respondent.email,
        respondent.name, None,
        {"feedback_nonce": respondent.link_nonce, "appraisee_name": appraisee,
         "organisation": organisation, "year": year, "due": closes_on.isoformat(),
         "threshold": threshold})


def _queue_invitations(session: Session, respondent_ids: Sequence[int]) -> int:
    if not respondent_ids:
        return 0
    rows = session.execute(
        select(col(FeedbackRespondent.id), col(FeedbackRespondent.email),
               col(FeedbackRespondent.name), col(FeedbackRespondent.link_nonce),
               col(FeedbackRound.closes_on), col(FeedbackRound.group_threshold),
               col(Person.name).label("appraisee"), col(Organisation.name).label("organisation"),
               col(Cycle.year))
        .join(FeedbackRound, col(FeedbackRound.id) == FeedbackRespondent.round_id)
        .join(Appraisal, col(Appraisal.id) == FeedbackRound.appraisal_id)
        .join(Person, col(Person.id) == Appraisal.appraisee_id)
        .join(Organisation, col(Organisation.id) == Appraisal.organisation_id)
        .join(Cycle, col(Cycle.id) == Appraisal.cycle_id)
        .where(col(FeedbackRespondent.id).in_(list(respondent_ids)))
    ).all()
    return queue_messages(session, [
        invitation(r, appraisee=r.appraisee, organisation=r.organisation, year=r.year,
                   closes_on=r.closes_on, threshold=r.group_threshold) for r in rows])


def _open_round_for(session: Session, actor: Actor, appraisal_id: int,
                    today: date) -> tuple[Appraisal, FeedbackRound]:
    appraisal = _appraisal(session, appraisal_id)
    found = round_of(session, appraisal_id, for_update=True)
    if found.closed_at is not None or found.closes_on < today:
        raise InvalidTransition(f"The feedback round of appraisal {appraisal_id} has closed.")
    return appraisal, found


def _taken(session: Session, round_id: int) -> set[str]:
    return set(session.execute(select(col(FeedbackRespondent.email)).where(
        col(FeedbackRespondent.round_id) == round_id)).scalars())


def _groups_for(session: Session, round_: FeedbackRound, appraisal: Appraisal) -> dict[str, str]:
    version = session.get(FeedbackFormVersion, round_.form_version_id)
    assert version is not None  # a foreign key
    role = session.execute(select(col(Appointment.role)).where(
        col(Appointment.id) == appraisal.appointment_id)).scalar_one()
    org_type = session.execute(select(col(Organisation.type)).where(
        col(Organisation.id) == appraisal.organisation_id)).scalar_one()
    return {g.id: g.name for g in form_of(version).groups
            if g.applies_to(role.value, org_type.value)}


def nominate(*, session: Session, actor: Actor, appraisal_id: int,
             nominations: Sequence[Nomination], today: date, now: datetime) -> int:
    """Ask more respondents in an open round (the appraiser or an administrator); the
    appraisee proposes instead (``propose``). Returns how many were invited.

    Raises:
        NotAllowed, NotFound, InvalidTransition (the round has closed), ValidationFailed
        (a bad or repeated address, the appraisee, an unknown group: nothing is written).
    """
    appraisal, round_ = _open_round_for(session, actor, appraisal_id, today)
    check_may_run(session, actor, appraisal)
    return _add(session, actor, appraisal, round_, nominations, RespondentStatus.INVITED, now)


def propose(*, session: Session, actor: Actor, appraisal_id: int,
            nominations: Sequence[Nomination], today: date, now: datetime) -> int:
    """The appraisee proposes respondents, for the appraiser to approve.

    Raises:
        NotAllowed: not the appraisee, or the round does not take proposals.
        InvalidTransition, ValidationFailed: as for ``nominate``.
    """
    appraisal, round_ = _open_round_for(session, actor, appraisal_id, today)
    if actor.person_id != appraisal.appraisee_id or not round_.appraisee_may_propose:
        raise NotAllowed("Only the appraisee proposes respondents, and only where the round "
                         "asks for proposals.")
    return _add(session, actor, appraisal, round_, nominations, RespondentStatus.PROPOSED, now)


def _add(session: Session, actor: Actor, appraisal: Appraisal, round_: FeedbackRound,
         nominations: Sequence[Nomination], status: RespondentStatus, now: datetime) -> int:
    appraisee_email = session.execute(select(col(Person.email)).where(
        col(Person.id) == appraisal.appraisee_id)).scalar_one()
    problems = nomination_problems(nominations, appraisee_email=appraisee_email,
                                   taken=_taken(session, round_.id or 0),
                                   groups=_groups_for(session, round_, appraisal))
    if not nominations:
        problems.append("name at least one respondent")
    if problems:
        raise ValidationFailed("Nobody was added to the round.", problems)
    rows = [respondent_row(round_.id or 0, n, status, now,
                            proposed=status is RespondentStatus.PROPOSED) for n in nominations]
    session.connection().execute(dialect_insert(session.get_bind().dialect.name)(
        FeedbackRespondent), rows)
    added = list(session.execute(select(col(FeedbackRespondent.id)).where(
        col(FeedbackRespondent.token_hash).in_([r["token_hash"] for r in rows]))).scalars())
    record_events(session, actor, [PendingEvent(
        "feedback_respondents_proposed" if status is RespondentStatus.PROPOSED
        else "feedback_respondents_nominated", "appraisal", appraisal.id or 0,
        appraisal.organisation_id, {"respondents": added})], at=now)
    if status is RespondentStatus.INVITED:
        _queue_invitations(session, [i for i in added if i is not None])
    return len(added)


def decide_proposals(*, session: Session, actor: Actor, appraisal_id: int,
                     approved: Sequence[int], refused: Sequence[int], today: date,
                     now: datetime) -> int:
    """Approve (invite) or refuse the appraisee's proposals; returns how many were invited.

    Raises:
        NotAllowed, NotFound, InvalidTransition, ValidationFailed (an id that is not a
        proposal of this round).
    """
    appraisal, round_ = _open_round_for(session, actor, appraisal_id, today)
    check_may_run(session, actor, appraisal)
    proposals = set(session.execute(select(col(FeedbackRespondent.id)).where(
        col(FeedbackRespondent.round_id) == round_.id,
        col(FeedbackRespondent.status) == RespondentStatus.PROPOSED)).scalars())
    unknown = (set(approved) | set(refused)) - proposals
    if unknown or set(approved) & set(refused):
        raise ValidationFailed("No proposal was decided.",
                               [f"respondent {i} is not a proposal waiting in this round"
                                for i in sorted(unknown)] or
                               ["a proposal cannot be both approved and refused"])
    for ids, status in ((approved, RespondentStatus.INVITED),
                        (refused, RespondentStatus.WITHDRAWN)):
        if ids:
            session.execute(update(FeedbackRespondent).where(
                col(FeedbackRespondent.id).in_(list(ids))).values(status=status))
    record_events(session, actor, [PendingEvent(
        "feedback_proposals_decided", "appraisal", appraisal_id, appraisal.organisation_id,
        {"approved": sorted(approved), "refused": sorted(refused)})], at=now)
    return _queue_invitations(session, list(approved))


def close_rounds(*, session: Session, actor: Actor, appraisal_ids: Sequence[int],
                 now: datetime) -> int:
    """Close the rounds of ``appraisal_ids`` that are still open; unsubmitted drafts are
    deleted and every link stops working. Returns how many closed (a re-run closes none).

    Raises:
        NotAllowed: the actor may not run one of the rounds.
    """
    rounds = session.execute(select(FeedbackRound, Appraisal).join(
        Appraisal, col(Appraisal.id) == FeedbackRound.appraisal_id).where(
        col(FeedbackRound.appraisal_id).in_(list(appraisal_ids)),
        col(FeedbackRound.closed_at).is_(None)).with_for_update()).all()
    for _, appraisal in rounds:
        check_may_run(session, actor, appraisal)
    round_ids = [r.id for r, _ in rounds]
    if not round_ids:
        return 0
    respondents = select(col(FeedbackRespondent.id)).where(
        col(FeedbackRespondent.round_id).in_(round_ids))
    session.execute(delete(FeedbackDraft).where(col(FeedbackDraft.respondent_id).in_(respondents)))
    session.execute(update(FeedbackRespondent).where(
        col(FeedbackRespondent.round_id).in_(round_ids))
        .values(session_hash=None, csrf_token=None))
    session.execute(update(FeedbackRound).where(col(FeedbackRound.id).in_(round_ids))
                    .values(closed_at=now))
    record_events(session, actor, [PendingEvent("feedback_round_closed", "appraisal",
                                                a.id or 0, a.organisation_id, {})
                                   for _, a in rounds], at=now)
    return len(round_ids)


def due_round_appraisal_ids(session: Session, today: date) -> list[int]:
    """The appraisals whose round is still open though its closing date has passed."""
    return list(session.execute(select(col(FeedbackRound.appraisal_id)).where(
        col(FeedbackRound.closed_at).is_(None), col(FeedbackRound.closes_on) < today)
        .order_by(col(FeedbackRound.appraisal_id))).scalars())
