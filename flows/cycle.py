"""Opening and closing the year's cycle as Prefect flows, in batches of organisations.

``open_cycle`` runs one task per batch of organisations, each one transaction through the
``open_cycles`` service (appraisals in bulk, audit events, invitations). A crash between
batches loses nothing: the committed batches are found on the re-run and kept as they are,
the rest are opened. ``close_cycle`` marks what is overdue and writes the reports.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select
from sqlmodel import col

from appraisal_store.actors import Actor
from appraisal_store.models import Cycle, Organisation
from appraisal_store.services.administration import mark_overdue
from appraisal_store.services.cycles import OpenedCycle, open_cycles, resolve_dates
from appraisal_store.sessions import read_session, write_session

from . import run_names
from .batching import batches
from .failures import fails_with_a_sentence
from .fault_points import fault_point
from .prefect_settings import flow_settings
from .progress import report_progress
from .reports import CycleReports, write_cycle_reports

FLOW_ACTOR = "open-cycle flow"


@task(name="open-organisations", cache_policy=NO_CACHE, persist_result=False)
def open_organisations(year: str, codes: list[str], self_assessment_due: date | None,
                       review_due: date | None, sign_off_due: date | None,
                       today: date | None) -> list[OpenedCycle]:
    """Open the cycle for one batch of organisations in one transaction (idempotent)."""
    dates = resolve_dates(year, self_assessment_due=self_assessment_due, review_due=review_due,
                          sign_off_due=sign_off_due)
    with write_session() as session:
        return open_cycles(session=session, actor=Actor.system(FLOW_ACTOR), year=year,
                           organisation_codes=codes, dates=dates, today=today)


@flow(name="open-cycle", flow_run_name=run_names.open_cycle_run, persist_result=False)
@fails_with_a_sentence
def open_cycle(year: str, organisation_codes: list[str], self_assessment_due: date | None = None,
               review_due: date | None = None, sign_off_due: date | None = None,
               today: date | None = None) -> list[OpenedCycle]:
    """Open ``year`` for the organisations, a batch of organisations per task run.

    Safe to re-run, also after a crash: an appraisal already opened is kept, never doubled,
    and each invitation is queued once (its key is ``invitation:{appraisal_id}``).

    Raises:
        ValidationFailed: bad dates or an unknown organisation code.
    """
    resolve_dates(year, self_assessment_due=self_assessment_due, review_due=review_due,
                  sign_off_due=sign_off_due)  # refuse bad dates before any batch runs
    opened: list[OpenedCycle] = []
    for batch in batches(list(organisation_codes), most_batches=6, least_size=20):
        opened += open_organisations(year, batch, self_assessment_due, review_due,
                                     sign_off_due, today)
        report_progress(len(batch))
        fault_point("kill-after-open-batch")
    return opened


def run_open_cycle(*, year: str, organisation_codes: list[str],
                   self_assessment_due: date | None = None, review_due: date | None = None,
                   sign_off_due: date | None = None, today: date | None = None
                   ) -> list[OpenedCycle]:
    """Plain entry point: the ``open_cycle`` flow with our Prefect settings."""
    with flow_settings():
        return open_cycle(year, organisation_codes, self_assessment_due, review_due,
                          sign_off_due, today)


@task(name="mark-overdue", cache_policy=NO_CACHE, persist_result=False)
def mark_overdue_in(year: str, codes: list[str], today: date) -> int:
    """Stamp the overdue appraisals of the year's cycles (idempotent: stamped once)."""
    with write_session() as session:
        cycle_ids = list(session.execute(
            select(col(Cycle.id)).join(Organisation, col(Organisation.id) == Cycle.organisation_id)
            .where(col(Cycle.year) == year, col(Organisation.code).in_(codes))
        ).scalars())
        return mark_overdue(session=session, actor=Actor.system("close-cycle flow"),
                            today=today, cycle_ids=cycle_ids)


@task(name="write-reports", cache_policy=NO_CACHE, persist_result=False)
def write_reports(year: str, codes: list[str], today: date, folder: Path) -> CycleReports:
    """Write the completion reports of a batch of organisations (overwrites: idempotent)."""
    return write_cycle_reports(year=year, codes=codes, today=today, folder=folder,
                               with_submission_list=False)


@task(name="write-submission-list", cache_policy=NO_CACHE, persist_result=False)
def write_submission_list(year: str, codes: list[str], today: date, folder: Path
                          ) -> CycleReports:
    """Write the NHS England submission list of the organisations."""
    return write_cycle_reports(year=year, codes=codes, today=today, folder=folder,
                               with_submission_list=True, with_completion=False)


@flow(name="close-cycle", flow_run_name=run_names.close_cycle_run, persist_result=False)
@fails_with_a_sentence
def close_cycle(year: str, organisation_codes: list[str], today: date | None = None,
                reports_dir: Path | None = None) -> CycleReports:
    """Mark what is overdue and write the year's reports into ``reports/{year}/``.

    Per organisation: completion CSV, XLSX and an HTML summary. For all of them: the NHS
    England submission list (ICB and NHS trust chairs by 30 June, their NEDs by 30
    September, with state; foundation trust and executive forms held locally). Safe to
    re-run: overdue is stamped once and the files are rewritten whole.
    """
    from appraisal_store.config import settings

    day = today or date.today()
    folder = (reports_dir or settings().reports_dir) / year.replace("/", "-")
    codes = list(organisation_codes)
    overdue = mark_overdue_in(year, codes, day)
    reports = CycleReports(folder=folder, newly_overdue=overdue)
    for batch in batches(codes, most_batches=20, least_size=50):
        reports.add(write_reports(year, batch, day, folder))
        report_progress(len(batch))
    reports.add(write_submission_list(year, codes, day, folder))
    return reports


def run_close_cycle(*, year: str, organisation_codes: list[str] | None = None,
                    today: date | None = None) -> CycleReports:
    """Plain entry point: ``close_cycle`` with our Prefect settings (all organisations by
    default)."""
    if organisation_codes is None:
        with read_session() as session:
            organisation_codes = list(session.execute(
                select(col(Organisation.code)).order_by(col(Organisation.code))).scalars())
    with flow_settings():
        return close_cycle(year, organisation_codes, today)
