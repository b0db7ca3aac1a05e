"""A crash while sending repeats at most the one message in flight, and loses none: every
fault point of the sending path and random SIGKILLs of ``outbox send`` and ``remind`` (the
real commands, in subprocesses) against a real SMTP server counting deliveries per key, on
SQLite and PostgreSQL."""

from __future__ import annotations

import os
import random
import signal
import subprocess
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from appraisal_store.actors import Actor
from appraisal_store.clock import utcnow
from appraisal_store.models import OutboxMessage
from appraisal_store.services.cycles import open_cycles, resolve_dates
from appraisal_store.services.outbox import LEASE
from appraisal_store.sessions import read_session, write_session
from flows.delivery import deliver_messages, due_message_ids
from flows.outbox import LEAST_BATCH
from tests.flows.conftest import SmtpServer
from tests.flows.test_faults import APPRAISAL, run_command, seed_organisations

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]
SENDING_PATH_FAULTS = ("kill-after-claim", "kill-before-mark", "kill-after-send")
# Three people on each board: a few more invitations than one batch of the flow (so a sender
# that ran its batches side by side would have several messages in flight), and no more:
# every one is rendered and delivered.
TRUSTS = LEAST_BATCH // 3 + 5


def open_every_cycle(operator: Actor, trusts: int = TRUSTS) -> int:
    """An invitation queued for each of three directors a trust; returns how many."""
    seed_organisations(operator, count=trusts, prefix="T")
    with write_session() as session:
        open_cycles(session=session, actor=operator, year="2025/26",
                    organisation_codes=[f"T{n:03d}" for n in range(trusts)],
                    dates=resolve_dates("2025/26"), today=date(2025, 12, 1))
    return len(queued_keys())


def queued_keys() -> list[str]:
    with read_session() as session:
        return list(session.execute(select(OutboxMessage.idempotency_key)).scalars())


def kill_while_sending(arguments: list[str], smtp_server: SmtpServer, after: int,
                       log: Path) -> int:
    """Start the command, SIGKILL it once ``after`` more messages arrived; its exit code."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()),
           "APPRAISAL_SMTP_URL": smtp_server.url}
    env.pop("APPRAISAL_FAULT", None)
    arrived = len(smtp_server.mailbox.keys())
    with log.open("ab") as output:
        process = subprocess.Popen(APPRAISAL + arguments, env=env, stdout=output,
                                   stderr=output, cwd=Path(__file__).resolve().parents[2])
        try:
            assert smtp_server.mailbox.wait_for(arrived + after), log.read_text()
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    return process.returncode


def finish_after_the_lease() -> None:
    """The re-run: what the crashes left goes, and what one left claimed goes once its
    lease has run out."""
    later = utcnow() + LEASE + timedelta(minutes=1)
    deliver_messages(due_message_ids(now=later, limit=10_000), now=later)


def assert_at_most_one_repeat_per_kill(smtp_server: SmtpServer, kills: int) -> int:
    """Every queued message delivered (lost 0), duplicates at most ``kills``; a repeat
    carries its first delivery's Message-ID. Returns the duplicates."""
    delivered = Counter(smtp_server.mailbox.keys())
    assert set(delivered) == set(queued_keys())  # none lost
    with read_session() as session:
        assert session.execute(select(OutboxMessage.id).where(
            OutboxMessage.sent_at.is_(None))).first() is None  # type: ignore[union-attr]
    duplicates = sum(count - 1 for count in delivered.values())
    assert duplicates <= kills, delivered.most_common(5)
    for key in (key for key, count in delivered.items() if count > 1):
        ids = {m["Message-ID"] for m in smtp_server.mailbox.messages
               if m["X-Appraisal-Key"] == key}
        assert len(ids) == 1, (key, ids)
    return duplicates


def test_every_fault_point_of_sending_repeats_at_most_the_message_in_flight(
        store: object, operator: Actor, smtp_server: SmtpServer) -> None:
    chance = random.Random()
    assert open_every_cycle(operator) > LEAST_BATCH
    for point in SENDING_PATH_FAULTS:
        killed = run_command(["outbox", "send"], fault=f"{point}:{chance.randint(5, 30)}",
                             APPRAISAL_SMTP_URL=smtp_server.url)
        assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    finish_after_the_lease()
    # Killed between the server's acceptance and the mark: exactly that one goes again.
    assert assert_at_most_one_repeat_per_kill(smtp_server, len(SENDING_PATH_FAULTS)) == 1


@pytest.mark.parametrize("command", [["outbox", "send"], ["remind", "--today", "2026-01-30"]],
                         ids=["outbox-send", "remind"])
def test_random_sigkills_while_sending_repeat_at_most_one_message_each(
        store: object, operator: Actor, smtp_server: SmtpServer, tmp_path: Path,
        command: list[str]) -> None:
    chance = random.Random()
    # remind sends a reminder after each invitation: half the boards give as many messages.
    invitations = open_every_cycle(operator, TRUSTS // 2 if command[0] == "remind" else TRUSTS)
    kills = 0
    for _ in range(2):
        after = chance.randint(5, invitations // 4)
        if kill_while_sending(command, smtp_server, after, tmp_path / "log") == -signal.SIGKILL:
            kills += 1
    assert kills, "the command finished before it could be killed"
    finish_after_the_lease()
    if command[0] == "remind":
        assert len(queued_keys()) > invitations  # its reminders went too
    assert len(queued_keys()) > LEAST_BATCH
    assert_at_most_one_repeat_per_kill(smtp_server, kills)
