"""Sign NHS England's regional endorsement into the record: the third signature.

The endorsement (``appraisal_store.services.endorsement.endorse``) is recorded first; this
adds its PAdES signature to the stored complete record as an incremental update, in the
"Endorsement" box the renderer left, so the appraisee's and the appraiser's signatures stay
intact, and stores the result as stage ``endorsed``. Idempotent: a stored endorsed record
is skipped; a crash between the endorsement and its seal is found by
:func:`pending_endorsement_seals`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import and_, select
from sqlmodel import Session, col

from appraisal_store.audit import chain_head
from appraisal_store.models import Appraisal, Person, Record
from appraisal_store.nhse_tables import Endorsement
from appraisal_store.services.records import MadeRecord, store_sealed_records
from appraisal_store.sessions import read_session, write_session
from appraisal_store.vocabulary import RecordStage
from records.build import ENDORSER, RECORD_TIME_ZONE
from records.configured_seal import deployment_seal
from records.errors import SigningError
from records.pdf_signing import sign_record
from records.placement import ENDORSEMENT_FIELD
from records.seal import Seal
from records.verify import anchor_keyword

__all__ = ["pending_endorsement_seals", "seal_endorsement"]


def pending_endorsement_seals(session: Session) -> list[int]:
    """Appraisals endorsed on their current version whose endorsed record is not stored."""
    sealed = and_(col(Record.appraisal_id) == col(Endorsement.appraisal_id),
                  col(Record.version) == col(Endorsement.record_version),
                  col(Record.stage) == RecordStage.ENDORSED)
    return list(session.execute(
        select(col(Endorsement.appraisal_id))
        .join(Appraisal, and_(col(Appraisal.id) == col(Endorsement.appraisal_id),
                              col(Appraisal.record_version) == col(Endorsement.record_version)))
        .outerjoin(Record, sealed)
        .where(col(Record.id).is_(None))
        .order_by(col(Endorsement.appraisal_id))).scalars())


def _stage_pdf(session: Session, appraisal: Appraisal, stage: RecordStage) -> bytes | None:
    return session.execute(select(col(Record.pdf)).where(
        col(Record.appraisal_id) == appraisal.id,
        col(Record.version) == appraisal.record_version,
        col(Record.stage) == stage)).scalar_one_or_none()


def seal_endorsement(appraisal_id: int, *, seal: Seal | None = None,
                     now: datetime | None = None) -> str | None:
    """Add the endorsement's signature to the complete record and store it, at ``now``
    (the endorsing request's moment; the clock's by default).

    Returns:
        The endorsed record's SHA-256, or None when there is nothing to do (no
        endorsement on the current version, or already sealed).

    Raises:
        SigningError: the complete record is not stored yet (seal it first).
    """
    with read_session(now=now) as session:
        appraisal = session.get(Appraisal, appraisal_id)
        if appraisal is None:
            return None
        endorsement = session.execute(select(Endorsement).where(
            col(Endorsement.appraisal_id) == appraisal_id,
            col(Endorsement.record_version) == appraisal.record_version)).scalars().first()
        if endorsement is None or _stage_pdf(session, appraisal, RecordStage.ENDORSED):
            return None
        complete = _stage_pdf(session, appraisal, RecordStage.COMPLETE)
        if complete is None:
            raise SigningError(f"Appraisal {appraisal_id} has no sealed complete record to "
                               "endorse yet; seal it first.")
        endorser = session.get(Person, endorsement.endorser_id)
        anchor = chain_head(session)
        version = appraisal.record_version
    pdf = sign_record(
        complete, field_name=ENDORSEMENT_FIELD,
        signer_name=endorser.name if endorser else "Regional director",
        signer_role=ENDORSER if endorsement.standing == "regional-director" else
        "delegate of NHS England's regional director",
        signed_at=endorsement.endorsed_at.astimezone(RECORD_TIME_ZONE),
        seal=seal or deployment_seal(), keywords=[anchor_keyword(anchor)])
    with write_session(now=now) as session:
        locked = session.execute(select(Appraisal).where(col(Appraisal.id) == appraisal_id)
                                 .with_for_update()).scalar_one()
        if locked.record_version != version or _stage_pdf(session, locked,
                                                           RecordStage.ENDORSED):
            return None
        store_sealed_records(session=session, appraisal=locked,
                             made=[MadeRecord(RecordStage.ENDORSED, pdf, anchor)])
    return hashlib.sha256(pdf).hexdigest()
