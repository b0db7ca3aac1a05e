"""The flows under Prefect's test harness: open, remind, route, close."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from appraisal_store.models import Appraisal, OutboxMessage
from appraisal_store.services.administration import extend_deadline
from appraisal_store.services.organisations import add_organisation
from appraisal_store.sessions import read_session, write_session
from flows.cycle import close_cycle, open_cycle
from flows.reminder_sweep import daily_reminders
from flows.route_appraisal import route_appraisal
from tests.conftest import Board

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


def count(model: type, *where: object) -> int:
    with read_session() as session:
        return int(session.execute(select(func.count()).select_from(model).where(*where))
                   .scalar_one())


def reminder_keys() -> list[str]:
    with read_session() as session:
        return list(session.execute(select(OutboxMessage.idempotency_key).where(
            OutboxMessage.template.in_(["reminder", "escalation", "fppt_reference",
                                           "fppt_submission", "fppt_attestation"]))).scalars())


def test_open_cycle_is_batched_and_idempotent(sqlite_board: Board, operator) -> None:  # type: ignore[no-untyped-def]
    with write_session() as session:
        add_organisation(session=session, actor=operator, code="RY2", name="Hillside ICB",
                         org_type="icb")
    before = count(Appraisal)
    opened = open_cycle("2025/26", ["RX1", "RY2"], today=date(2025, 12, 1))
    assert [o.organisation_code for o in opened] == ["RX1", "RY2"]
    assert opened[0].created == 0 and opened[0].already_open == before
    again = open_cycle("2025/26", ["RX1", "RY2"], today=date(2025, 12, 1))
    assert sum(o.created for o in again) == 0 and count(Appraisal) == before


def test_two_sweeps_at_once_queue_each_reminder_once(sqlite_board: Board) -> None:
    overdue_day = date(2026, 2, 16)  # 11 working days after 31 January (a Saturday)
    results: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            results.append(daily_reminders(overdue_day))
        except BaseException as error:  # noqa: BLE001 - surfaced below
            errors.append(error)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    keys = reminder_keys()
    assert len(keys) == len(set(keys)) == sum(results) > 0
    assert any("escalate-secretary:cosec@rx1.nhs.uk" in k for k in keys)
    assert daily_reminders(overdue_day) == 0
    assert daily_reminders(date(2026, 2, 14)) == 0  # a Saturday


def test_an_extension_moves_the_reminders_in_the_sweep(sqlite_board: Board, operator) -> None:  # type: ignore[no-untyped-def]
    priya = sqlite_board.appraisals["finance@rx1.nhs.uk"]
    with write_session() as session:
        extend_deadline(session=session, actor=operator, appraisal_id=priya,
                        deadline="self_assessment", new_date=date(2026, 2, 27),
                        reason="long leave")
    daily_reminders(date(2026, 2, 16))
    keys = [k for k in reminder_keys() if k.startswith(f"reminder:{priya}:")]
    assert keys == [f"reminder:{priya}:self_assessment:2026-02-27:14"]


def test_route_appraisal_sends_that_appraisals_messages_now(sqlite_board: Board,
                                                            home: Path) -> None:
    priya = sqlite_board.appraisals["finance@rx1.nhs.uk"]
    report = route_appraisal(priya)
    assert report.sent == 1
    assert count(OutboxMessage, OutboxMessage.sent_at.is_not(None)) == 1
    assert (home / "outbox" / f"invitation_{priya}.eml").exists()


def test_close_cycle_writes_reports_and_the_submission_list(sqlite_board: Board,
                                                            home: Path) -> None:
    reports = close_cycle("2025/26", ["RX1"], today=date(2026, 2, 16))
    assert reports.newly_overdue == count(Appraisal, Appraisal.overdue_since.is_not(None)) > 0
    folder = home / "reports" / "2025-26"
    assert {p.name for p in folder.iterdir()} == {
        "RX1-completion.csv", "RX1-completion.xlsx", "RX1-summary.html",
        "nhse-submissions.csv", "nhse-submissions.xlsx"}
    csv_text = (folder / "nhse-submissions.csv").read_text(encoding="utf-8-sig")
    assert "Margaret Okafor,Chair,NHS England by 2026-06-30" in csv_text
    assert "Zoë Łukasiewicz,Non-executive director,NHS England by 2026-09-30" in csv_text
    assert "Priya Shah,Executive director,held locally" in csv_text
    sheet = load_workbook(folder / "RX1-completion.xlsx")["Appraisals"]
    assert sheet.max_row == count(Appraisal) + 1
    html = (folder / "RX1-summary.html").read_text()
    assert "Riverside Hospitals NHS Trust" in html and "overdue" in html
    assert close_cycle("2025/26", ["RX1"], today=date(2026, 2, 16)).newly_overdue == 0
