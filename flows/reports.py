"""The cycle's reports: completion per organisation (CSV, XLSX, HTML) and the NHS England
submission list. Files are written whole and renamed into place, so a re-run (or a crash
half-way) never leaves a half-written report. The columns and the spreadsheet writers are
``appraisal_store.exports``, shared with the portal's dashboard downloads."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from appraisal_store.database import read_session
from appraisal_store.environment import write_atomically
from appraisal_store.exports import (
    cell_text,
    completion_sheet,
    completion_workbook,
    csv_bytes,
    submission_sheet,
    xlsx_bytes,
)
from appraisal_store.models import Organisation
from appraisal_store.queries import AppraisalRow, appraisal_rows
from appraisal_store.vocabulary import FINISHED_STATES, AppraisalState
from templates.environments import reports_environment


@dataclass
class CycleReports:
    """Where the reports went and what they counted."""

    folder: Path
    newly_overdue: int = 0
    files: list[Path] = field(default_factory=list)
    organisations: int = 0
    submissions_due: int = 0

    def add(self, other: CycleReports) -> None:
        self.files += other.files
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
    """Write the reports of the organisations ``codes`` into ``folder`` (rewritten whole)."""
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
    if with_completion:
        for code in sorted(organisations):
            mine = by_code.get(code, [])
            sheets = completion_workbook(mine, today)
            reports.files += [
                write_atomically(folder / f"{code}-completion.csv", csv_bytes(sheets[0])),
                write_atomically(folder / f"{code}-completion.xlsx", xlsx_bytes(sheets)),
                write_atomically(folder / f"{code}-summary.html",
                                  _html(organisations[code], year, mine, today)),
            ]
            reports.organisations += 1
    if with_submission_list:
        sheet = submission_sheet(rows, {c: o.type for c, o in organisations.items()})
        reports.submissions_due = sum(1 for r in rows if r.nhse_due)
        reports.files += [
            write_atomically(folder / "nhse-submissions.csv", csv_bytes(sheet)),
            write_atomically(folder / "nhse-submissions.xlsx", xlsx_bytes([sheet])),
        ]
    return reports
