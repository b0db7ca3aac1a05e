"""The one exporter: CSV that Excel reads right, XLSX with real dates, no formula ever run."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import update

from appraisal_store.exports import COMPLETION_COLUMNS, Sheet, csv_bytes, xlsx_bytes
from appraisal_store.models import Person
from appraisal_store.sessions import read_session, write_session
from flows.reports import write_cycle_reports
from portal.dashboard import completion_dashboard, export_csv, export_xlsx
from tests.conftest import Board

MALICIOUS = '=HYPERLINK("http://x","y")'


def _sheet() -> Sheet:
    return Sheet("Appraisals", ("Director", "Note", "Due", "Seen at", "Count"), [
        ["Zoë Łukasiewicz", "+44 20 7946 0000", date(2026, 1, 31),
         datetime(2026, 7, 1, 8, 30, tzinfo=UTC), 3],
        [MALICIOUS, "-1+2", None, None, -4],
        ["Nguyễn Thị Hoa", "\tcmd", date(2026, 2, 28), None, 0],
        ["@SUM(A1)", "\rx", None, None, 1],
    ])


def test_csv_has_a_byte_order_mark_and_guards_every_formula() -> None:
    data = csv_bytes(_sheet())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["Director", "Note", "Due", "Seen at", "Count"]
    assert rows[1] == ["Zoë Łukasiewicz", "'+44 20 7946 0000", "2026-01-31",
                       "2026-07-01 09:30", "3"]
    assert rows[2] == ["'" + MALICIOUS, "'-1+2", "", "", "-4"]
    assert rows[3][:2] == ["Nguyễn Thị Hoa", "'\tcmd"]
    assert rows[4][:2] == ["'@SUM(A1)", "'\rx"]


def test_xlsx_holds_real_dates_and_text_only_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(xlsx_bytes([_sheet()]))
    sheet = load_workbook(path)["Appraisals"]
    due, seen = sheet["C2"], sheet["D2"]
    assert due.is_date and due.value == datetime(2026, 1, 31) and due.number_format == "dd/mm/yyyy"
    # Excel has no time zones: 07:30 UTC in July is 08:30 in England.
    assert seen.is_date and seen.value == datetime(2026, 7, 1, 9, 30)
    assert sheet["A2"].value == "Zoë Łukasiewicz" and sheet["A4"].value == "Nguyễn Thị Hoa"
    for ref in ("A3", "B3", "A5", "B2"):
        assert sheet[ref].data_type == "s", ref
    assert sheet["A3"].value == MALICIOUS
    assert sheet["E3"].value == -4 and sheet["E3"].data_type == "n"
    assert sheet.freeze_panes == "A2"


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_dashboard_and_the_report_export_the_same_columns_and_lines(
        sqlite_board: Board, tmp_path: Path) -> None:
    with write_session() as session:
        # A NED who is due (ned2 is deferred, so on no submission list).
        session.execute(update(Person).where(Person.email == "ned1@rx1.nhs.uk")
                        .values(name=MALICIOUS))
    today = date(2026, 2, 16)
    write_cycle_reports(year="2025/26", codes=["RX1"], today=today, folder=tmp_path,
                        with_submission_list=True)
    with read_session() as session:
        board = completion_dashboard(session, sqlite_board.actor("cosec@rx1.nhs.uk"),
                                     sqlite_board.organisation_id, today=today)
    report = _csv_rows((tmp_path / "RX1-completion.csv").read_bytes())
    download = _csv_rows(export_csv(board))
    assert report[0] == download[0] == list(COMPLETION_COLUMNS)
    assert sorted(report[1:]) == sorted(download[1:]) and len(report) == 8
    names = {line[1] for line in report[1:]}
    assert {"Nguyễn Thị Hoa", "Siân Ŵyn ap Gruffydd", "'" + MALICIOUS} <= names
    submissions = _csv_rows((tmp_path / "nhse-submissions.csv").read_bytes())
    assert any(line[3] == "'" + MALICIOUS for line in submissions)

    downloaded = tmp_path / "download.xlsx"
    downloaded.write_bytes(export_xlsx(board))
    for path in (downloaded, tmp_path / "RX1-completion.xlsx"):
        book = load_workbook(path)
        assert book.sheetnames == ["Appraisals", "Summary"]
        sheet = book["Appraisals"]
        assert [c.value for c in sheet[1]] == list(COMPLETION_COLUMNS)
        due = COMPLETION_COLUMNS.index("Self-assessment due")
        for row in sheet.iter_rows(min_row=2):
            assert row[due].is_date and row[due].value == datetime(2026, 1, 31)
        malicious = [row[1] for row in sheet.iter_rows(min_row=2) if row[1].value == MALICIOUS]
        assert len(malicious) == 1 and malicious[0].data_type == "s"
    submissions_book = load_workbook(tmp_path / "nhse-submissions.xlsx")["Submissions"]
    nhse_due = [row[6] for row in submissions_book.iter_rows(min_row=2) if row[6].value]
    assert nhse_due and all(cell.is_date for cell in nhse_due)
