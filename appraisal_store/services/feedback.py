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
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import PendingEvent, record_events
from ..config import settings
from ..errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from ..feedback_links import PURPOSE, link_token, new_nonce, token_digest
from ..feedback_tables import (
    FeedbackDraft,
    FeedbackFormVersion,
    FeedbackRespondent,
    FeedbackRound,
    RespondentStatus,
)
from ..home_keys import home_key
from ..models import Appointment, Appraisal, Cycle, Organisation, Person
from ..names import email_problem, name_problem, shown
from ..outbox import QueuedMessage, queue_messages
from ..upsert import dialect_insert
from ..vocabulary import OPEN_STATES
from .access import is_org_administrator
from .feedback_forms import current_feedback_form, form_of

# Long enough for a busy board member to find half an hour.
DEFAULT_OPEN_DAYS = 21
DEFAULT_GROUP = "board"
INVITATION = "feedback_invitation"  # the email's template


@dataclass(frozen=True)
class Nomination:
    name: str
    email: str
    group_id: str


@dataclass(frozen=True)
class OpenedRounds:
    opened: int
    already_open: int
    invited: int


@dataclass
class _Plan:
    appraisal_id: int
    organisation_id: int
    appraisee_id: int
    role: str
    org_type: str
    closes_on: date
    nominations: list[Nomination]
    may_propose: bool
    appraisee: str = ""
    organisation: str = ""
    year: str = ""


def default_closing_date(appraisal: Any, today: date) -> date:
    """Before the review is due, and never sooner than ``DEFAULT_OPEN_DAYS`` from today."""
    review_due: date = appraisal.review_due
    return max(review_due - timedelta(days=14), today + timedelta(days=DEFAULT_OPEN_DAYS))


def _check_may_run(session: Session, actor: Actor, appraisal: Any) -> None:
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
    statement = select(FeedbackRound).where(FeedbackRound.appraisal_id == appraisal_id)
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


def _respondent_row(round_id: int, n: Nomination, status: RespondentStatus, now: datetime,
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
        select(FeedbackRespondent.id, FeedbackRespondent.email, FeedbackRespondent.name,
               FeedbackRespondent.link_nonce, FeedbackRound.closes_on,
               FeedbackRound.group_threshold, Person.name.label("appraisee"),  # type: ignore[attr-defined]
               Organisation.name.label("organisation"), Cycle.year)  # type: ignore[attr-defined]
        .join(FeedbackRound, FeedbackRound.id == FeedbackRespondent.round_id)
        .join(Appraisal, Appraisal.id == FeedbackRound.appraisal_id)
        .join(Person, Person.id == Appraisal.appraisee_id)
        .join(Organisation, Organisation.id == Appraisal.organisation_id)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .where(FeedbackRespondent.id.in_(list(respondent_ids)))  # type: ignore[union-attr]
    ).all()
    return queue_messages(session, [
        invitation(r, appraisee=r.appraisee, organisation=r.organisation, year=r.year,
                   closes_on=r.closes_on, threshold=r.group_threshold) for r in rows])


def _board_colleagues(session: Session, organisation_ids: set[int],
                      on: date) -> dict[int, list[tuple[int, str, str]]]:
    """The board members in post at each organisation: (person id, name, email)."""
    found: dict[int, list[tuple[int, str, str]]] = {}
    rows = session.execute(
        select(Appointment.organisation_id, Person.id, Person.name, Person.email,
               Appointment.role)
        .join(Person, Person.id == Appointment.person_id)
        .where(Appointment.organisation_id.in_(organisation_ids),  # type: ignore[attr-defined]
               col(Appointment.start_date) <= on,
               col(Appointment.end_date).is_(None) | (col(Appointment.end_date) >= on))
        .order_by(Appointment.organisation_id, Person.id)).all()
    for org_id, person_id, name, email, role in rows:
        if role.is_board_member and all(p[0] != person_id for p in found.get(org_id, [])):
            found.setdefault(org_id, []).append((person_id, name, email))
    return found


