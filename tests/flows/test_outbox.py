"""The outbox sender against a real loopback SMTP server and the .eml folder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

from sqlalchemy import select

from appraisal_store.models import OutboxMessage
from appraisal_store.sessions import read_session
from flows.delivery import deliver_messages, due_message_ids, pending_count
from flows.postbox import eml_name
from tests.conftest import Board
from tests.flows.conftest import SmtpServer


def soon() -> datetime:
    """Just after now: the rows are queued at the real time, so "now" must follow them."""
    return datetime.now(UTC) + timedelta(minutes=1)


def send_all(now: datetime | None = None) -> int:
    now = now or soon()
    report = deliver_messages(due_message_ids(now=now, limit=10_000), now=now)
    return report.sent


def outbox_rows() -> list[OutboxMessage]:
    with read_session() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def test_invitations_go_over_smtp_once_with_text_html_and_a_stable_message_id(
        sqlite_board: Board, smtp_server: SmtpServer) -> None:
    queued = outbox_rows()
    assert len(queued) == 6  # in post at the start, not deferred
    assert send_all() == 6
    assert send_all() == 0  # a second pass sends nothing again
    assert sorted(smtp_server.mailbox.keys()) == sorted(m.idempotency_key for m in queued)
    priya = sqlite_board.appraisals["finance@rx1.nhs.uk"]
    email = next(m for m in smtp_server.mailbox.messages
                 if m["X-Appraisal-Key"] == f"invitation:{priya}")
    assert email["Subject"] == "Your 2025/26 board appraisal has opened"
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in email.walk()
             if not p.is_multipart()}
    plain = parts["text/plain"]
    assert "Priya Shah, Riverside Hospitals NHS Trust, 2025/26" in plain
    assert "Due: 31 January 2026" in plain
    assert (f"http://127.0.0.1:8000/appraisals/{sqlite_board.appraisals['finance@rx1.nhs.uk']}"
            in parts["text/html"])
    assert email["Message-ID"].startswith("<") and email["Message-ID"].endswith(">")
    assert all(m.sent_at is not None and m.attempts == 1 for m in outbox_rows())


def test_names_are_escaped_in_html_but_not_in_text(sqlite_board: Board, home: Path) -> None:
    NOW = soon()
    from flows.emails import render_email

    message = OutboxMessage(idempotency_key="x:1", template="returned_for_changes",
                            recipient_email="a@b.c", recipient_name="Ann <Lee>", appraisal_id=3,
                            payload={"organisation": "A & B", "year": "2025/26",
                                     "reason": "<script>", "due": "2026-01-31"},
                            created_at=NOW)
    email = render_email(message, now=NOW)
    html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    plain = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "&lt;script&gt;" in html and "A &amp; B" in html and "<script>" not in html
    assert "<script>" in plain


def test_without_smtp_each_message_is_an_eml_file_named_by_its_key(
        sqlite_board: Board, home: Path) -> None:
    assert send_all() == 6
    files = sorted((home / "outbox").iterdir())
    assert [f.name for f in files] == sorted(eml_name(m.idempotency_key) for m in outbox_rows())
    parsed = message_from_bytes(files[0].read_bytes())
    assert parsed["X-Appraisal-Key"].startswith("invitation:")
    assert not list((home / "outbox").glob("*.tmp*"))


def test_meeting_invitations_carry_an_ics(sqlite_board: Board, home: Path) -> None:
    NOW = soon()
    from icalendar import Calendar

    from flows.emails import render_email

    meeting = {"uid": "m1@board-appraisal", "sequence": 0, "method": "REQUEST",
               "starts_at": "2026-02-10T09:15:00", "duration_minutes": 45, "place": "Room 1",
               "stamp": NOW.isoformat(), "organiser": {"name": "Bo", "email": "b@b.c"},
               "attendees": [{"name": "Ann", "email": "a@b.c"}, {"name": "Bo", "email": "b@b.c"}]}
    message = OutboxMessage(idempotency_key="meeting:m1@board-appraisal:0:7",
                            template="meeting_invitation", recipient_email="a@b.c",
                            recipient_name="Ann", appraisal_id=3, created_at=NOW,
                            payload={"organisation": "A", "year": "2025/26",
                                     "appraisee_name": "Ann", "due": "2026-02-28",
                                     "meeting": meeting})
    email = render_email(message, now=NOW)
    [attachment] = list(email.iter_attachments())
    assert attachment.get_filename() == "appraisal-meeting.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    event = Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert event.decoded("dtstart").isoformat() == "2026-02-10T09:15:00+00:00"
    assert str(event["dtstart"].params["TZID"]) == "Europe/London"
    assert "Tuesday 10 February 2026 at 9:15am, for 45 minutes" in email.get_body(
        ("plain",)).get_content()


def test_smtp_down_then_up_keeps_messages_queued_then_delivers_all(
        sqlite_board: Board, smtp_server: SmtpServer) -> None:
    NOW = soon()
    smtp_server.stop()
    report = deliver_messages(due_message_ids(now=NOW, limit=100), now=NOW)
    assert report.server_down and report.sent == 0
    assert pending_count() == 6
    failed = [m for m in outbox_rows() if m.attempts]
    assert failed and all(m.last_error and m.next_attempt_at > NOW for m in failed)
    # Still down a minute later: the failed one backs off for longer.
    later = NOW + timedelta(minutes=2)
    deliver_messages(due_message_ids(now=later, limit=100), now=later)
    assert max(m.attempts for m in outbox_rows()) == 2
    smtp_server.start()
    much_later = NOW + timedelta(hours=1)
    assert send_all(much_later) == 6
    assert pending_count() == 0
    assert sorted(smtp_server.mailbox.keys()) == sorted(m.idempotency_key for m in outbox_rows())
