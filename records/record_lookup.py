"""Look up the sealed records in the store: what waits to be sealed, which record a file is."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from appraisal_store.models import Appraisal, Record, Signature
from appraisal_store.sessions import read_session
from appraisal_store.vocabulary import RecordStage, SignatureRole
from records.build import record_id
from records.verify import KnownRecord

__all__ = ["known_record", "pending_seals"]


def pending_seals(session: Session, *, limit: int | None = None) -> list[int]:
    """Appraisals whose current version carries a signature that has no sealed record yet.

    An appraisee's signature wants a record of stage ``signed_by_appraisee``, an
    appraiser's one of stage ``complete``. One query, in appraisal id order.

    Args:
        session: Any session; nothing is written.
        limit: At most this many ids.

    Returns:
        The appraisal ids to seal.
    """
    sealed = and_(
        col(Record.appraisal_id) == Signature.appraisal_id,
        col(Record.version) == Signature.record_version,
        or_(
            and_(
                col(Signature.role) == SignatureRole.APPRAISEE,
                col(Record.stage) == RecordStage.SIGNED_BY_APPRAISEE,
            ),
            and_(col(Signature.role) == SignatureRole.APPRAISER,
                 col(Record.stage) == RecordStage.COMPLETE),
        ),
    )
    statement = (
        select(col(Signature.appraisal_id))
        .join(
            Appraisal,
            and_(
                col(Appraisal.id) == Signature.appraisal_id,
                col(Appraisal.record_version) == Signature.record_version,
            ),
        )
        .outerjoin(Record, sealed)
        .where(col(Record.id).is_(None))
        .distinct()
        .order_by(col(Signature.appraisal_id))
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.execute(statement).scalars())


def known_record(sha256: str) -> KnownRecord | None:
    """The stored record whose file has this SHA-256 (lower-case hex), for verification.

    Returns:
        The record's id and version, or None when the store holds no such file.
    """
    with read_session() as session:
        row = session.execute(
            select(col(Record.appraisal_id), col(Record.version))
            .where(col(Record.sha256) == sha256.lower())
            .order_by(col(Record.id))
            .limit(1)
        ).one_or_none()
    if row is None:
        return None
    appraisal_id, version = row
    return KnownRecord(record_id(appraisal_id, version), version, str(appraisal_id))
