"""The one exporter of spreadsheets people open in Excel: the dashboard's downloads and the
close-of-cycle reports.

Both use the same columns (``completion_sheet``) and the same writers:

- CSV in UTF-8 with a byte-order mark, without which Excel reads UTF-8 as the local code
  page and mangles names such as Zoë Łukasiewicz and Nguyễn Thị Hoa;
- XLSX with dates and datetimes as real spreadsheet dates (a date number format), so they
  sort and filter as dates;
- a formula guard on every text cell: a name or email is data, never a formula a
  spreadsheet runs (``=HYPERLINK(...)`` typed as a name). In CSV a text cell starting with
  ``= + - @``, a tab or a carriage return gets a leading ``'``; in XLSX it is written as a
  string cell, which no spreadsheet evaluates.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .queries import AppraisalRow
from .vocabulary import FINISHED_STATES, NOT_DUE_STATES, AppraisalState, OrgType

Cell = str | int | float | date | datetime | None

HELD_LOCALLY = "held locally"
# Characters that make a spreadsheet read a cell as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
# Excel has no time zones: a moment is written as the wall-clock time in England.
LOCAL_TIME = ZoneInfo("Europe/London")

COMPLETION_COLUMNS = ("Appraisal", "Director", "Email", "Role", "Interim", "Appraiser",
                      "State", "Self-assessment due", "Review due", "Sign-off due",
                      "Current due", "Overdue", "Meeting date", "Signed by director",
                      "Signed by appraiser", "NHS England due", "NHS England submission")
SUBMISSION_COLUMNS = ("Organisation code", "Organisation", "Organisation type", "Director",
                      "Role", "Submission", "Due", "State", "Complete",
                      "Submitted to NHS England")

# The index of an NHS England submission pack: one line per sealed record in it.
SUBMISSION_INDEX_COLUMNS = ("Organisation code", "Organisation", "Person", "Role",
                            "Appraisal date", "Meeting date", "Appraiser",
                            "Endorsement date", "FPPT outcome", "Record id", "SHA-256",
                            "File")


@dataclass(frozen=True)
class Sheet:
    """A table to export: a title (the XLSX sheet's name), a header and its lines."""

    title: str
    columns: Sequence[str]
    lines: list[list[Cell]]


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _submission(row: AppraisalRow) -> str:
    return f"NHS England by {row.nhse_due.isoformat()}" if row.nhse_due else HELD_LOCALLY


def completion_sheet(rows: Iterable[AppraisalRow], today: date) -> Sheet:
    """Each appraisal's status as a line: the completion report's and the dashboard's."""
    return Sheet("Appraisals", COMPLETION_COLUMNS, [
        [r.id, r.appraisee_name, r.appraisee_email, r.role.label, _yes(r.interim),
         r.appraiser_name or "(none)", r.state.label, r.self_assessment_due, r.review_due,
         r.sign_off_due, r.current_due, _yes(r.overdue(today)), r.meeting_date,
         _yes(r.signed_by_appraisee), _yes(r.signed_by_appraiser), r.nhse_due,
         _submission(r)] for r in rows])


def summary_sheet(rows: Iterable[AppraisalRow]) -> Sheet:
    """Appraisals by state, in the lifecycle's order."""
    counts = Counter(r.state for r in rows)
    return Sheet("Summary", ("State", "Appraisals"),
                 [[state.label, counts[state]] for state in AppraisalState if counts[state]])


def due_rows(rows: Iterable[AppraisalRow]) -> list[AppraisalRow]:
    """The appraisals that are due somewhere: never a withdrawn or a deferred one."""
    return [r for r in rows if r.state not in NOT_DUE_STATES]


def submission_sheet(rows: Iterable[AppraisalRow], types: dict[str, OrgType]) -> Sheet:
    """Every appraisal due with where its form goes: NHS England by a date, or held locally.

    A withdrawn (a leaver's) or deferred appraisal is due nowhere, so it is not listed.
    """
    ordered = sorted(due_rows(rows), key=lambda r: (r.nhse_due or date.max,
                                                    r.organisation_code, r.appraisee_name))
    return Sheet("Submissions", SUBMISSION_COLUMNS, [
        [r.organisation_code, r.organisation_name, types[r.organisation_code].label,
         r.appraisee_name, r.role.label, _submission(r), r.nhse_due, r.state.label,
         _yes(r.state in FINISHED_STATES), _yes(r.state is AppraisalState.SUBMITTED_TO_NHSE)]
        for r in ordered])


@dataclass(frozen=True)
class PackLine:
    """One sealed record in a submission pack, as its index lists it."""

    organisation_code: str
    organisation_name: str
    person: str
    role: str
    appraisal_date: date | None
    meeting_date: date | None
    appraiser: str
    endorsement_date: date | None
    fppt_outcome: str
    record_id: str
    sha256: str
    file: str


def submission_index_sheet(lines: Iterable[PackLine]) -> Sheet:
    """The submission pack's index (CSV and XLSX through the writers below)."""
    return Sheet("Submission", SUBMISSION_INDEX_COLUMNS,
                 [list(vars(line).values()) for line in lines])


def completion_workbook(rows: list[AppraisalRow], today: date) -> list[Sheet]:
    """The completion export's sheets: the appraisals and their summary by state."""
    return [completion_sheet(rows, today), summary_sheet(rows)]


def _local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TIME).replace(tzinfo=None) if moment.tzinfo else moment


def guarded_text(value: str) -> str:
    """Text a spreadsheet shows as typed: a leading ``'`` when it would start a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def cell_text(value: Cell) -> str:
    """A cell as plain text (for a page; not guarded): ISO dates, blank for nothing."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local(value).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv_cell(value: Cell) -> str | int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return guarded_text(cell_text(value))


def csv_bytes(sheet: Sheet) -> bytes:
    """The sheet as CSV: UTF-8 with a byte-order mark, every text cell guarded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([guarded_text(c) for c in sheet.columns])
    writer.writerows([[_csv_cell(v) for v in line] for line in sheet.lines])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as one workbook: real dates, text only ever as string cells."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    for existing in list(workbook.worksheets):
        workbook.remove(existing)
    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet.title)
        for column, title in enumerate(sheet.columns, start=1):
            worksheet.cell(row=1, column=column, value=title).data_type = "s"
        for row, line in enumerate(sheet.lines, start=2):
            for column, value in enumerate(line, start=1):
                cell = worksheet.cell(row=row, column=column)
                if isinstance(value, str):
                    # openpyxl reads a string starting with '=' as a formula unless told.
                    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                    cell.data_type = "s"
                elif isinstance(value, datetime):
                    cell.value = _local(value)
                    cell.number_format = DATETIME_FORMAT
                elif isinstance(value, date):
                    cell.value = value
                    cell.number_format = DATE_FORMAT
                else:
                    cell.value = value
        for column, title in enumerate(sheet.columns, start=1):
            widest = max([len(title)] + [len(str(line[column - 1] or ""))
                                         for line in sheet.lines[:500]])
            worksheet.column_dimensions[get_column_letter(column)].width = min(widest + 2, 48)
        worksheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
