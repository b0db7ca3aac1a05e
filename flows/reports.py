"""The cycle's reports: completion per organisation (CSV, XLSX, HTML) and the NHS England
submission list. They are kept in the store (``StoredReport``, one transaction a batch), so
the portal and ``appraisal reports`` hand them out on any machine; outside production they
are also written into ``APPRAISAL_HOME/reports``, whole and renamed into place, so a re-run
(or a crash half-way) never leaves a half-written report. The columns and the spreadsheet
writers are ``appraisal_store.exports``, shared with the portal's dashboard downloads."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from appraisal_store.config import settings
from appraisal_store.environment import write_atomically
from appraisal_store.exports import (
    cell_text,
    completion_sheet,
    completion_workbook,
    csv_bytes,
    due_rows,
    submission_sheet,
    xlsx_bytes,
)
from appraisal_store.models import Organisation
from appraisal_store.queries import AppraisalRow, appraisal_rows
from appraisal_store.services.reports import ReportFile, store_reports
from appraisal_store.sessions import read_session, write_session
from appraisal_store.vocabulary import FINISHED_STATES, AppraisalState
from templates.environments import reports_environment

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML = "text/html; charset=utf-8"


@dataclass
class CycleReports:
    """Where the reports went and what they counted (``files``: those written into
    ``folder``, none in production; ``stored``: the file names kept in the store)."""

    folder: Path
    newly_overdue: int = 0
    files: list[Path] = field(default_factory=list)
    organisations: int = 0
    submissions_due: int = 0
    stored: list[str] = field(default_factory=list)

    def add(self, other: CycleReports) -> None:
        self.files += other.files
        self.stored += other.stored
        self.organisations += other.organisations
        self.submissions_due += other.submissions_due


def _html(organisation: Organisation, year: str, rows: list[AppraisalRow], today: date) -> bytes:
    counts = Counter(r.state for r in rows)
    sheet = completion_sheet(rows, today)
    return reports_environment().get_template("completion.html").render(
        organisation=organisation, year=year, today=today, rows=rows,
        states=[(s.label, counts[s]) for s in AppraisalState if counts[s]],
        overdue=sum(1 for r in rows if r.overdue(today)),
        complete=sum(counts[s] for s in FINISHED_STATES),
        columns=sheet.columns, lines=[[cell_text(v) for v in line] for line in sheet.lines],
    ).encode("utf-8")


def write_cycle_reports(*, year: str, codes: list[str], today: date, folder: Path,
                        with_submission_list: bool, with_completion: bool = True
                        ) -> CycleReports:
    """Make the reports of the organisations ``codes``, keep them in the store (replacing a
    previous run's) and, outside production, write them into ``folder`` (rewritten whole)."""
    reports = CycleReports(folder=folder)
    with read_session() as session:
        organisations = {o.code: o for o in session.execute(
            select(Organisation).where(Organisation.code.in_(codes))  # type: ignore[attr-defined]
        ).scalars()}
        rows = appraisal_rows(session, year=year,
                              organisation_ids=[o.id for o in organisations.values()])
    by_code: dict[str, list[AppraisalRow]] = {}
    for row in rows:
        by_code.setdefault(row.organisation_code, []).append(row)
    made: list[ReportFile] = []

    def report(code: str | None, kind: str, filename: str, media_type: str,
               content: bytes) -> None:
        made.append(ReportFile(year=year, kind=kind, filename=filename, media_type=media_type,
                               content=content,
                               organisation_id=organisations[code].id if code else None))

    if with_completion:
        for code in sorted(organisations):
            mine = by_code.get(code, [])
            sheets = completion_workbook(mine, today)
            report(code, "completion-csv", f"{code}-completion.csv", CSV, csv_bytes(sheets[0]))
            report(code, "completion-xlsx", f"{code}-completion.xlsx", XLSX,
                   xlsx_bytes(sheets))
            report(code, "summary-html", f"{code}-summary.html", HTML,
                   _html(organisations[code], year, mine, today))
            reports.organisations += 1
    if with_submission_list:
        sheet = submission_sheet(rows, {c: o.type for c, o in organisations.items()})
        reports.submissions_due = sum(1 for r in due_rows(rows) if r.nhse_due)
        report(None, "submissions-csv", "nhse-submissions.csv", CSV, csv_bytes(sheet))
        report(None, "submissions-xlsx", "nhse-submissions.xlsx", XLSX, xlsx_bytes([sheet]))
    with write_session() as session:
        store_reports(session=session, reports=made)
    reports.stored = [r.filename for r in made]
    if not settings().is_production:  # a machine's own folder is no place for them there
        reports.files = [write_atomically(folder / r.filename, r.content) for r in made]
    return reports
