"""What the mail server answers decides what becomes of each message (a real aiosmtpd server
scripted to refuse, defer, drop and die), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from appraisal_store.models import OutboxMessage
from appraisal_store.services.outbox import undelivered_messages
from appraisal_store.sessions import read_session
from flows.delivery import DeliveryReport, deliver_messages, due_message_ids, pending_count
from flows.postbox import ServerUnavailable, SmtpPostbox
from tests.conftest import Board
from tests.flows.conftest import SmtpServer

REFUSED = "550 5.1.1 <{}>: Recipient address rejected: User unknown"


def soon() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=1)


def rows() -> list[OutboxMessage]:
    with read_session() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def send_pass(now: datetime) -> DeliveryReport:
    return deliver_messages(due_message_ids(now=now, limit=1000), now=now)


def first_recipient() -> str:
    return rows()[0].recipient_email


def test_a_550_for_one_recipient_fails_it_for_good_and_the_rest_still_go(
        board: Board, smtp_server: SmtpServer) -> None:
    refused = first_recipient()
    smtp_server.mailbox.answers[refused] = REFUSED.format(refused)
    now = soon()
    report = send_pass(now)
    assert (report.sent, report.failed, report.deferred) == (5, 1, 0)
    assert report.failures == [(refused, REFUSED.format(refused))]
    assert not report.server_down
    [failed] = [m for m in rows() if m.recipient_email == refused]
    assert failed.failed_at is not None and failed.sent_at is None
    assert failed.last_error == REFUSED.format(refused)
    # Never tried again, and no longer counted as waiting.
    assert pending_count() == 0
    again = send_pass(now + timedelta(days=2))
    assert (again.sent, again.failed, again.deferred) == (0, 0, 0)
    assert [m.attempts for m in rows() if m.recipient_email == refused] == [1]
    assert refused not in {str(m["To"]) for m in smtp_server.mailbox.messages}
    with read_session() as session:
        [listed] = undelivered_messages(session, organisation_id=board.organisation_id)
        assert undelivered_messages(session, organisation_id=board.organisation_id + 999) == []
    assert (listed.recipient_email, listed.answer) == (refused, REFUSED.format(refused))


def test_a_451_defers_that_one_with_backoff_and_the_rest_still_go(
        board: Board, smtp_server: SmtpServer) -> None:
    later = first_recipient()
    smtp_server.mailbox.answers[later] = "451 4.7.1 Greylisted, try again later"
    now = soon()
    report = send_pass(now)
    assert (report.sent, report.failed, report.deferred) == (5, 0, 1)
    assert report.deferred_reasons == {"451 4.7.1 Greylisted, try again later": 1}
    [waiting] = [m for m in rows() if m.sent_at is None]
    assert waiting.failed_at is None and waiting.attempts == 1
    assert waiting.next_attempt_at is not None and waiting.next_attempt_at > now
    assert send_pass(now).sent == 0  # backing off
    del smtp_server.mailbox.answers[later]
    assert send_pass(now + timedelta(hours=1)).sent == 1
    assert len(set(smtp_server.mailbox.keys())) == len(rows()) == 6


def test_a_421_or_a_dropped_connection_defers_one_and_the_rest_go_on_a_new_connection(
        board: Board, smtp_server: SmtpServer) -> None:
    queued = rows()
    smtp_server.mailbox.answers[queued[0].recipient_email] = "421 4.3.2 Too busy, closing"
    smtp_server.mailbox.drop_once.add(queued[2].recipient_email)
    now = soon()
    report = send_pass(now)
    assert (report.sent, report.failed, report.deferred) == (4, 0, 2)
    assert report.deferred_reasons == {"421 4.3.2 Too busy, closing": 1,
                                       "the mail server closed the connection": 1}
    assert not report.server_down
    smtp_server.mailbox.answers.clear()
    assert send_pass(now + timedelta(hours=1)).sent == 2
    delivered = smtp_server.mailbox.keys()
    assert sorted(delivered) == sorted(m.idempotency_key for m in queued)


def test_a_server_dying_mid_run_stops_the_pass_and_the_rest_wait_untouched(
        board: Board, smtp_server: SmtpServer) -> None:
    smtp_server.mailbox.die_after = 2
    now = soon()
    report = send_pass(now)
    assert report.server_down
    # The message in flight when it died, and the next, whose connection was refused.
    assert (report.sent, report.deferred, report.failed) == (2, 2, 0)
    assert report.deferred_reasons == {"the mail server closed the connection": 1,
                                       f"127.0.0.1:{smtp_server.port}: the mail server "
                                       "refused the connection": 1}
    assert [m.attempts for m in rows() if m.sent_at is None] == [1, 1, 0, 0]
    smtp_server.stop()
    smtp_server.mailbox.die_after = None
    smtp_server.start()
    assert send_pass(now + timedelta(hours=1)).sent == 4
    delivered = smtp_server.mailbox.keys()
    assert len(delivered) == len(set(delivered)) == 6


def test_a_server_that_never_answers_times_out_as_unreachable() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()  # accepts into the backlog, never greets
        port = listener.getsockname()[1]
        email = EmailMessage()
        email["Subject"] = "x"
        with SmtpPostbox(f"smtp://127.0.0.1:{port}", timeout=0.2,
                         sender="board@example.org") as box, \
                pytest.raises(ServerUnavailable) as unavailable:
            box.deliver(email, "k:1", recipient="a@example.org")
    assert unavailable.value.whole_pass
    assert "did not answer in time" in unavailable.value.answer


@pytest.mark.usefixtures("prefect_harness")
def test_outbox_send_says_what_was_sent_deferred_and_failed_and_status_lists_the_failed(
        board: Board, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.commands.test_operator_commands import invoke

    queued = rows()
    refused, later = queued[0].recipient_email, queued[1].recipient_email
    smtp_server.mailbox.answers[refused] = REFUSED.format(refused)
    smtp_server.mailbox.answers[later] = "451 4.7.1 Try again later"
    code, out, _ = invoke(capsys, "outbox", "send")
    assert code == 0
    assert f"Sent 4 messages to smtp://127.0.0.1:{smtp_server.port}; 1 still queued." in out
    assert "Deferred 1, retried with backoff: 451 4.7.1 Try again later (1)." in out
    assert "Failed 1 for good" in out and f"{refused}: {REFUSED.format(refused)}" in out
    code, out, _ = invoke(capsys, "outbox", "status", "--json")
    status = json.loads(out)
    assert (status["sent"], status["undeliverable"], status["backing_off"]) == (4, 1, 1)
    assert status["last_errors"] == {"451 4.7.1 Try again later": 1}
    [undelivered] = status["undelivered"]
    assert (undelivered["to"], undelivered["answer"]) == (refused, REFUSED.format(refused))
    code, out, _ = invoke(capsys, "outbox", "status")
    assert "4 sent, 1 could not be delivered." in out and REFUSED.format(refused) in out


@pytest.mark.usefixtures("prefect_harness")
def test_outbox_send_exits_1_when_the_server_cannot_be_reached(
        sqlite_board: Board, smtp_server: SmtpServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    from tests.commands.test_operator_commands import invoke

    smtp_server.stop()
    code, out, _ = invoke(capsys, "outbox", "send")
    assert code == 1
    assert "Sent 0 messages" in out
    assert "refused the connection" in out
    assert f"The mail server at smtp://127.0.0.1:{smtp_server.port} could not be reached" in out
    code, out, _ = invoke(capsys, "outbox", "send", "--json")
    assert code == 1 and json.loads(out)["server_down"] is True
