"""The meeting invitation as calendars read it: scheduled, moved once and cancelled once,
delivered over a real SMTP server and parsed by two independent iCalendar parsers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message

import vobject
from icalendar import Calendar

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.services import administration, meetings
from tests.appraisal_store.test_meetings import CHAIR, NED, SUMMER, TUESDAY, submit
from tests.conftest import Board
from tests.flows.conftest import SmtpServer
from tests.flows.test_outbox import send_all

ZOE = "Zoë Łukasiewicz"


def _calendar_part(email: Message) -> Message:
    [part] = [p for p in email.walk() if p.get_content_type() == "text/calendar"]
    return part


def _text(email: Message) -> str:
    [part] = [p for p in email.walk() if p.get_content_type() == "text/plain"]
    return part.get_payload(decode=True).decode()


def _subject(email: Message) -> str:
    return str(make_header(decode_header(str(email["Subject"]))))


def _meeting_emails(smtp_server: SmtpServer) -> list[Message]:
    return [m for m in smtp_server.mailbox.messages
            if str(m["X-Appraisal-Key"]).startswith("meeting:")]


def test_scheduled_moved_and_cancelled_meeting_is_one_event_in_both_calendars(
        sqlite_board: Board, smtp_server: SmtpServer) -> None:
    appraisal_id = submit(sqlite_board)
    chair = sqlite_board.actor(CHAIR)
    with sessions.write_session() as session:
        meetings.schedule_meeting(session=session, actor=chair, appraisal_id=appraisal_id,
                                  starts_at=TUESDAY, duration_minutes=60,
                                  place="The boardroom, Riverside House")
    send_all()
    with sessions.write_session() as session:
        meetings.move_meeting(session=session, actor=chair, appraisal_id=appraisal_id,
                              starts_at=SUMMER, duration_minutes=90,
                              place="Video: https://teams.example/meet?id=1,2")
    send_all()
    with sessions.write_session() as session:
        meetings.cancel_meeting(session=session, actor=chair, appraisal_id=appraisal_id)
    send_all()

    emails = _meeting_emails(smtp_server)
    assert [(str(m["To"]).split("<")[1].rstrip(">")) for m in emails] == [NED, CHAIR] * 3
    parts = [_calendar_part(m) for m in emails]
    assert [p.get_param("method") for p in parts] == ["REQUEST"] * 4 + ["CANCEL"] * 2
    assert all(p.get_filename() == "appraisal-meeting.ics" for p in parts)
    raw = [p.get_payload(decode=True).decode() for p in parts]
    assert all("DTSTART;TZID=Europe/London:" in text for text in raw)

    calendars = [Calendar.from_ical(text) for text in raw]
    assert [str(c["method"]) for c in calendars] == ["REQUEST"] * 4 + ["CANCEL"] * 2
    events = [c.walk("VEVENT")[0] for c in calendars]
    assert len({str(e["uid"]) for e in events}) == 1  # one event for both people, always
    assert [int(e["sequence"]) for e in events] == [0, 0, 1, 1, 2, 2]
    assert [str(e["status"]) for e in events] == ["CONFIRMED"] * 4 + ["CANCELLED"] * 2
    for calendar in calendars:
        [zone] = calendar.walk("VTIMEZONE")
        assert str(zone["tzid"]) == "Europe/London"
    # The VTIMEZONE's own rules (not the zone's name) give GMT in March and BST in June.
    rules = calendars[0].walk("VTIMEZONE")[0].to_tz()
    assert TUESDAY.replace(tzinfo=rules).utcoffset() == timedelta(0)
    assert SUMMER.replace(tzinfo=rules).utcoffset() == timedelta(hours=1)
    first, moved = events[0], events[2]
    assert first["dtstart"].params["TZID"] == "Europe/London"
    assert first.decoded("dtstart").astimezone(UTC) == datetime(2026, 3, 3, 14, 30, tzinfo=UTC)
    assert first.decoded("dtend") - first.decoded("dtstart") == timedelta(hours=1)
    # Summer time: 10am in London is 9am UTC.
    assert moved.decoded("dtstart").astimezone(UTC) == datetime(2026, 6, 16, 9, 0, tzinfo=UTC)
    assert moved.decoded("dtend") - moved.decoded("dtstart") == timedelta(minutes=90)
    assert str(moved["location"]) == "Video: https://teams.example/meet?id=1,2"
    assert all(e.decoded("dtstamp").tzinfo is not None for e in events)
    organiser = first["organizer"]
    assert str(organiser) == f"mailto:{CHAIR}" and organiser.params["CN"] == "Margaret Okafor"
    attendees = first["attendee"]
    assert [str(a) for a in attendees] == [f"mailto:{NED}", f"mailto:{CHAIR}"]
    assert attendees[0].params["CN"] == ZOE
    for attendee in attendees:
        assert (attendee.params["ROLE"], attendee.params["PARTSTAT"],
                attendee.params["RSVP"]) == ("REQ-PARTICIPANT", "NEEDS-ACTION", "TRUE")

    # A second, independent parser reads the same.
    parsed = [vobject.readOne(text) for text in raw]
    assert [c.method.value for c in parsed] == ["REQUEST"] * 4 + ["CANCEL"] * 2
    assert {c.vevent.uid.value for c in parsed} == {str(events[0]["uid"])}
    assert [c.vevent.sequence.value for c in parsed] == ["0", "0", "1", "1", "2", "2"]
    assert {c.vtimezone.tzid.value for c in parsed} == {"Europe/London"}
    start = parsed[0].vevent.dtstart
    assert start.params["X-VOBJ-ORIGINAL-TZID"] == ["Europe/London"]  # vobject moves TZID
    assert start.value.astimezone(UTC) == datetime(2026, 3, 3, 14, 30, tzinfo=UTC)
    summer = parsed[2].vevent.dtstart.value
    assert summer.utcoffset() == timedelta(hours=1)
    assert parsed[0].vevent.organizer.value == f"mailto:{CHAIR}"
    assert parsed[0].vevent.organizer.params["CN"] == ["Margaret Okafor"]
    vattendees = parsed[0].vevent.contents["attendee"]
    assert [(a.value, a.params["CN"], a.params["PARTSTAT"], a.params["RSVP"]) for a in vattendees
            ] == [(f"mailto:{NED}", [ZOE], ["NEEDS-ACTION"], ["TRUE"]),
                  (f"mailto:{CHAIR}", ["Margaret Okafor"], ["NEEDS-ACTION"], ["TRUE"])]
    assert parsed[4].vevent.status.value == "CANCELLED"

    invitation, moved_text, cancelled = _text(emails[0]), _text(emails[2]), _text(emails[4])
    assert _subject(emails[0]) == f"Appraisal meeting on Tuesday 3 March 2026 at 2:30pm: {ZOE}"
    assert "is on Tuesday 3 March 2026 at 2:30pm, for 1 hour." in invitation
    assert "Where: The boardroom, Riverside House" in invitation
    assert "has moved. It is now on Tuesday 16 June 2026 at 10am, for 1 hour 30 minutes." \
        in moved_text
    assert "It was on Tuesday 3 March 2026 at 2:30pm." in moved_text
    assert "on Tuesday 16 June 2026 at 10am has been cancelled" in cancelled
    assert _subject(emails[4]).startswith("Appraisal meeting cancelled")


def test_a_withdrawn_appraisals_meeting_is_cancelled_in_both_calendars(
        sqlite_board: Board, smtp_server: SmtpServer) -> None:
    appraisal_id = submit(sqlite_board)
    with sessions.write_session() as session:
        meetings.schedule_meeting(session=session, actor=sqlite_board.actor(CHAIR),
                                  appraisal_id=appraisal_id, starts_at=TUESDAY,
                                  duration_minutes=60, place="The boardroom")
    with sessions.write_session(now=datetime(2026, 2, 1, 9, 0, tzinfo=UTC)) as session:
        administration.withdraw(session=session, actor=Actor.operator(),
                                appraisal_id=appraisal_id, reason="Left the board")
    send_all()
    emails = _meeting_emails(smtp_server)
    cancels = [m for m in emails if _calendar_part(m).get_param("method") == "CANCEL"]
    assert len(cancels) == 2
    events = [Calendar.from_ical(_calendar_part(m).get_payload(decode=True)).walk("VEVENT")[0]
              for m in emails]
    assert len({str(e["uid"]) for e in events}) == 1
    assert "the appraisal is withdrawn" in _text(cancels[0])
