"""Multi-source feedback's flows: opening a cycle's rounds in batches, the respondents'
reminders in the daily sweep (working days, once each), and the commands."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select
from typer.testing import CliRunner

from appraisal_store import sessions
from appraisal_store.feedback_tables import FeedbackRespondent, FeedbackRound
from appraisal_store.models import OutboxMessage
from appraisal_store.services import feedback
from appraisal_store.services.feedback import Nomination
from flows.feedback import (
    closing_stage,
    cycle_appraisal_ids,
    plan_respondent_reminders,
    waiting_respondents,
)
from flows.reminder_sweep import run_daily_reminders
from flows.working_days import england


def _messages(template: str) -> list[OutboxMessage]:
    with sessions.read_session() as session:
        return list(session.execute(select(OutboxMessage).where(
            OutboxMessage.template == template)).scalars())


def test_the_closing_stages_follow_working_days() -> None:
    calendar = england()
    closes = date(2026, 1, 16)  # a Friday
    assert closing_stage(closes, date(2026, 1, 5), calendar) is None
    assert closing_stage(closes, date(2026, 1, 9), calendar) == "5"
    assert closing_stage(closes, date(2026, 1, 15), calendar) == "1"
    assert closing_stage(closes, closes, calendar) == "0"
    assert closing_stage(closes, date(2026, 1, 19), calendar) is None


def test_the_sweep_reminds_respondents_once_and_never_on_a_weekend(
        board, operator, prefect_harness) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = board.appraisals["ceo@rx1.nhs.uk"]
    with sessions.write_session() as session:
        feedback.open_rounds(session=session, actor=operator, appraisal_ids=[appraisal_id],
                             today=date(2025, 12, 1), now=datetime(2025, 12, 1, tzinfo=UTC),
                             closes_on=date(2026, 1, 16),
                             nominations=[Nomination("Rae Minder", "rae@x.nhs.uk", "board")])
    assert plan_respondent_reminders(waiting_respondents(), date(2026, 1, 10), england()) == []
    run_daily_reminders(today=date(2026, 1, 15))
    run_daily_reminders(today=date(2026, 1, 15))  # the same day again: nothing new
    reminders = _messages("feedback_reminder")
    assert [m.idempotency_key.rsplit(":", 1)[-1] for m in reminders] == ["1"]
    assert reminders[0].recipient_email == "rae@x.nhs.uk"
    assert "token" not in json.dumps(reminders[0].payload)
    run_daily_reminders(today=date(2026, 1, 16))
    assert len(_messages("feedback_reminder")) == 2


def test_the_commands_open_status_and_close_a_cycles_rounds(board, prefect_harness) -> None:  # type: ignore[no-untyped-def]
    from commands.main import app

    runner = CliRunner()
    opened = runner.invoke(app, ["feedback", "open", "--cycle", "2025/26", "--org", "RX1",
                                 "--json"])
    assert opened.exit_code == 0, opened.output
    result = json.loads(opened.output)
    ids = cycle_appraisal_ids(year="2025/26", organisation_codes=["RX1"])
    assert result["opened"] == len(ids) and result["invited"] > 0
    with sessions.read_session() as session:
        assert len(list(session.execute(select(FeedbackRound)).scalars())) == len(ids)
        asked = len(list(session.execute(select(FeedbackRespondent)).scalars()))
    status = runner.invoke(app, ["feedback", "status", "--json"])
    row = json.loads(status.output)[0]
    assert (row["organisation_code"], row["rounds"], row["asked"], row["answered"]) == (
        "RX1", len(ids), asked, 0)
    closed = runner.invoke(app, ["feedback", "close", "--cycle", "2025/26", "--json"])
    assert json.loads(closed.output) == {"closed": len(ids)}
    again = runner.invoke(app, ["feedback", "close", "--cycle", "2025/26", "--json"])
    assert json.loads(again.output) == {"closed": 0}


def test_a_bad_form_file_is_refused_with_its_lines_and_nothing_is_written(
        board, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from competencies.feedback_form import DEFAULT_FORM_PATH
    from tests.commands.test_operator_commands import invoke

    text = DEFAULT_FORM_PATH.read_text().replace("Rarely or never", "Hardly").replace(
        "  - id: light\n", "  - id: light\n    unknown: yes\n")
    bad = tmp_path / "form.yaml"
    bad.write_text(text)
    code, _, err = invoke(capsys, "feedback", "form", "import", str(bad))
    err = " ".join(err.split())
    assert code == 1
    assert f"{bad}:29: scale label 4 is 'Hardly'" in err
    assert "unexpected key 'unknown'" in err
    from appraisal_store.feedback_tables import FeedbackFormVersion
    with sessions.read_session() as session:
        assert list(session.execute(select(FeedbackFormVersion)).scalars()) == []
