"""The year's meaning is said where a cycle is opened: the portal's page and the command's help."""

from __future__ import annotations

import pytest

from appraisal_store.appraisal_year import YEAR_MEANING
from tests.commands.test_operator_commands import invoke


def test_the_command_help_says_the_year_is_the_performance_year(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = invoke(capsys, "cycle", "open", "--help")
    words = " ".join(out.replace("│", " ").split())
    assert code == 0
    assert "performance year appraised" in words and "30 June and 30 September 2026" in words


def test_the_cycle_opening_page_says_the_year_is_the_performance_year(sign_in_as) -> None:  # type: ignore[no-untyped-def]
    secretary = sign_in_as("cosec@rx1.nhs.uk")
    page = secretary.get("/admin").text
    assert YEAR_MEANING in page.replace("&#39;", "'")


def test_contradicting_dates_are_refused_at_the_command_line(
        capsys: pytest.CaptureFixture[str], sqlite_board: object) -> None:
    code, out, err = invoke(capsys, "cycle", "open", "--year", "2026/27", "--org", "RX1",
                            "--self-assessment-due", "2027-02-01", "--sign-off-due",
                            "2027-01-15")
    assert code == 1
    assert "sign-off due 2027-01-15 is before the self-assessment is due" in out + err
