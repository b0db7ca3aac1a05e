"""The dashboard's downloads are the exporter's: BOM, the report's columns, real dates."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook

from appraisal_store.exports import COMPLETION_COLUMNS
from tests.conftest import Board


def test_the_company_secretary_downloads_csv_and_xlsx_excel_reads(
        sqlite_board: Board, sign_in_as, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cosec = sign_in_as("cosec@rx1.nhs.uk")
    base = f"/organisations/{sqlite_board.organisation_id}/dashboard"
    response = cosec.get(f"{base}.csv")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(COMPLETION_COLUMNS)
    assert {"Zoë Łukasiewicz", "Nguyễn Thị Hoa"} <= {row[1] for row in rows[1:]}
    workbook = tmp_path / "download.xlsx"
    workbook.write_bytes(cosec.get(f"{base}.xlsx").content)
    sheet = load_workbook(workbook)["Appraisals"]
    assert [cell.value for cell in sheet[1]] == list(COMPLETION_COLUMNS)
    review_due = COMPLETION_COLUMNS.index("Review due")
    assert all(row[review_due].is_date for row in sheet.iter_rows(min_row=2))
