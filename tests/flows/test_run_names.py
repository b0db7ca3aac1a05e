"""Flow runs carry names a person can read in Prefect's UI, not generated ones."""

from __future__ import annotations

from datetime import date

import pytest

from flows.cycle import run_close_cycle, run_open_cycle
from flows.outbox import run_send_outbox
from flows.reminder_sweep import run_daily_reminders
from flows.route_appraisal import run_route_appraisal
from tests.conftest import Board

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


def flow_run_names(flow_name: str) -> set[str]:
    """The names of the runs of ``flow_name`` that Prefect's server holds."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])), limit=200)
    return {run.name for run in runs}


def test_flow_runs_are_named_after_their_appraisal_day_and_year(sqlite_board: Board) -> None:
    priya = sqlite_board.appraisals["finance@rx1.nhs.uk"]
    run_route_appraisal(priya)
    run_daily_reminders(today=date(2026, 2, 2))
    run_open_cycle(year="2025/26", organisation_codes=["RX1"])
    run_close_cycle(year="2025/26", organisation_codes=["RX1"], today=date(2026, 2, 16))
    run_send_outbox()
    assert f"route-appraisal-APR-{priya}" in flow_run_names("route-appraisal")
    assert "daily-reminders-2026-02-02" in flow_run_names("daily-reminders")
    assert "open-cycle-2025-26-RX1" in flow_run_names("open-cycle")
    assert "close-cycle-2025-26-RX1" in flow_run_names("close-cycle")
    assert any(name.startswith("send-outbox-20") for name in flow_run_names("send-outbox"))
