"""The ``send-outbox`` flow: every due message once, in tens of Prefect task runs.

The delivery itself (claim, render, send, mark; backoff; never twice for one key) is
``flows.delivery``'s, which the portal also runs at once after a person's action; the
postboxes are ``flows.postbox``'s. Sign-in links never pass through here: the portal sends
them at once, and a sign-in row queued by an earlier version is deleted unsent.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from appraisal_store.clock import utcnow

from . import run_names
from .batching import batches
from .delivery import DeliveryReport, deliver_messages, due_message_ids
from .failures import fails_with_a_sentence
from .prefect_settings import flow_settings

LEAST_BATCH = 200  # messages a batch (one task run) holds at the least, but the last


def send_outbox_batches(*, now: datetime | None = None, appraisal_id: int | None = None,
                        limit: int = 20_000) -> DeliveryReport:
    """The outbox pass as Prefect tasks: tens of task runs, each over a batch of messages.

    The batches run one after another, never side by side: a sender with several messages
    in flight at once (accepted by the server, not yet marked) would repeat all of them
    after a crash, where one at a time repeats at most one. When no connection to the
    server can be had, the later batches are not tried.
    """
    report = DeliveryReport()
    ids = due_message_ids(now=now or utcnow(), limit=limit, appraisal_id=appraisal_id)
    for batch in batches(ids, least_size=LEAST_BATCH):
        report.add(deliver_batch(batch, now))
        if report.server_down:
            break
    return report


@task(name="deliver-batch", cache_policy=NO_CACHE, persist_result=False)
def deliver_batch(message_ids: list[int], now: datetime | None) -> DeliveryReport:
    """Deliver one batch of messages (see ``deliver_messages``)."""
    return deliver_messages(message_ids, now=now)


@flow(name="send-outbox", flow_run_name=run_names.send_outbox_run, persist_result=False,
      log_prints=False)
@fails_with_a_sentence
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
