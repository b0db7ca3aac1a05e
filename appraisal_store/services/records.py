"""Sealed records into the store: the rows, their audit, and the record-complete messages.

``records.record_sealing`` renders and signs outside any transaction, then opens one short write,
locks the appraisal, checks that nothing changed, and calls :func:`store_sealed_records`
inside it. What a sealed record is made of is the archive's business; that it is stored
once, audited and announced in the same transaction is this module's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import NamedTuple

from sqlmodel import Session

from ..actors import Actor
from ..audit import PendingEvent, record_events
from ..audit_hashing import AuditAnchor
from ..clock import moment_of
from ..links import Page, for_reader
from ..models import Appraisal, Record
from ..outbox import QueuedMessage, queue_messages
from ..queries import company_secretaries
from ..vocabulary import RecordStage
from .appraisal_changes import context_of
from .contributors import outcome_notices
from .endorsement import endorsement_requests

SEALING_ACTOR = Actor.system("records archive")


class MadeRecord(NamedTuple):
    """One record made: its stage, its bytes, and the audit anchor inside them."""

    stage: RecordStage
    pdf: bytes
    anchor: AuditAnchor


def store_sealed_records(*, session: Session, appraisal: Appraisal,
                         made: Sequence[MadeRecord]) -> list[Record]:
    """Store the sealed PDFs of the appraisal's current version, each with the audit anchor
    inside its signed bytes, audit each, and queue the ``record_complete`` messages when
    the complete record is among them.

    The caller holds the appraisal's row lock and has checked that ``made`` was made from
    the signatures and stored stages that are still there.

    Args:
        session: The caller's write transaction.
        appraisal: The appraisal, locked.
        made: The records made, in the order they were made.

    Returns:
        The stored rows (flushed: the unique (appraisal, version, stage) is the backstop
        against a repeat, raising before anything is audited).
    """
    appraisal_id, version = appraisal.id or 0, appraisal.record_version
    rows = [
        Record(appraisal_id=appraisal_id, version=version, stage=stage, pdf=pdf,
               sha256=hashlib.sha256(pdf).hexdigest(),
               reason=_version_reason(appraisal, stage),
               audit_anchor_event=anchor.event_id, audit_anchor_hash=anchor.hash,
               created_at=moment_of(session))
        for stage, pdf, anchor in made
    ]
    session.add_all(rows)
    session.flush()
    # One append to the chain for all of them.
    record_events(session, SEALING_ACTOR, [
        PendingEvent("record_sealed", "appraisal", appraisal_id, appraisal.organisation_id,
                     {"record_version": version, "stage": row.stage.value,
                      "sha256": row.sha256})
        for row in rows
    ])
    if any(record.stage is RecordStage.COMPLETE for record in made):
        # Queued in the same transaction as the complete record, so a crash loses neither.
        queue_messages(session, _record_complete_messages(session, appraisal)
                       + endorsement_requests(session, appraisal)
                       + outcome_notices(session, appraisal))
    return rows


def _record_complete_messages(session: Session, appraisal: Appraisal) -> list[QueuedMessage]:
    context = context_of(session, appraisal)
    payload = context.payload(due=appraisal.sign_off_due, nhse_due=appraisal.nhse_due)
    recipients = [
        (context.appraisee_name, context.appraisee_email, Page.APPRAISAL),
        (context.appraiser_name, context.appraiser_email, Page.REVIEW),
    ] + [(name, email, Page.MANAGEMENT) for name, email in company_secretaries(
        session, {appraisal.organisation_id}).get(appraisal.organisation_id, [])]
    return [
        QueuedMessage(
            f"record_complete:{appraisal.id}:{appraisal.record_version}:{email}",
            "record_complete", email, name or "", appraisal.id, payload | for_reader(page),
        )
        for name, email, page in recipients
        if email
    ]


def _version_reason(appraisal: Appraisal, stage: RecordStage) -> str:
    what = {RecordStage.SIGNED_BY_APPRAISEE: "Signed by the appraisee",
            RecordStage.COMPLETE: "Signed by both parties",
            RecordStage.ENDORSED: "Endorsed by NHS England's regional director"}[stage]
    if appraisal.record_version > 1:
        why = f": {appraisal.closure_reason}" if appraisal.closure_reason else ""
        what += f"; corrects version {appraisal.record_version - 1}{why}"
    return what
