"""Delivering queued messages: claim each, render it, hand it to the postbox, mark it.

One sender delivers one message at a time, over one database connection and one SMTP
connection held for its batch. Each message is claimed in its own short transaction (a
lease, so two senders never take the same one) and marked sent in its own short
transaction the moment the server accepted it, before the next is sent. So a crash can
repeat at most the one message in flight, and the repeat carries the same Message-ID
(from its idempotency key), which lets mail systems fold the two.

What the server answers decides the rest (``flows.postbox``): a 5xx for a message marks it
undeliverable with the answer, never tried again; a 4xx backs it off; a dropped connection
backs off the message in flight and the next is tried on a new connection; when no
connection can be had at all, the pass stops and the rest wait, untouched, for the next.

Kept free of Prefect: the ``send-outbox`` flow runs it in batches, and the portal runs it at
once for the messages a person's action queued (``portal.follow_ups``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection
from sqlmodel import Session

from appraisal_store.clock import utcnow
from appraisal_store.engines import engine
from appraisal_store.environment import EnvironmentFailure
from appraisal_store.models import OutboxMessage
from appraisal_store.services import outbox as bookkeeping
from appraisal_store.sessions import read_session, write_session

from .emails import render_email
from .fault_points import fault_point
from .postbox import CONNECTION_ERRORS, ServerUnavailable, Undeliverable, postbox
from .progress import report_progress

__all__ = ["CONNECTION_ERRORS", "DeliveryReport", "deliver_messages", "due_message_ids",
           "pending_count"]
log = logging.getLogger("flows.outbox")
# Connections dropped one after another: the server is taken as gone for this pass.
MOST_DROPS_IN_A_ROW = 3


@dataclass
class DeliveryReport:
    """What one pass over the outbox did.

    ``failed``: refused for good (their answers in ``failures``); ``deferred``: to be tried
    again with backoff (their reasons, with how many, in ``deferred_reasons``);
    ``server_down``: the pass stopped because no connection could be had.
    """

    sent: int = 0
    failed: int = 0
    server_down: bool = False
    dropped: int = 0
    deferred: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    deferred_reasons: Counter[str] = field(default_factory=Counter)

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.dropped += other.dropped
        self.deferred += other.deferred
        self.failures += other.failures
        self.deferred_reasons.update(other.deferred_reasons)
        self.server_down = self.server_down or other.server_down


def due_message_ids(*, now: datetime, limit: int, appraisal_id: int | None = None) -> list[int]:
    """Ids of unsent messages whose next attempt is due, oldest first."""
    with read_session() as session:
        return bookkeeping.due_message_ids(session, now=now, limit=limit,
                                           appraisal_id=appraisal_id)


def pending_count() -> int:
    """Unsent messages still to be tried, due or backing off."""
    with read_session() as session:
        return bookkeeping.pending_count(session)


class _Ledger:
    """The sender's bookkeeping over one database connection, a short transaction a step."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    @contextmanager
    def step(self) -> Iterator[Session]:
        # write_session over the held connection: its own transaction, committed at once.
        with write_session(self.connection) as session:  # type: ignore[arg-type]
            yield session

    def claim(self, message_id: int, now: datetime) -> OutboxMessage | None:
        with self.step() as session:
            return bookkeeping.claim_message(session, message_id=message_id, now=now)

    def sent(self, message_id: int, now: datetime) -> None:
        with self.step() as session:
            bookkeeping.mark_sent(session, message_id=message_id, now=now)

    def deferred(self, message_id: int, reason: str, now: datetime) -> None:
        with self.step() as session:
            bookkeeping.mark_failed(session, message_id=message_id, error=reason, now=now)

    def undeliverable(self, message_id: int, answer: str, now: datetime) -> None:
        with self.step() as session:
            bookkeeping.mark_undeliverable(session, message_id=message_id, answer=answer,
                                           now=now)

    def drop_sign_in(self, message_id: int) -> None:
        with self.step() as session:
            bookkeeping.drop_sign_in_message(session, message_id=message_id)


def deliver_messages(message_ids: list[int], *, now: datetime | None = None) -> DeliveryReport:
    """Claim, render, send and mark each message, one at a time; stops early only when no
    connection to the server can be had.

    Idempotent: a message already sent, refused for good or held by another sender is
    skipped.
    """
    report = DeliveryReport()
    if not message_ids:
        return report
    with engine().connect() as connection, postbox() as box:
        ledger = _Ledger(connection)
        drops = 0
        for message_id in message_ids:
            moment = now or utcnow()
            message = ledger.claim(message_id, moment)
            if message is None:
                continue
            if message.template == bookkeeping.SIGN_IN_TEMPLATE:
                ledger.drop_sign_in(message_id)
                log.warning("Dropped a queued sign-in email (outbox message %s) unsent: "
                            "sign-in links are sent by the portal at once", message_id)
                report.dropped += 1
                continue
            fault_point("kill-after-claim")
            try:
                box.deliver(render_email(message, now=moment), message.idempotency_key,
                            recipient=message.recipient_email)
            except Undeliverable as refused:
                ledger.undeliverable(message_id, refused.answer, moment)
                log.warning("The mail server refused outbox message %s to %s for good: %s",
                            message_id, message.recipient_email, refused.answer)
                report.failed += 1
                report.failures.append((message.recipient_email, refused.answer))
                drops = 0
                continue
            except EnvironmentFailure as error:
                # A full disk or a read-only outbox folder: no later message would fare
                # better, so the pass stops with that sentence.
                ledger.deferred(message_id, str(error), moment)
                raise
            except Exception as error:  # noqa: BLE001 - one bad message must not stop the rest
                reason = getattr(error, "answer", None) or f"{error.__class__.__name__}: {error}"
                ledger.deferred(message_id, reason, moment)
                report.deferred += 1
                report.deferred_reasons[reason] += 1
                if isinstance(error, ServerUnavailable):
                    drops += 1
                    if error.whole_pass or drops >= MOST_DROPS_IN_A_ROW:
                        report.server_down = True
                        break
                else:
                    log.warning("Outbox message %s was not sent (%s); retried with backoff",
                                message_id, reason)
                continue
            fault_point("kill-before-mark")
            ledger.sent(message_id, moment)
            drops = 0
            report.sent += 1
            report_progress(1)
            fault_point("kill-after-send")
    return report
