"""Rendering an outbox row as an email: Jinja2 plain text and HTML, and an .ics for meetings.

The Message-ID is derived from the idempotency key, so a message delivered again after a
crash carries the same id and a receiving system can recognise the repeat.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as email_policy
from email.utils import format_datetime, parseaddr
from typing import Any

from icalendar import Calendar, Event, vCalAddress

from appraisal_store.config import settings
from appraisal_store.date_words import long_date
from appraisal_store.feedback_links import link_path, link_token
from appraisal_store.links import page_path
from appraisal_store.models import OutboxMessage
from appraisal_store.names import printable_name
from appraisal_store.services.meetings import LONDON, duration_words, meeting_words
from templates.environments import emails_environment


def sender_address(mail_from: str) -> Address:
    """``APPRAISAL_MAIL_FROM`` (``Name <address>`` or a bare address) as an address object.

    Raises:
        ValueError: it does not hold exactly one usable address.
    """
    parsed = email_policy.header_factory("From", mail_from)
    if parsed.defects or len(parsed.addresses) != 1 or not parsed.addresses[0].domain:
        raise ValueError(f"APPRAISAL_MAIL_FROM {mail_from!r} is not one email address")
    return parsed.addresses[0]


def recipient_address(message: OutboxMessage) -> Address:
    """The row's stored address, with the person's name as its display name only.

    The name is quoted by the address object, so a comma or an ``@`` in it stays part of
    the name; characters the name rule refuses (in names stored before it) become spaces.
    """
    return Address(display_name=printable_name(message.recipient_name),
                   addr_spec=message.recipient_email)


def message_id(idempotency_key: str, mail_from: str) -> str:
    """A stable Message-ID for one key: the same key always gives the same id."""
    domain = parseaddr(mail_from)[1].partition("@")[2] or "board-appraisal.local"
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]}@{domain}>"


def _long_date(iso: str | None) -> str:
    if not iso:
        return ""
    return long_date(date.fromisoformat(iso))


def _meeting_words(meeting: dict[str, Any] | None) -> dict[str, str]:
    """The meeting's time, length and place as an email says them (UK style, in words)."""
    if not meeting:
        return {"meeting_when": "", "meeting_length": "", "meeting_place": "",
                "meeting_was": "", "meeting_place_was": ""}
    previous = meeting.get("previous_starts_at")
    return {
        "meeting_when": meeting_words(datetime.fromisoformat(meeting["starts_at"])),
        "meeting_length": duration_words(meeting["duration_minutes"]),
        "meeting_place": meeting["place"],
        "meeting_was": meeting_words(datetime.fromisoformat(previous)) if previous else "",
        "meeting_place_was": meeting.get("previous_place", ""),
    }


def email_context(message: OutboxMessage) -> dict[str, Any]:
    """The names a template may use: the payload, the recipient and the portal link."""
    payload = dict(message.payload or {})
    base_url = settings().base_url.rstrip("/")
    return {
        "organisation": "", "year": "", "appraiser_name": None, "reason": None,
        "deadline": None, "stage": "", "working_days_overdue": 0, "escalated_to": None,
        "meeting_date": None, "state": None, "revision": None, "nhse_due": None,
        **payload,
        "appraisee_name": payload.get("appraisee_name") or message.recipient_name,
        "recipient_name": message.recipient_name,
        "due_long": _long_date(payload.get("due")),
        "meeting_long": _long_date(payload.get("meeting_date")),
        "nhse_due_long": _long_date(payload.get("nhse_due")),
        "completed_long": _long_date(payload.get("completed_on")),
        "days_left": payload.get("days_left"),
        **_meeting_words(payload.get("meeting")),
        "portal_url": base_url + page_path(payload, message.appraisal_id),
        **_feedback_link(base_url, payload),
    }


def _feedback_link(base_url: str, payload: dict[str, Any]) -> dict[str, str]:
    """A feedback respondent's personal link and code, derived here from the stored nonce
    (the token itself is never stored, not even in the outbox)."""
    nonce = payload.get("feedback_nonce")
    if not nonce:
        return {}
    return {"portal_url": base_url + link_path(str(nonce)), "code": link_token(str(nonce))}


def meeting_calendar(message: OutboxMessage, context: dict[str, Any]) -> bytes:
    """The iCalendar of a meeting change, the same for both recipients (RFC 5546 iTIP).

    ``REQUEST`` for a new or moved meeting and ``CANCEL`` for a cancelled one, one UID per
    meeting and its SEQUENCE, the start in Europe/London with its VTIMEZONE: what Outlook
    and Google Calendar need to treat every change as the same event.
    """
    meeting = context["meeting"]
    starts_at = datetime.fromisoformat(meeting["starts_at"]).replace(tzinfo=LONDON)
    calendar = Calendar()
    calendar.add("prodid", "-//board-appraisal//NHS board appraisal//EN")
    calendar.add("version", "2.0")
    calendar.add("method", meeting["method"])
    event = Event()
    event.add("uid", meeting["uid"])
    event.add("sequence", meeting["sequence"])
    event.add("dtstamp", datetime.fromisoformat(meeting["stamp"]).astimezone(UTC))
    event.add("dtstart", starts_at)
    event.add("dtend", starts_at + timedelta(minutes=meeting["duration_minutes"]))
    event.add("summary", f"Appraisal meeting: {context['appraisee_name']}, "
                         f"{context['organisation']} {context['year']}")
    event.add("location", meeting["place"])
    event.add("description", f"Board appraisal meeting. The appraisal: {context['portal_url']}")
    event.add("organizer", _calendar_address(meeting["organiser"]))
    for attendee in meeting["attendees"]:
        event.add("attendee", _calendar_address(attendee, ROLE="REQ-PARTICIPANT",
                                                PARTSTAT="NEEDS-ACTION", RSVP="TRUE"))
    event.add("status", "CANCELLED" if meeting["method"] == "CANCEL" else "CONFIRMED")
    event.add("url", context["portal_url"])
    calendar.add_component(event)
    # The zone's rules around the meeting only: a short VTIMEZONE taken from zoneinfo.
    day = starts_at.date()
    calendar.add_missing_timezones(first_date=day - timedelta(days=366),
                                   last_date=day + timedelta(days=366))
    return calendar.to_ical()


def _calendar_address(person: dict[str, str], **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person['email']}")
    address.params["CN"] = person["name"]  # icalendar quotes it (commas, RFC 6868 for quotes)
    address.params.update(params)
    return address


def render_email(message: OutboxMessage, *, now: datetime) -> EmailMessage:
    """Build the email for one outbox row (plain text first, then HTML; .ics for meetings).

    The first line of the text template is ``Subject: ...``; the rest is the body.
    """
    config = settings()
    context = email_context(message)
    environment = emails_environment()
    text = environment.get_template(f"{message.template}.txt").render(context)
    subject_line, _, body = text.partition("\n")
    html = environment.get_template(f"{message.template}.html").render(
        context, subject=subject_line.removeprefix("Subject:").strip())
    email = EmailMessage()
    email["Subject"] = subject_line.removeprefix("Subject:").strip()
    email["From"] = sender_address(config.mail_from)
    email["To"] = recipient_address(message)
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message_id(message.idempotency_key, config.mail_from)
    email["X-Appraisal-Key"] = message.idempotency_key
    email.set_content(body.lstrip("\n"))
    email.add_alternative(html, subtype="html")
    if context.get("meeting"):
        method = context["meeting"]["method"]
        email.add_attachment(meeting_calendar(message, context), maintype="text",
                             subtype="calendar", filename="appraisal-meeting.ics",
                             params={"method": method, "charset": "utf-8"})
    return email