def open_rounds(*, session: Session, actor: Actor, appraisal_ids: Sequence[int], today: date,
                now: datetime, closes_on: date | None = None,
                nominations: Sequence[Nomination] | None = None,
                appraisee_may_propose: bool = False,
                most_respondents: int | None = None) -> OpenedRounds:
    """Open a round for each appraisal (those already with one are left as they are).

    With ``nominations`` (one appraisal only) those are invited; without, each appraisee's
    board colleagues in post are, up to the variant's suggested number (or
    ``most_respondents``). Set-based: a few statements for any number of appraisals.

    Raises:
        NotAllowed: the actor is not the appraiser nor an administrator of an appraisal.
        ValidationFailed: the closing date is in the past, or a nomination is bad (nothing
            is written).
        InvalidTransition: an appraisal is closed (withdrawn, deferred or complete).
    """
    if closes_on is not None and closes_on < today:
        raise ValidationFailed(f"The closing date {closes_on} is in the past: choose a day "
                               f"from {today} on. No round was opened.")
    if nominations is not None and len(appraisal_ids) != 1:
        raise ValidationFailed("Nominations are given for one appraisal at a time.")
    version = current_feedback_form(session, actor)
    form = form_of(version)
    groups = {g.id: g.name for g in form.groups}
    rows = session.execute(
        # Plain columns, not the table's objects: building thousands of them cost more than
        # the rest of the opening.
        select(Appraisal.id, Appraisal.organisation_id, Appraisal.appraisee_id,
               Appraisal.appraiser_id, Appraisal.state, Appraisal.review_due,
               Appointment.role, Organisation.type, Person.email, Person.name,
               Organisation.name, Cycle.year)
        .join(Appointment, Appointment.id == Appraisal.appointment_id)
        .join(Organisation, Organisation.id == Appraisal.organisation_id)
        .join(Person, Person.id == Appraisal.appraisee_id)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .where(Appraisal.id.in_(list(appraisal_ids)))).all()  # type: ignore[union-attr]
    if len(rows) != len(set(appraisal_ids)):
        missing = sorted(set(appraisal_ids) - {r[0] for r in rows})
        raise NotFound(f"There is no appraisal {', '.join(map(str, missing))}.")
    existing = set(session.execute(select(FeedbackRound.appraisal_id).where(
        FeedbackRound.appraisal_id.in_(list(appraisal_ids)))).scalars())  # type: ignore[attr-defined]
    colleagues = (_board_colleagues(session, {r[1] for r in rows}, today)
                  if nominations is None else {})
    plans: list[_Plan] = []
    for row in rows:
        appraisal, (role, org_type, appraisee_email, appraisee, organisation, year) = (
            row, row[6:])
        _check_may_run(session, actor, appraisal)
        if appraisal.id in existing:
            continue
        if appraisal.state not in OPEN_STATES:
            if len(rows) == 1:
                raise InvalidTransition(
                    f"Appraisal {appraisal.id} is {appraisal.state.label.lower()}: no feedback "
                    "round can be opened for it.")
            continue
        variant = form.variant_for(role.value)
        if nominations is not None:
            chosen = list(nominations)
            problems = nomination_problems(chosen, appraisee_email=appraisee_email, taken=set(),
                                           groups=groups)
            if problems:
                raise ValidationFailed("No round was opened.", problems)
        else:
            chosen = [Nomination(name, email, DEFAULT_GROUP)
                      for person_id, name, email in colleagues.get(appraisal.organisation_id, [])
                      if person_id != appraisal.appraisee_id][
                          :most_respondents or variant.respondents]
        plans.append(_Plan(appraisal.id or 0, appraisal.organisation_id, appraisal.appraisee_id,
                           role.value, org_type.value,
                           closes_on or default_closing_date(appraisal, today), chosen,
                           appraisee_may_propose, appraisee, organisation, year))
    invited = _write_rounds(session, actor, plans, version.id or 0, form, now)
    return OpenedRounds(len(plans), len(existing), invited)


def _write_rounds(session: Session, actor: Actor, plans: list[_Plan], version_id: int,
                  form: Any, now: datetime) -> int:
    if not plans:
        return 0
    insert = dialect_insert(session.get_bind().dialect.name)
    threshold = settings().feedback_group_threshold
    connection = session.connection()
    rounds = [{"appraisal_id": p.appraisal_id, "organisation_id": p.organisation_id,
               "form_version_id": version_id, "variant": form.variant_for(p.role).id,
               "closes_on": p.closes_on, "group_threshold": threshold,
               "appraisee_may_propose": p.may_propose, "opened_by": actor.label[:200],
               "opened_at": now} for p in plans]
    for start in range(0, len(rounds), 2000):
        connection.execute(insert(FeedbackRound).on_conflict_do_nothing(
            index_elements=["appraisal_id"]), rounds[start:start + 2000])
    ids = dict(session.execute(select(FeedbackRound.appraisal_id, FeedbackRound.id).where(
        FeedbackRound.appraisal_id.in_([p.appraisal_id for p in plans]),  # type: ignore[attr-defined]
        FeedbackRound.opened_at == now)).tuples().all())
    key = home_key(PURPOSE)  # derived once: a token per respondent
    respondents = [_respondent_row(ids[p.appraisal_id], n, RespondentStatus.INVITED, now,
                                   key=key)
                   for p in plans if p.appraisal_id in ids for n in p.nominations]
    for start in range(0, len(respondents), 2000):
        connection.execute(insert(FeedbackRespondent), respondents[start:start + 2000])
    by_round = {ids[p.appraisal_id]: p for p in plans if p.appraisal_id in ids}
    added = session.execute(select(
        FeedbackRespondent.id, FeedbackRespondent.round_id, FeedbackRespondent.email,
        FeedbackRespondent.name, FeedbackRespondent.link_nonce).where(
        FeedbackRespondent.round_id.in_(list(by_round)))).all()  # type: ignore[attr-defined]
    record_events(session, actor, [
        PendingEvent("feedback_round_opened", "appraisal", p.appraisal_id, p.organisation_id,
                     {"closes_on": p.closes_on.isoformat(), "respondents": len(p.nominations),
                      "variant": form.variant_for(p.role).id})
        for p in by_round.values()], at=now)
    # The invitations from what is in hand: no second read of what was just written.
    about = {round_id: {"appraisee_name": p.appraisee, "organisation": p.organisation,
                        "year": p.year, "due": p.closes_on.isoformat(), "threshold": threshold}
             for round_id, p in by_round.items()}
    return queue_messages(session, [
        QueuedMessage(f"feedback-invitation:{respondent_id}", INVITATION, email, name, None,
                      {"feedback_nonce": nonce, **about[round_id]})
        for respondent_id, round_id, email, name, nonce in added])


