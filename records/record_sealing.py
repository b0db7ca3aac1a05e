"""Seal one appraisal's signatures into the store: plan, render and sign, store.

Signing (``appraisal_store.services.signing.sign``) records who signed and when; this
module turns each signature into a sealed PDF in the ``Record`` table. The appraisee's
signature gives stage ``signed_by_appraisee``; the appraiser's adds the second PAdES
signature to that very file as an incremental update and gives stage ``complete``. Every
function is idempotent and safe to re-run after a crash: what is stored is skipped, and
each appraisal is sealed in one transaction holding its row lock. Many appraisals at once:
``records.sealing_pipeline``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import literal, select
from sqlmodel import Session, col

from appraisal_store.audit import chain_head
from appraisal_store.audit_hashing import AuditAnchor
from appraisal_store.engines import pooled_engine
from appraisal_store.errors import NotFound
from appraisal_store.models import Appraisal, Person, Record, Signature
from appraisal_store.services.records import MadeRecord, store_sealed_records
from appraisal_store.sessions import queued_write_session, read_session
from appraisal_store.vocabulary import RecordStage, SignatureRole
from records.build import RECORD_TIME_ZONE, build_content, record_id
from records.configured_seal import deployment_seal
from records.content import RecordContent
from records.errors import SigningError
from records.pdf_signing import sign_record
from records.render import render_record
from records.seal import Seal
from records.verify import anchor_keyword

__all__ = [
    "SealedRecord",
    "UnstoredRecords",
    "make_records",
    "seal_appraisal",
    "store_made_records",
]

# Which record stage a party's signature produces, and the PDF field it signs.
_STAGE_OF = {
    SignatureRole.APPRAISEE: RecordStage.SIGNED_BY_APPRAISEE,
    SignatureRole.APPRAISER: RecordStage.COMPLETE,
}
_FIELD_OF = {SignatureRole.APPRAISEE: "Appraisee", SignatureRole.APPRAISER: "Appraiser"}


@dataclass(frozen=True)
class SealedRecord:
    """A record stored by :func:`seal_appraisal`."""

    appraisal_id: int
    version: int
    stage: RecordStage
    sha256: str
    record_id: str


def _sign(pdf: bytes, signed: _Signed, content: RecordContent, seal: Seal,
          anchor: AuditAnchor) -> bytes:
    role = content.appraisee_role if signed.role is SignatureRole.APPRAISEE else (
        content.appraiser_role or "Appraiser")
    return sign_record(
        pdf,
        field_name=_FIELD_OF[signed.role],
        signer_name=signed.signer_name,
        signer_role=role,
        signed_at=signed.signed_at.astimezone(RECORD_TIME_ZONE),
        seal=seal,
        # Each signature's update carries the head it was sealed at, where the signature
        # covers it (the document's /Keywords).
        keywords=[anchor_keyword(anchor)],
    )


@dataclass(frozen=True)
class _Signed:
    """One signature on the current version, with the signer's name."""

    signature_id: int
    role: SignatureRole
    signer_name: str
    signed_at: datetime


@dataclass(frozen=True)
class _Plan:
    """What one appraisal's signatures call for, as read in one snapshot of the store."""

    record_version: int
    signatures: dict[SignatureRole, _Signed]
    stored: dict[RecordStage, tuple[int, bytes]]  # stage -> (record id, pdf)
    wanted: tuple[SignatureRole, ...]

    def same_as(self, other: _Plan) -> bool:
        """True when ``other`` was read from the same signatures and stored records."""
        return (
            self.record_version == other.record_version
            and {r: s.signature_id for r, s in self.signatures.items()}
            == {r: s.signature_id for r, s in other.signatures.items()}
            and {st: key for st, (key, _) in self.stored.items()}
            == {st: key for st, (key, _) in other.stored.items()}
        )


def _plan(session: Session, appraisal: Appraisal, *, with_pdfs: bool = True) -> _Plan:
    signatures = {
        role: _Signed(signature_id or 0, role, name, signed_at)
        for signature_id, role, name, signed_at in session.execute(
            select(col(Signature.id), col(Signature.role), col(Person.name),
                   col(Signature.signed_at))
            .join(Person, col(Person.id) == Signature.signer_id)
            .where(
                col(Signature.appraisal_id) == appraisal.id,
                col(Signature.record_version) == appraisal.record_version,
            )
        )
    }
    pdf_column = col(Record.pdf) if with_pdfs else literal(b"")
    stored = {
        stage: (record_key, pdf)
        for record_key, stage, pdf in session.execute(
            select(col(Record.id), col(Record.stage), pdf_column).where(
                col(Record.appraisal_id) == appraisal.id,
                col(Record.version) == appraisal.record_version,
            )
        )
    }
    wanted = tuple(role for role in SignatureRole
                   if role in signatures and _STAGE_OF[role] not in stored)
    if wanted and SignatureRole.APPRAISEE not in signatures:
        raise SigningError(
            f"Appraisal {appraisal.id} carries the appraiser's signature but not the "
            "appraisee's; the record cannot be sealed."
        )
    return _Plan(appraisal.record_version, signatures, stored, wanted)


