"""Multi-source feedback as flows: opening rounds in batches, and the respondents' reminders.

``open_feedback_rounds`` runs one task per batch of appraisals, each one transaction
through the ``open_rounds`` service (rounds, respondents, audit events and invitations, all
set-based): a crash between batches loses nothing, the re-run finds the rounds already
open and keeps them. The daily reminder sweep calls ``queue_respondent_reminders``: the
respondents still to answer are reminded 5 and 1 working days before the closing date and
on it, each reminder once (its key names the respondent, the date and the stage).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select
from sqlmodel import col

from appraisal_store.actors import Actor
from appraisal_store.clock import utcnow
from appraisal_store.feedback_tables import FeedbackRespondent, FeedbackRound, RespondentStatus
from appraisal_store.models import Appraisal, Cycle, Organisation, Person
from appraisal_store.outbox import QueuedMessage
from appraisal_store.services.feedback import OpenedRounds, open_rounds
from appraisal_store.services.reminders import queue_planned_reminders
from appraisal_store.sessions import read_session, write_session
from appraisal_store.vocabulary import OPEN_STATES

from .batching import batches
from .fault_points import fault_point
from .prefect_settings import flow_settings
from .progress import report_progress
from .working_days import WorkingCalendar, england

FLOW_ACTOR = "open-feedback-rounds flow"
BEFORE_CLOSING = (5, 1, 0)  # working days before the closing date; 0 is the day itself


def cycle_appraisal_ids(*, year: str, organisation_codes: list[str] | None) -> list[int]:
    """The open appraisals of the year (at the organisations given), in id order."""
    statement = (select(col(Appraisal.id))
                 .join(Cycle, col(Cycle.id) == col(Appraisal.cycle_id))
                 .join(Organisation, col(Organisation.id) == col(Appraisal.organisation_id))
                 .where(col(Cycle.year) == year,
                        col(Appraisal.state).in_(list(OPEN_STATES)))
                 .order_by(col(Appraisal.id)))
    if organisation_codes:
        statement = statement.where(col(Organisation.code).in_(
            [c.strip().upper() for c in organisation_codes]))
    with read_session() as session:
        return [i for i in session.execute(statement).scalars() if i is not None]


@task(name="open-feedback-batch", cache_policy=NO_CACHE, persist_result=False)
def open_round_batch(appraisal_ids: list[int], closes_on: date | None, today: date,
                     now: datetime, most_respondents: int | None = None) -> OpenedRounds:
    """Open the rounds of one batch of appraisals in one transaction (idempotent)."""
    with write_session() as session:
        return open_rounds(session=session, actor=Actor.system(FLOW_ACTOR),
                           appraisal_ids=appraisal_ids, today=today, now=now,
                           closes_on=closes_on, most_respondents=most_respondents)


@flow(name="open-feedback-rounds", persist_result=False)
def open_feedback_rounds(appraisal_ids: list[int], closes_on: date | None, today: date,
                         now: datetime, most_respondents: int | None = None) -> OpenedRounds:
    """Open a round for each appraisal, a batch of appraisals per task run.

    Safe to re-run, also after a crash: a round already open is kept, and each invitation
    is queued once (``feedback-invitation:{respondent_id}``).
    """
    opened = already = invited = 0
    for batch in batches(list(appraisal_ids), most_batches=20, least_size=500):
        result = open_round_batch(batch, closes_on, today, now, most_respondents)
        opened, already, invited = (opened + result.opened, already + result.already_open,
                                    invited + result.invited)
        report_progress(len(batch))
        fault_point("kill-after-feedback-batch")
    return OpenedRounds(opened, already, invited)


def run_open_feedback_rounds(*, appraisal_ids: list[int], closes_on: date | None = None,
                             today: date | None = None, most_respondents: int | None = None
                             ) -> OpenedRounds:
    """Plain entry point: ``open_feedback_rounds`` with our Prefect settings."""
    now = utcnow()
    with flow_settings():
        return open_feedback_rounds(appraisal_ids, closes_on, today or now.date(), now,
                                    most_respondents)


@dataclass(frozen=True)
class WaitingRespondent:
    respondent_id: int
    name: str
    email: str
    link_nonce: str
    invited_on: date
    closes_on: date
    threshold: int
    appraisee: str
    organisation: str
    year: str


def waiting_respondents() -> list[WaitingRespondent]:
    """Every respondent asked and not yet answered, in a round still open (one query)."""
    statement = (
        select(col(FeedbackRespondent.id), col(FeedbackRespondent.name),
               col(FeedbackRespondent.email),
               col(FeedbackRespondent.link_nonce), col(FeedbackRespondent.created_at),
               col(FeedbackRound.closes_on), col(FeedbackRound.group_threshold), col(Person.name),
               col(Organisation.name), col(Cycle.year))
        .join(FeedbackRound, col(FeedbackRound.id) == col(FeedbackRespondent.round_id))
        .join(Appraisal, col(Appraisal.id) == col(FeedbackRound.appraisal_id))
        .join(Person, col(Person.id) == col(Appraisal.appraisee_id))
        .join(Organisation, col(Organisation.id) == col(Appraisal.organisation_id))
        .join(Cycle, col(Cycle.id) == col(Appraisal.cycle_id))
        .where(col(FeedbackRespondent.status) == RespondentStatus.INVITED,
               col(FeedbackRound.closed_at).is_(None))
        .order_by(col(FeedbackRespondent.id)))
    with read_session() as session:
        rows = session.execute(statement).all()
    return [WaitingRespondent(r[0], r[1], r[2], r[3], r[4].date(), r[5], r[6], r[7], r[8],
                              r[9]) for r in rows]


def closing_stage(closes_on: date, today: date, calendar: WorkingCalendar) -> str | None:
    """The reminder due today before a closing date (the latest reached of 5, 1 and 0
    working days before it, so a missed day is caught up once), or None."""
    if today > closes_on:
        return None
    remaining = calendar.working_days_between(today, closes_on)
    reached = [offset for offset in BEFORE_CLOSING if remaining <= offset]
    return str(min(reached)) if reached else None


def plan_respondent_reminders(rows: list[WaitingRespondent], today: date,
                              calendar: WorkingCalendar) -> list[QueuedMessage]:
    """The respondents' reminders due today (none on a weekend or a bank holiday, none on
    the day they were asked)."""
    if not calendar.is_working_day(today):
        return []
    messages = []
    for row in rows:
        stage = closing_stage(row.closes_on, today, calendar)
        if stage is None or row.invited_on >= today:
            continue
        messages.append(QueuedMessage(
            f"feedback-reminder:{row.respondent_id}:{row.closes_on.isoformat()}:{stage}",
            "feedback_reminder", row.email, row.name, None,
            {"feedback_nonce": row.link_nonce, "appraisee_name": row.appraisee,
             "organisation": row.organisation, "year": row.year,
             "due": row.closes_on.isoformat(), "stage": stage, "threshold": row.threshold}))
    return messages


@task(name="queue-respondent-reminders", cache_policy=NO_CACHE, persist_result=False)
def queue_respondent_reminders(today: date) -> int:
    """Queue today's respondent reminders in one transaction; returns how many were new."""
    messages = plan_respondent_reminders(waiting_respondents(), today, england())
    with write_session() as session:
        return queue_planned_reminders(session=session, reminders=messages)
