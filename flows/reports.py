"""The cycle's reports: completion per organisation (CSV, XLSX, HTML) and the NHS England
submission list. Files are written whole and renamed into place, so a re-run (or a crash
half-way) never leaves a half-written report."""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from sqlalchemy import select

from appraisal_store.database import read_session
from appraisal_store.models import Organisation
from appraisal_store.queries import AppraisalRow, appraisal_rows
from appraisal_store.vocabulary import AppraisalState, OrgType

HELD_LOCALLY = "held locally"
COMPLETION_COLUMNS = ["appraisal id", "appraisee", "role", "interim", "appraiser", "state",
                      "self-assessment due", "review due", "sign-off due", "current due",
                      "overdue", "signed by appraisee", "signed by appraiser",
                      "NHS England submission"]
SUBMISSION_COLUMNS = ["organisation code", "organisation", "organisation type", "appraisee",
                      "role", "submission", "due", "state", "complete", "submitted"]


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


def _write_atomically(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    temporary.write_bytes(content)
    os.replace(temporary, path)
    return path


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")  # the BOM lets Excel read the names right


def _xlsx(sheets: dict[str, tuple[list[str], list[list[object]]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, (header, rows) in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append([str(v) if isinstance(v, AppraisalState) else v for v in row])
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _submission(row: AppraisalRow) -> str:
    return row.nhse_due.isoformat() if row.nhse_due else HELD_LOCALLY


def completion_lines(rows: list[AppraisalRow], today: date) -> list[list[object]]:
    return [[r.id, r.appraisee_name, r.role.label, "yes" if r.interim else "no",
             r.appraiser_name or "(none)", r.state.label, r.self_assessment_due,
             r.review_due, r.sign_off_due, r.current_due or "", "yes" if r.overdue(today) else "",
             "yes" if r.signed_by_appraisee else "", "yes" if r.signed_by_appraiser else "",
             _submission(r)] for r in rows]


def _html(organisation: Organisation, year: str, rows: list[AppraisalRow], today: date) -> bytes:
    environment = Environment(loader=FileSystemLoader(Path(__file__).parent),
                              autoescape=select_autoescape(("html",)))
    counts = Counter(r.state for r in rows)
    return environment.get_template("completion_report.html").render(
        organisation=organisation, year=year, today=today, rows=rows,
        states=[(s.label, counts[s]) for s in AppraisalState if counts[s]],
        overdue=sum(1 for r in rows if r.overdue(today)),
        complete=sum(counts[s] for s in (AppraisalState.COMPLETE,
                                         AppraisalState.SUBMITTED_TO_NHSE)),
        columns=COMPLETION_COLUMNS, lines=completion_lines(rows, today),
    ).encode("utf-8")


def submission_lines(rows: list[AppraisalRow], types: dict[str, OrgType]) -> list[list[object]]:
    """Every appraisal with where its form goes: NHS England by a date, or held locally."""
    finished = {AppraisalState.COMPLETE, AppraisalState.SUBMITTED_TO_NHSE}
    ordered = sorted(rows, key=lambda r: (r.nhse_due or date.max, r.organisation_code,
                                          r.appraisee_name))
    return [[r.organisation_code, r.organisation_name, types[r.organisation_code].label,
             r.appraisee_name, r.role.label,
             f"NHS England by {r.nhse_due.isoformat()}" if r.nhse_due else HELD_LOCALLY,
             r.nhse_due or "", r.state.label, "yes" if r.state in finished else "",
             "yes" if r.state is AppraisalState.SUBMITTED_TO_NHSE else ""] for r in ordered]


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
            lines = completion_lines(mine, today)
            counts = Counter(r.state.label for r in mine)
            reports.files += [
                _write_atomically(folder / f"{code}-completion.csv",
                                  _csv(COMPLETION_COLUMNS, lines)),
                _write_atomically(folder / f"{code}-completion.xlsx", _xlsx({
                    "Appraisals": (COMPLETION_COLUMNS, lines),
                    "Summary": (["state", "appraisals"], [[k, v] for k, v in counts.items()]),
                })),
                _write_atomically(folder / f"{code}-summary.html",
                                  _html(organisations[code], year, mine, today)),
            ]
            reports.organisations += 1
    if with_submission_list:
        lines = submission_lines(rows, {c: o.type for c, o in organisations.items()})
        reports.submissions_due = sum(1 for r in rows if r.nhse_due)
        reports.files += [
            _write_atomically(folder / "nhse-submissions.csv", _csv(SUBMISSION_COLUMNS, lines)),
            _write_atomically(folder / "nhse-submissions.xlsx",
                              _xlsx({"Submissions": (SUBMISSION_COLUMNS, lines)})),
        ]
    return reports