def _make(content: RecordContent, plan: _Plan, seal: Seal,
          anchor: AuditAnchor) -> list[MadeRecord]:
    """Render and sign what ``plan`` wants, anchored at ``anchor``: CPU only, no database."""
    made: list[MadeRecord] = []
    first = plan.stored.get(RecordStage.SIGNED_BY_APPRAISEE)
    if first is not None:
        pdf = first[1]
    else:
        pdf = _sign(render_record(content), plan.signatures[SignatureRole.APPRAISEE],
                    content, seal, anchor)
        made.append(MadeRecord(RecordStage.SIGNED_BY_APPRAISEE, pdf, anchor))
    if SignatureRole.APPRAISER in plan.wanted:
        pdf = _sign(pdf, plan.signatures[SignatureRole.APPRAISER], content, seal, anchor)
        made.append(MadeRecord(RecordStage.COMPLETE, pdf, anchor))
    return made


# A plan is made again when the appraisal changed between reading it and storing the
# result (another sealer stored it, the appraiser signed meanwhile); rarely more than once.
_ATTEMPTS = 3


@dataclass(frozen=True)
class UnstoredRecords:
    """One appraisal's records, made from ``plan`` and not stored yet."""

    appraisal_id: int
    plan: _Plan
    stages: list[MadeRecord]


def make_records(appraisal_id: int, seal: Seal) -> UnstoredRecords | None:
    """Read the plan and the content in one snapshot, then render and sign (no lock held);
    None when nothing is wanted."""
    # Pooled: on SQLite a connection per session cost every record its pragmas, and the
    # close of the last connection a checkpoint of the write-ahead log.
    with read_session(pooled_engine()) as session:
        appraisal = session.get(Appraisal, appraisal_id)
        if appraisal is None:
            raise NotFound(f"There is no appraisal {appraisal_id}.")
        plan = _plan(session, appraisal)
        if not plan.wanted:
            return None
        content = build_content(session, appraisal_id)
        # The head in this snapshot: every event up to it happened before the record was
        # made, and ``audit verify`` checks the chain still passes through it.
        anchor = chain_head(session)
    return UnstoredRecords(appraisal_id, plan, _make(content, plan, seal, anchor))


def store_made_records(made: UnstoredRecords) -> list[SealedRecord] | None:
    """Store ``made`` in one transaction holding the appraisal's row lock, with its audit
    events and (for a complete record) its messages; None, storing nothing, when the
    signatures or stored stages are no longer those it was made from."""
    # Queued: the sealing workers each store a record every few tenths of a second.
    with queued_write_session(pooled_engine()) as session:
        appraisal = session.execute(
            select(Appraisal).where(col(Appraisal.id) == made.appraisal_id).with_for_update()
        ).scalar_one()
        if not _plan(session, appraisal, with_pdfs=False).same_as(made.plan):
            return None
        rows = store_sealed_records(session=session, appraisal=appraisal, made=made.stages)
        return [SealedRecord(made.appraisal_id, row.version, row.stage, row.sha256,
                             record_id(made.appraisal_id, row.version)) for row in rows]


def seal_appraisal(appraisal_id: int, *, seal: Seal | None = None) -> list[SealedRecord]:
    """Seal whatever the signatures on the appraisal's current version call for.

    If the appraisee has signed and no ``signed_by_appraisee`` record is stored, the
    record is rendered (deterministic) and signed in the "Appraisee" field; if the
    appraiser has signed and no ``complete`` record is stored, the appraiser's signature
    is added to the stored first-stage file as an incremental update, and the
    ``record_complete`` messages (appraisee, appraiser, company secretaries) are queued.
    Each stored record is audited as ``record_sealed``. Safe to re-run: stored stages are
    skipped.

    The rendering and signing (most of a record's CPU) happen outside any write transaction,
    so that sealers in several processes run in parallel even on SQLite, whose write lock
    covers the whole database. The result is stored in one short transaction holding the
    appraisal's row lock, and only if the signatures and stored stages are still those it
    was made from; otherwise the plan is made again.

    Args:
        appraisal_id: The appraisal.
        seal: The seal to sign with; the deployment's
            (:func:`records.configured_seal.deployment_seal`) by default.

    Returns:
        The records this call stored (empty when there was nothing to do).

    Raises:
        NotFound: There is no such appraisal.
        SealError: No seal is configured (run ``appraisal init``).
        SigningError / RenderError: The record could not be made; nothing was stored.
    """
    for _ in range(_ATTEMPTS):
        made = make_records(appraisal_id, seal or deployment_seal())
        if made is None:
            return []
        stored = store_made_records(made)
        if stored is not None:
            return stored
    raise SigningError(
        f"Appraisal {appraisal_id} kept changing while its record was sealed; try again."
    )

