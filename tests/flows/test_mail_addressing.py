"""Mail goes to the stored address alone, whatever the person's name holds.

A real aiosmtpd server on loopback records each envelope, so the recipients the transport
asked for (RCPT TO) are checked, not only the headers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as email_policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from appraisal_store import config, sessions
from appraisal_store.actors import Actor
from appraisal_store.models import OutboxMessage
from flows.delivery import deliver_messages, due_message_ids
from flows.emails import render_email
from flows.postbox import eml_name
from tests.flows.conftest import SmtpServer, free_port

JANE = "Jane Doe, someone@elsewhere.example,"
JOHN = "Doe, John"
ZOE = "Zoë Łukasiewicz"
HOA = "Nguyễn Thị Hoa"

BOARD_CSV = f"""org_code,name,email,role,start_date,end_date,interim
RX1,Margaret Okafor,chair@rx1.nhs.uk,chair,2021-04-01,,no
RX1,"{JANE}",ceo@rx1.nhs.uk,chief-executive,2020-09-01,,no
RX1,"{JOHN}",finance@rx1.nhs.uk,executive-director,2022-01-10,,no
RX1,{ZOE},ned1@rx1.nhs.uk,non-executive-director,2022-11-01,,no
RX1,{HOA},ned2@rx1.nhs.uk,non-executive-director,2023-11-01,,no
"""


class Envelopes:
    """An SMTP handler that keeps each envelope: who it was from and for, and the message."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=email_policy)
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def for_key(self, key: str) -> tuple[str, list[str], EmailMessage]:
        with self.lock:
            [found] = [r for r in self.received if r[2]["X-Appraisal-Key"] == key]
        return found


@pytest.fixture(name="envelopes")
def envelopes_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Envelopes]:
    server = SmtpServer(free_port())
    server.mailbox = Envelopes()  # type: ignore[assignment]
    server.start()
    monkeypatch.setenv("APPRAISAL_SMTP_URL", server.url)
    config.settings.cache_clear()
    yield server.mailbox  # type: ignore[misc]
    server.stop()
    config.settings.cache_clear()


@pytest.fixture(name="board_of_awkward_names")
def board_of_awkward_names_fixture(sqlite_store: Engine, operator: Actor) -> dict[str, int]:
    """RX1 with the cycle open: an invitation queued for each appraisee, by email."""
    from appraisal_store.models import Appraisal, Person
    from appraisal_store.services.cycles import open_cycles, resolve_dates
    from appraisal_store.services.organisations import add_organisation
    from appraisal_store.services.people import import_people

    with sessions.write_session() as session:
        add_organisation(session=session, actor=operator, code="RX1",
                         name="Riverside Hospitals NHS Trust", org_type="nhs-trust")
        import_people(session=session, actor=operator, csv_text=BOARD_CSV)
        open_cycles(session=session, actor=operator, year="2025/26", organisation_codes=["RX1"],
                    dates=resolve_dates("2025/26"), today=date(2025, 12, 1))
    with sessions.read_session() as session:
        return dict(session.execute(  # type: ignore[arg-type]
            select(Person.email, Appraisal.id).join(Appraisal,
                                                    Appraisal.appraisee_id == Person.id)).all())


def send_everything() -> int:
    now = datetime.now(UTC) + timedelta(minutes=1)
    return deliver_messages(due_message_ids(now=now, limit=100), now=now).sent


@pytest.mark.parametrize(("email", "name"), [("ceo@rx1.nhs.uk", JANE),
                                             ("finance@rx1.nhs.uk", JOHN)])
def test_a_name_holding_commas_and_an_address_reaches_only_the_stored_address(
        board_of_awkward_names: dict[str, int], envelopes: Envelopes, email: str,
        name: str) -> None:
    assert send_everything() == len(board_of_awkward_names)
    mail_from, recipients, message = envelopes.for_key(
        f"invitation:{board_of_awkward_names[email]}")
    assert recipients == [email]
    assert mail_from == "appraisal@localhost"
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == (name, email)
    assert not message["Cc"] and not message["Bcc"]
    # Nobody else received anything at all: one envelope per appraisee, each to itself.
    assert sorted(r for _, rs, _ in envelopes.received for r in rs) == sorted(
        board_of_awkward_names)


@pytest.mark.parametrize(("email", "name"), [("ned1@rx1.nhs.uk", ZOE),
                                             ("ned2@rx1.nhs.uk", HOA)])
def test_unicode_names_round_trip_in_the_to_header(
        board_of_awkward_names: dict[str, int], envelopes: Envelopes, email: str,
        name: str) -> None:
    send_everything()
    _, recipients, message = envelopes.for_key(f"invitation:{board_of_awkward_names[email]}")
    assert recipients == [email]
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == (name, email)
    assert name in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_the_eml_folder_holds_one_recipient_with_the_name_intact(
        board_of_awkward_names: dict[str, int], home: Path) -> None:
    send_everything()
    eml = home / "outbox" / eml_name(f"invitation:{board_of_awkward_names['ceo@rx1.nhs.uk']}")
    message = message_from_bytes(eml.read_bytes(), policy=email_policy)
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == (JANE, "ceo@rx1.nhs.uk")


def test_a_name_stored_with_a_line_break_before_the_rule_still_gets_its_mail(
        sqlite_store: Engine, envelopes: Envelopes) -> None:
    now = datetime.now(UTC)
    with sessions.write_session() as session:
        session.add(OutboxMessage(
            idempotency_key="old:1", template="returned_for_changes",
            recipient_email="ann@rx1.nhs.uk", recipient_name="Ann\r\nBcc: eve@elsewhere.example",
            appraisal_id=None, created_at=now,
            payload={"organisation": "A", "year": "2025/26", "reason": "r", "due": "2026-01-31"}))
    assert send_everything() == 1
    _, recipients, message = envelopes.for_key("old:1")
    assert recipients == ["ann@rx1.nhs.uk"]
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Ann Bcc: eve@elsewhere.example", "ann@rx1.nhs.uk")
    assert message["Bcc"] is None


def test_the_rendered_headers_are_address_objects_not_pasted_text(sqlite_store: Engine) -> None:
    now = datetime.now(UTC)
    message = OutboxMessage(idempotency_key="x:1", template="returned_for_changes",
                            recipient_email="john@rx1.nhs.uk", recipient_name=JOHN,
                            appraisal_id=3, created_at=now,
                            payload={"organisation": "A", "year": "2025/26", "reason": "r",
                                     "due": "2026-01-31"})
    email = render_email(message, now=now)
    assert str(email["To"]) == '"Doe, John" <john@rx1.nhs.uk>'
    assert [a.addr_spec for a in email["From"].addresses] == ["appraisal@localhost"]
