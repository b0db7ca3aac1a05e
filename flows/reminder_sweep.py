"""The daily reminder sweep: read the open appraisals set-based, plan, queue once.

``daily_reminders(today)`` runs a handful of tasks, each planning and queueing a batch of
appraisals in one transaction. The unique idempotency key makes the queueing once-only, so
two sweeps of the same day at once (or a re-run after a crash) queue each reminder once.
"""

from __future__ import annotations

from datetime import date

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import col

from appraisal_store.deadlines import DUE_KIND_BY_STATE
from appraisal_store.models import Appraisal, Cycle, Organisation, Person
from appraisal_store.queries import company_secretaries
from appraisal_store.services.check_ins import queue_mid_year_reminders
from appraisal_store.services.endorsement import queue_endorsement_reminders
from appraisal_store.services.fppt_submissions import queue_fppt_reminders
from appraisal_store.services.reminders import queue_planned_reminders
from appraisal_store.sessions import read_session, write_session

from . import run_names
from .batching import batches
from .failures import fails_with_a_sentence
from .feedback import queue_respondent_reminders
from .prefect_settings import flow_settings
from .reminders import Contact, OpenAppraisal, plan_reminders
from .working_days import england


def open_appraisal_ids(*, year: str | None = None) -> list[int]:
    """The ids of every appraisal with a deadline still to meet, in order (one query)."""
    statement = (select(col(Appraisal.id))
                 .where(col(Appraisal.state).in_(list(DUE_KIND_BY_STATE)))
                 .order_by(col(Appraisal.id)))
    if year:
        statement = (statement.join(Cycle, col(Cycle.id) == Appraisal.cycle_id)
                     .where(col(Cycle.year) == year))
    with read_session() as session:
        return list(session.execute(statement).scalars())


def open_appraisals(*, year: str | None = None, id_range: tuple[int, int] | None = None
                    ) -> list[OpenAppraisal]:
    """Every appraisal with a deadline still to meet (those with ids in ``id_range``,
    inclusive, when given), with who is involved (one query)."""
    appraisee, appraiser = aliased(Person), aliased(Person)
    statement = (
        select(col(Appraisal.id), col(Appraisal.state), col(Appraisal.organisation_id),
               col(Appraisal.self_assessment_due), col(Appraisal.review_due),
               col(Appraisal.sign_off_due), col(Organisation.name), col(Cycle.year),
               col(appraisee.name), col(appraisee.email), col(appraiser.name), col(appraiser.email))
        .join(Cycle, col(Cycle.id) == Appraisal.cycle_id)
        .join(Organisation, col(Organisation.id) == Appraisal.organisation_id)
        .join(appraisee, col(appraisee.id) == col(Appraisal.appraisee_id))
        .outerjoin(appraiser, col(appraiser.id) == col(Appraisal.appraiser_id))
        .where(col(Appraisal.state).in_(list(DUE_KIND_BY_STATE)))
        .order_by(col(Appraisal.id))
    )
    if year:
        statement = statement.where(col(Cycle.year) == year)
    if id_range:
        statement = statement.where(col(Appraisal.id).between(*id_range))
    with read_session() as session:
        rows = session.execute(statement).all()
        secretaries = {org: tuple(Contact(name, email) for name, email in people)
                       for org, people in company_secretaries(
                           session, {row[2] for row in rows}).items()}
    result = []
    for (appraisal_id, state, organisation_id, self_due, review_due, sign_off_due, org_name,
         year_label, ee_name, ee_email, er_name, er_email) in rows:
        deadline = DUE_KIND_BY_STATE[state]
        due = {"self_assessment": self_due, "review": review_due,
               "sign_off": sign_off_due}[deadline]
        result.append(OpenAppraisal(
            appraisal_id, state, deadline, due, org_name, year_label, Contact(ee_name, ee_email),
            Contact(er_name, er_email) if er_email else None,
            secretaries.get(organisation_id, ())))
    return result


def queue_reminders(rows: list[OpenAppraisal], today: date) -> int:
    """Plan and queue one batch's reminders in one transaction; returns how many were new."""
    messages = plan_reminders(rows, today, england())
    with write_session() as session:
        return queue_planned_reminders(session=session, reminders=messages)


@task(name="queue-reminders", cache_policy=NO_CACHE, persist_result=False)
def queue_reminder_batch(id_range: tuple[int, int], today: date) -> int:
    """Queue the reminders of the open appraisals with ids in ``id_range`` (idempotent).

    The task is handed an id range, not the rows: Prefect records a task's parameters, and
    thousands of rows as parameters cost seconds.
    """
    return queue_reminders(open_appraisals(id_range=id_range), today)


@flow(name="daily-reminders", flow_run_name=run_names.daily_reminders_run, persist_result=False)
@fails_with_a_sentence
def daily_reminders(today: date | None = None) -> int:
    """Queue today's reminders and escalations for every open appraisal; returns how many new.

    Safe to run any number of times a day, and twice at once: each reminder is queued once
    per appraisal, deadline, due date and stage. Nothing is queued on a weekend or an
    English bank holiday.
    """
    day = today or date.today()
    if not england().is_working_day(day):
        return 0
    ranges = [(batch[0], batch[-1])
              for batch in batches(open_appraisal_ids(), most_batches=4, least_size=1000)]
    # One after another: on SQLite the batches' writes take turns anyway.
    return (sum(queue_reminder_batch(id_range, day) for id_range in ranges)
            + queue_respondent_reminders(day)  # multi-source feedback's respondents
            + queue_endorsement_reminder_task(day) + queue_mid_year_reminder_task(day)
            + queue_fppt_reminder_batch(day))


@task(name="queue-fppt-reminders", cache_policy=NO_CACHE, persist_result=False)
def queue_fppt_reminder_batch(today: date) -> int:
    """Queue the FPPT's reminders: the annual submission and open Board Member References."""
    with write_session() as session:
        return queue_fppt_reminders(session=session, today=today)


@task(name="queue-endorsement-reminders", cache_policy=NO_CACHE, persist_result=False)
def queue_endorsement_reminder_task(today: date) -> int:
    """Remind NHS England's regional directors of the records awaiting their endorsement."""
    with write_session() as session:
        return queue_endorsement_reminders(session=session, today=today)


@task(name="queue-mid-year-reminders", cache_policy=NO_CACHE, persist_result=False)
def queue_mid_year_reminder_task(today: date) -> int:
    """Remind both parties of a signed-off appraisal that its mid-year review is due."""
    with write_session() as session:
        return queue_mid_year_reminders(session=session, today=today)


def run_daily_reminders(*, today: date | None = None) -> int:
    """Plain entry point: the ``daily_reminders`` flow with our Prefect settings."""
    with flow_settings():
        return daily_reminders(today=today)
