"""Faults the flows survive: SIGKILL mid-run (the real command, in a subprocess) and re-run,
on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from appraisal_store.actors import Actor
from appraisal_store.models import Appraisal, OutboxMessage
from appraisal_store.services.cycles import open_cycles, resolve_dates
from appraisal_store.services.organisations import add_organisation
from appraisal_store.services.people import import_people
from appraisal_store.sessions import read_session, write_session
from tests.flows.conftest import SmtpServer

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]
ORGANISATIONS = 45  # three batches of open_cycle
APPRAISAL = [sys.executable, "-c", "from commands.main import run; run()"]


def seed_organisations(operator: Actor, count: int = ORGANISATIONS, prefix: str = "R") -> int:
    """``count`` NHS trusts (codes ``prefix`` and a number) with a chair, a chief executive
    and a NED each; returns board members."""
    lines = ["org_code,name,email,role,start_date,end_date,interim"]
    with write_session() as session:
        for number in range(count):
            code = f"{prefix}{number:03d}"
            add_organisation(session=session, actor=operator, code=code,
                             name=f"Trust {number}", org_type="nhs-trust")
            lines += [f"{code},Chair {number},chair{number}@t.nhs.uk,chair,2020-01-01,,no",
                      f"{code},Chief {number},ceo{number}@t.nhs.uk,chief-executive,2020-01-01,,no",
                      f"{code},Ned {number},ned{number}@t.nhs.uk,non-executive-director,"
                      "2020-01-01,,no"]
        import_people(session=session, actor=operator, csv_text="\n".join(lines) + "\n")
    return count * 3


def run_command(arguments: list[str], fault: str | None = None,
                **environment: str) -> subprocess.CompletedProcess[str]:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), **environment}
    env.pop("APPRAISAL_FAULT", None)
    if fault:
        env["APPRAISAL_FAULT"] = fault
    return subprocess.run(APPRAISAL + arguments, env=env, capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[2])


def count(*where: object, model: type = Appraisal) -> int:
    with read_session() as session:
        return int(session.execute(select(func.count()).select_from(model).where(*where))
                   .scalar_one())


def test_killed_mid_open_cycle_a_rerun_finishes_without_duplicates(
        store: object, operator: Actor) -> None:
    expected = seed_organisations(operator)
    killed = run_command(["cycle", "open", "--year", "2025/26", "--all"],
                         fault="kill-after-open-batch:1")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    partial = count()
    assert 0 < partial < expected
    assert count(model=OutboxMessage) == partial  # each batch's invitations with it
    finished = run_command(["cycle", "open", "--year", "2025/26", "--all"])
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert count() == expected
    with read_session() as session:
        keys = list(session.execute(select(OutboxMessage.idempotency_key)).scalars())
        ids = set(session.execute(select(Appraisal.id)).scalars())
    assert sorted(keys) == sorted(f"invitation:{i}" for i in ids)


def test_killed_mid_send_a_rerun_delivers_the_rest_and_none_twice(
        store: object, operator: Actor, smtp_server: SmtpServer) -> None:
    seed_organisations(operator)
    with write_session() as session:
        open_cycles(session=session, actor=operator, year="2025/26",
                    organisation_codes=[f"R{n:03d}" for n in range(4)],
                    dates=resolve_dates("2025/26"), today=date(2025, 12, 1))
    queued = count(model=OutboxMessage)
    assert queued == 12
    killed = run_command(["outbox", "send"], fault="kill-after-send:3",
                         APPRAISAL_SMTP_URL=smtp_server.url)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert len(smtp_server.mailbox.keys()) == 3
    assert count(OutboxMessage.sent_at.is_not(None), model=OutboxMessage) == 3
    finished = run_command(["outbox", "send"], APPRAISAL_SMTP_URL=smtp_server.url)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    delivered = smtp_server.mailbox.keys()
    assert len(delivered) == len(set(delivered)) == queued
    assert count(OutboxMessage.sent_at.is_(None), model=OutboxMessage) == 0
