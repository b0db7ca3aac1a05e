"""Opening feedback rounds, set-based: for one appraisal or a whole cycle's.

A round belongs to one appraisal and pins the current feedback form and the variant for
the appraisee's role (the full form for executives and the chair, the shorter one for
non-executive directors). Opening a cycle's rounds nominates each appraisee's board
colleagues by default (as many as the variant suggests) in a few statements for any
number of appraisals, like the opening of the cycle. Each invited respondent gets one
invitation; the idempotency key ``feedback-invitation:{respondent_id}`` makes a re-run
queue nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import PendingEvent, record_events
from ..config import settings
from ..date_words import long_date
from ..errors import InvalidTransition, NotFound, ValidationFailed
from ..feedback_links import PURPOSE
from ..feedback_tables import FeedbackRespondent, FeedbackRound, RespondentStatus
from ..home_keys import home_key
from ..models import Appointment, Appraisal, Cycle, Organisation, Person
from ..outbox import QueuedMessage, queue_messages
from ..upsert import dialect_insert
from ..vocabulary import OPEN_STATES
from .feedback import INVITATION, Nomination, check_may_run, nomination_problems, respondent_row
from .feedback_forms import current_feedback_form, form_of

# Long enough for a busy board member to find half an hour.
DEFAULT_OPEN_DAYS = 21
DEFAULT_GROUP = "board"


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


def _board_colleagues(session: Session, organisation_ids: set[int],
                      on: date) -> dict[int, list[tuple[int, str, str]]]:
    """The board members in post at each organisation: (person id, name, email)."""
    found: dict[int, list[tuple[int, str, str]]] = {}
    rows = session.execute(
        select(col(Appointment.organisation_id), col(Person.id), col(Person.name),
               col(Person.email), col(Appointment.role))
        .join(Person, col(Person.id) == Appointment.person_id)
        .where(col(Appointment.organisation_id).in_(organisation_ids),
               col(Appointment.start_date) <= on,
               col(Appointment.end_date).is_(None) | (col(Appointment.end_date) >= on))
        .order_by(col(Appointment.organisation_id), col(Person.id))).all()
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
        raise ValidationFailed(f"The closing date {long_date(closes_on)} is in the past: "
                               f"choose a day from {long_date(today)} on. No round was opened.")
    if nominations is not None and len(appraisal_ids) != 1:
        raise ValidationFailed("Nominations are given for one appraisal at a time.")
    version = current_feedback_form(session, actor)
    form = form_of(version)
    groups = {g.id: g.name for g in form.groups}
    rows = session.execute(
        # Plain columns, not the table's objects: building thousands of them cost more than
        # the rest of the opening.
        select(col(Appraisal.id), col(Appraisal.organisation_id), col(Appraisal.appraisee_id),
               col(Appraisal.appraiser_id), col(Appraisal.state), col(Appraisal.review_due),
               col(Appointment.role), col(Organisation.type), col(Person.email), col(Person.name),
               col(Organisation.name), col(Cycle.year))
        .join(Appointment, col(Appointment.id) == Appraisal.appointment_id)
        .join(Organisation, col(Organisation.id) == Appraisal.organisation_id)
        .join(Person, col(Person.id) == Appraisal.appraisee_id)
        .join(Cycle, col(Cycle.id) == Appraisal.cycle_id)
        .where(col(Appraisal.id).in_(list(appraisal_ids)))).all()
    if len(rows) != len(set(appraisal_ids)):
        missing = sorted(set(appraisal_ids) - {r[0] for r in rows})
        raise NotFound(f"There is no appraisal {', '.join(map(str, missing))}.")
    existing = set(session.execute(select(col(FeedbackRound.appraisal_id)).where(
        col(FeedbackRound.appraisal_id).in_(list(appraisal_ids)))).scalars())
    colleagues = (_board_colleagues(session, {r[1] for r in rows}, today)
                  if nominations is None else {})
    plans: list[_Plan] = []
    for row in rows:
        appraisal, (role, org_type, appraisee_email, appraisee, organisation, year) = (
            row, row[6:])
        check_may_run(session, actor, appraisal)
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
            problems = nomination_problems(
                chosen, appraisee_email=appraisee_email, taken=set(),
                groups={g: n for g, n in groups.items()
                        if (group := form.group(g)) and group.applies_to(role.value,
                                                                          org_type.value)})
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
    ids = dict(session.execute(select(col(FeedbackRound.appraisal_id), col(FeedbackRound.id)).where(
        col(FeedbackRound.appraisal_id).in_([p.appraisal_id for p in plans]),
        col(FeedbackRound.opened_at) == now)).tuples().all())
    key = home_key(PURPOSE)  # derived once: a token per respondent
    respondents = [respondent_row(ids[p.appraisal_id], n, RespondentStatus.INVITED, now,
                                   key=key)
                   for p in plans if p.appraisal_id in ids for n in p.nominations]
    for start in range(0, len(respondents), 2000):
        connection.execute(insert(FeedbackRespondent), respondents[start:start + 2000])
    by_round = {ids[p.appraisal_id]: p for p in plans if p.appraisal_id in ids}
    added = session.execute(select(
        col(FeedbackRespondent.id), col(FeedbackRespondent.round_id), col(FeedbackRespondent.email),
        col(FeedbackRespondent.name), col(FeedbackRespondent.link_nonce)).where(
        col(FeedbackRespondent.round_id).in_(list(by_round)))).all()
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