def _open_round_for(session: Session, actor: Actor, appraisal_id: int,
                    today: date) -> tuple[Appraisal, FeedbackRound]:
    appraisal = _appraisal(session, appraisal_id)
    found = round_of(session, appraisal_id, for_update=True)
    if found.closed_at is not None or found.closes_on < today:
        raise InvalidTransition(f"The feedback round of appraisal {appraisal_id} has closed.")
    return appraisal, found


def _taken(session: Session, round_id: int) -> set[str]:
    return set(session.execute(select(FeedbackRespondent.email).where(
        FeedbackRespondent.round_id == round_id)).scalars())


def _groups_for(session: Session, round_: FeedbackRound, appraisal: Appraisal) -> dict[str, str]:
    version = session.get(FeedbackFormVersion, round_.form_version_id)
    assert version is not None  # a foreign key
    role = session.execute(select(Appointment.role).where(
        Appointment.id == appraisal.appointment_id)).scalar_one()
    org_type = session.execute(select(Organisation.type).where(
        Organisation.id == appraisal.organisation_id)).scalar_one()
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
    _check_may_run(session, actor, appraisal)
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
    appraisee_email = session.execute(select(Person.email).where(
        Person.id == appraisal.appraisee_id)).scalar_one()
    problems = nomination_problems(nominations, appraisee_email=appraisee_email,
                                   taken=_taken(session, round_.id or 0),
                                   groups=_groups_for(session, round_, appraisal))
    if not nominations:
        problems.append("name at least one respondent")
    if problems:
        raise ValidationFailed("Nobody was added to the round.", problems)
    rows = [_respondent_row(round_.id or 0, n, status, now,
                            proposed=status is RespondentStatus.PROPOSED) for n in nominations]
    session.connection().execute(dialect_insert(session.get_bind().dialect.name)(
        FeedbackRespondent), rows)
    added = list(session.execute(select(FeedbackRespondent.id).where(
        FeedbackRespondent.token_hash.in_([r["token_hash"] for r in rows]))).scalars())  # type: ignore[attr-defined]
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
    _check_may_run(session, actor, appraisal)
    proposals = set(session.execute(select(FeedbackRespondent.id).where(
        FeedbackRespondent.round_id == round_.id,
        FeedbackRespondent.status == RespondentStatus.PROPOSED)).scalars())
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
                FeedbackRespondent.id.in_(list(ids))).values(status=status))  # type: ignore[union-attr]
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
        Appraisal, Appraisal.id == FeedbackRound.appraisal_id).where(
        FeedbackRound.appraisal_id.in_(list(appraisal_ids)),  # type: ignore[attr-defined]
        FeedbackRound.closed_at.is_(None)).with_for_update()).all()  # type: ignore[union-attr]
    for _, appraisal in rounds:
        _check_may_run(session, actor, appraisal)
    round_ids = [r.id for r, _ in rounds]
    if not round_ids:
        return 0
    respondents = select(FeedbackRespondent.id).where(
        FeedbackRespondent.round_id.in_(round_ids))  # type: ignore[attr-defined]
    session.execute(delete(FeedbackDraft).where(FeedbackDraft.respondent_id.in_(respondents)))  # type: ignore[attr-defined]
    session.execute(update(FeedbackRespondent).where(
        FeedbackRespondent.round_id.in_(round_ids))  # type: ignore[attr-defined]
        .values(session_hash=None, csrf_token=None))
    session.execute(update(FeedbackRound).where(FeedbackRound.id.in_(round_ids))  # type: ignore[union-attr]
                    .values(closed_at=now))
    record_events(session, actor, [PendingEvent("feedback_round_closed", "appraisal",
                                                a.id or 0, a.organisation_id, {})
                                   for _, a in rounds], at=now)
    return len(round_ids)


def due_round_appraisal_ids(session: Session, today: date) -> list[int]:
    """The appraisals whose round is still open though its closing date has passed."""
    return list(session.execute(select(FeedbackRound.appraisal_id).where(
        FeedbackRound.closed_at.is_(None), FeedbackRound.closes_on < today)  # type: ignore[union-attr]
        .order_by(FeedbackRound.appraisal_id)).scalars())
