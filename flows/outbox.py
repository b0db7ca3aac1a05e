"""Sending the outbox: claim each due message, render it, deliver it, mark it sent.

Delivery is ``flows.postbox``'s: over SMTP when ``APPRAISAL_SMTP_URL`` is set, otherwise
an .eml file in ``APPRAISAL_HOME/outbox/``. Each message is claimed in its own short
transaction (a lease, so two senders never take the same one), and marked sent in its own
short transaction right after the server accepted it. A failure counts an attempt and
backs off exponentially; the message stays queued. The only window for a repeat is a crash
between the server's acceptance and the mark: the repeat then carries the same Message-ID.

Sign-in links never pass through here: the portal sends them at once, and a sign-in row
queued by an earlier version is deleted unsent (with the link it holds in clear).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import delete, func, or_, select, update

from appraisal_store.database import read_session, write_session
from appraisal_store.models import OutboxMessage
from appraisal_store.sql_types import utcnow

from . import run_names
from .emails import render_email
from .postbox import (  # noqa: F401 - the postboxes are named here too, as they were
    CONNECTION_ERRORS,
    FolderPostbox,
    SmtpPostbox,
    eml_name,
    postbox,
)
from .runtime import batches, fault_point, flow_settings, report_progress

LEASE = timedelta(minutes=2)
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MOST = timedelta(hours=6)
# Sign-in links are sent by the portal at once and never queued; a row of this template was
# queued by an earlier version, holds its link in clear, and has expired or soon will.
SIGN_IN_TEMPLATE = "sign_in_link"
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


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: 1, 2, 4, ... minutes, at most 6 hours."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MOST)


def _is_due(now: datetime):  # type: ignore[no-untyped-def]
    return (OutboxMessage.sent_at.is_(None),  # type: ignore[union-attr]
            or_(OutboxMessage.next_attempt_at.is_(None),  # type: ignore[union-attr]
                OutboxMessage.next_attempt_at <= now))  # type: ignore[operator]


def due_message_ids(*, now: datetime, limit: int, appraisal_id: int | None = None) -> list[int]:
    """Ids of unsent messages whose next attempt is due, oldest first."""
    statement = select(OutboxMessage.id).where(*_is_due(now)).order_by(
        OutboxMessage.id).limit(limit)  # type: ignore[arg-type]
    if appraisal_id is not None:
        statement = statement.where(OutboxMessage.appraisal_id == appraisal_id)
    with read_session() as session:
        return list(session.execute(statement).scalars())


def claim(message_id: int, now: datetime) -> OutboxMessage | None:
    """Take the message for ``LEASE``; None when it was sent or another sender holds it."""
    with write_session() as session:
        taken = session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id, *_is_due(now))
            .values(next_attempt_at=now + LEASE)
        ).rowcount
        return session.get(OutboxMessage, message_id) if taken else None


def mark_sent(message_id: int, now: datetime) -> None:
    with write_session() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                        .values(sent_at=now, last_error=None, attempts=OutboxMessage.attempts + 1))


def mark_failed(message_id: int, error: str, now: datetime) -> None:
    """Count the attempt and back off; the message stays queued."""
    with write_session() as session:
        message = session.get(OutboxMessage, message_id)
        if message is None or message.sent_at is not None:
            return
        message.attempts += 1
        message.next_attempt_at = now + backoff(message.attempts)
        message.last_error = error[:2000]
        session.add(message)


def drop_sign_in_message(message_id: int) -> None:
    """Delete a queued sign-in row unsent: its link is in clear and must never go out late."""
    with write_session() as session:
        session.execute(delete(OutboxMessage).where(OutboxMessage.id == message_id,
                                                    OutboxMessage.template == SIGN_IN_TEMPLATE))


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
            if message.template == SIGN_IN_TEMPLATE:
                drop_sign_in_message(message_id)
                log.warning("Dropped a queued sign-in email (outbox message %s) unsent: "
                            "sign-in links are sent by the portal at once", message_id)
                report.dropped += 1
                continue
            try:
                box.deliver(render_email(message, now=moment), message.idempotency_key,
                            recipient=message.recipient_email)
            except CONNECTION_ERRORS as error:
                mark_failed(message_id, f"{error.__class__.__name__}: {error}", moment)
                report.failed += 1
                report.server_down = True
                break
            except Exception as error:  # noqa: BLE001 - one bad message must not stop the rest
                mark_failed(message_id, f"{error.__class__.__name__}: {error}", moment)
                report.failed += 1
                continue
            mark_sent(message_id, moment)
            report.sent += 1
            report_progress(1)
            fault_point("kill-after-send")
    return report


def pending_count() -> int:
    """Unsent messages, due or backing off."""
    with read_session() as session:
        return int(session.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.sent_at.is_(None))).scalar_one())  # type: ignore[union-attr]


def send_outbox_batches(*, now: datetime | None = None, appraisal_id: int | None = None,
                        limit: int = 20_000) -> DeliveryReport:
    """The outbox pass as Prefect tasks: tens of task runs, each over a batch of messages."""
    report = DeliveryReport()
    ids = due_message_ids(now=now or utcnow(), limit=limit, appraisal_id=appraisal_id)
    futures = [deliver_batch.submit(batch, now) for batch in batches(ids, least_size=200)]
    for future in futures:
        report.add(future.result())
    return report


@task(name="deliver-batch", cache_policy=NO_CACHE, persist_result=False)
def deliver_batch(message_ids: list[int], now: datetime | None) -> DeliveryReport:
    """Deliver one batch of messages (see ``deliver_messages``)."""
    return deliver_messages(message_ids, now=now)


@flow(name="send-outbox", flow_run_name=run_names.send_outbox_run, persist_result=False,
      log_prints=False)
def send_outbox(now: datetime | None = None, appraisal_id: int | None = None) -> DeliveryReport:
    """Send every due message once; safe to run at any time, and several at once.

    Args:
        now: the moment to judge what is due (default: the clock).
        appraisal_id: only this appraisal's messages (after a person's action).
    """
    return send_outbox_batches(now=now, appraisal_id=appraisal_id)


def run_send_outbox(*, now: datetime | None = None) -> DeliveryReport:
    """Plain entry point: the ``send_outbox`` flow with our Prefect settings."""
    with flow_settings():
        return send_outbox(now=now)
