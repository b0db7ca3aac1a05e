"""A withdrawn (a leaver's) or deferred appraisal is due nowhere: absent from every list of
what is due to NHS England, and the sealed record claims no submission."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from appraisal_store import sessions
from appraisal_store.appraisal_year import appraisal_year
from appraisal_store.errors import ValidationFailed
from appraisal_store.exports import csv_bytes, submission_sheet
from appraisal_store.models import Organisation
from appraisal_store.queries import appraisal_rows
from appraisal_store.services import administration
from appraisal_store.services.cycles import resolve_dates
from flows.reports import write_cycle_reports
from portal.dashboard import completion_dashboard
from records.build import nhse_note
from tests.conftest import Board

COSEC = "cosec@rx1.nhs.uk"
LEAVER = "ned1@rx1.nhs.uk"  # Zoë Łukasiewicz, a NED of an NHS trust: due by 30 September
LATE = "ned2@rx1.nhs.uk"  # Nguyễn Thị Hoa, appointed in November: deferred at the opening


def _withdraw_the_leaver(board: Board) -> None:
    with sessions.write_session() as session:
        administration.withdraw(session=session, actor=board.actor(COSEC),
                                appraisal_id=board.appraisals[LEAVER],
                                reason="Left the board on 31 January 2026")


def test_withdrawn_and_deferred_are_on_no_due_list(board: Board, tmp_path: Path) -> None:
    _withdraw_the_leaver(board)
    with sessions.read_session() as session:
        rows = appraisal_rows(session, year="2025/26")
        types = {o.code: o.type for o in session.query(Organisation)}
        dashboard = completion_dashboard(session, board.actor(COSEC), board.organisation_id,
                                         today=date(2026, 5, 1))
    listed = csv_bytes(submission_sheet(rows, types)).decode("utf-8-sig")
    assert "Zoë Łukasiewicz" not in listed and "Nguyễn Thị Hoa" not in listed
    assert "Margaret Okafor,Chair,NHS England by 2026-06-30" in listed
    due_names = {r.appraisee_name for d in dashboard.nhse_deadlines for r in d.missing}
    assert due_names and not due_names & {"Zoë Łukasiewicz", "Nguyễn Thị Hoa"}
    reports = write_cycle_reports(year="2025/26", codes=["RX1"], today=date(2026, 5, 1),
                                  folder=tmp_path, with_submission_list=True)
    written = (tmp_path / "nhse-submissions.csv").read_text(encoding="utf-8-sig")
    assert "Zoë Łukasiewicz" not in written and "Nguyễn Thị Hoa" not in written
    # The chair and the NEDs still due: Margaret Okafor, Siân (the SID).
    assert reports.submissions_due == 2


def test_the_record_states_a_deadline_not_a_submission() -> None:
    assert nhse_note(date(2026, 6, 30)) == "For NHS England by 30 June 2026"
    assert nhse_note(None) == "Held locally"
    assert "Submitted" not in nhse_note(date(2026, 9, 30))


def test_the_year_is_the_performance_year_and_contradicting_dates_are_refused() -> None:
    year = appraisal_year("2025/26")
    assert (year.starts, year.ends) == (date(2025, 4, 1), date(2026, 3, 31))
    assert (year.chair_deadline, year.non_executive_deadline) == (date(2026, 6, 30),
                                                                  date(2026, 9, 30))
    assert "30 June 2026" in year.describe() and "1 April 2025" in year.describe()
    with pytest.raises(ValidationFailed) as raised:
        resolve_dates("2025/26", self_assessment_due=date(2026, 3, 1),
                      sign_off_due=date(2026, 2, 1))
    assert raised.value.summary == "The cycle's dates contradict the year 2025/26."
    assert raised.value.problems == [
        "sign-off due 2026-02-01 is before the self-assessment is due (2026-03-01)"]
    with pytest.raises(ValidationFailed) as raised:
        resolve_dates("2025/26", self_assessment_due=date(2025, 3, 1),
                      sign_off_due=date(2026, 10, 1))
    assert raised.value.problems == [
        "self-assessment due 2025-03-01 is before the performance year 2025/26 starts "
        "(2025-04-01)",
        "sign-off due 2026-10-01 is after NHS England's last deadline for the 2025/26 year "
        "(2026-09-30)"]
