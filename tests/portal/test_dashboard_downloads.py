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


def test_the_dashboard_lists_the_emails_the_mail_server_refused_for_good(
        sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from appraisal_store.clock import utcnow
    from appraisal_store.models import OutboxMessage
    from appraisal_store.services.outbox import mark_undeliverable
    from appraisal_store.sessions import write_session

    cosec = sign_in_as("cosec@rx1.nhs.uk")
    page = f"/organisations/{sqlite_board.organisation_id}/dashboard"
    assert "Emails that could not be delivered" not in cosec.get(page).text
    answer = "550 5.1.1 <ned1@rx1.nhs.uk>: User unknown"
    with write_session() as session:
        message_id = session.execute(select(OutboxMessage.id).where(
            OutboxMessage.recipient_email == "ned1@rx1.nhs.uk")).scalar_one()
        mark_undeliverable(session, message_id=message_id, answer=answer, now=utcnow())
    shown = cosec.get(page).text
    assert "Emails that could not be delivered" in shown
    assert "Zoë Łukasiewicz &lt;ned1@rx1.nhs.uk&gt;" in shown
    assert "550 5.1.1 &lt;ned1@rx1.nhs.uk&gt;: User unknown" in shown
