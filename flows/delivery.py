"""Delivering queued messages: claim each, render it, hand it to the postbox, mark it.

Each message is claimed in its own short transaction (a lease, so two senders never take
the same one), and marked sent in its own short transaction right after the server
accepted it. A failure counts an attempt and backs off exponentially; the message stays
queued. The only window for a repeat is a crash between the server's acceptance and the
mark: the repeat then carries the same Message-ID.

Kept free of Prefect: the ``send-outbox`` flow runs it in batches, and the portal runs it at
once for the messages a person's action queued (``portal.follow_ups``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from appraisal_store.database import read_session, write_session
from appraisal_store.environment import EnvironmentFailure
from appraisal_store.models import OutboxMessage
from appraisal_store.services import outbox as bookkeeping
from appraisal_store.sql_types import utcnow

from .emails import render_email
from .postbox import CONNECTION_ERRORS, postbox
from .runtime import fault_point, report_progress

log = logging.getLogger("flows.outbox")


@dataclass
class DeliveryReport:
    """What one pass over the outbox did."""

    sent: int = 0
    failed: int = 0
    server_down: bool = False
    dropped: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.dropped += other.dropped
        self.server_down = self.server_down or other.server_down


def due_message_ids(*, now: datetime, limit: int, appraisal_id: int | None = None) -> list[int]:
    """Ids of unsent messages whose next attempt is due, oldest first."""
    with read_session() as session:
        return bookkeeping.due_message_ids(session, now=now, limit=limit,
                                           appraisal_id=appraisal_id)


def pending_count() -> int:
    """Unsent messages, due or backing off."""
    with read_session() as session:
        return bookkeeping.pending_count(session)


def claim(message_id: int, now: datetime) -> OutboxMessage | None:
    """Take the message for the lease; None when it was sent or another sender holds it."""
    with write_session() as session:
        return bookkeeping.claim_message(session, message_id=message_id, now=now)


def deliver_messages(message_ids: list[int], *, now: datetime | None = None) -> DeliveryReport:
    """Claim, render, send and mark each message; stops early when the server is down.

    Idempotent: a message already sent (or held by another sender) is skipped.
    """
    report = DeliveryReport()
    with postbox() as box:
        for message_id in message_ids:
            moment = now or utcnow()
            message = claim(message_id, moment)
            if message is None:
                continue
            if message.template == bookkeeping.SIGN_IN_TEMPLATE:
                with write_session() as session:
                    bookkeeping.drop_sign_in_message(session, message_id=message_id)
                log.warning("Dropped a queued sign-in email (outbox message %s) unsent: "
                            "sign-in links are sent by the portal at once", message_id)
                report.dropped += 1
                continue
            try:
                box.deliver(render_email(message, now=moment), message.idempotency_key,
                            recipient=message.recipient_email)
            except CONNECTION_ERRORS as error:
                _failed(message_id, error, moment)
                report.failed += 1
                report.server_down = True
                break
            except EnvironmentFailure as error:
                # A full disk or a read-only outbox folder: no later message would fare
                # better, so the pass stops with that sentence.
                _failed(message_id, error, moment)
                raise
            except Exception as error:  # noqa: BLE001 - one bad message must not stop the rest
                _failed(message_id, error, moment)
                report.failed += 1
                continue
            with write_session() as session:
                bookkeeping.mark_sent(session, message_id=message_id, now=moment)
            report.sent += 1
            report_progress(1)
            fault_point("kill-after-send")
    return report


def _failed(message_id: int, error: Exception, now: datetime) -> None:
    with write_session() as session:
        bookkeeping.mark_failed(session, message_id=message_id,
                                error=f"{error.__class__.__name__}: {error}", now=now)
