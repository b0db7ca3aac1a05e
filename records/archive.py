"""Keep sealed records in the store: seal what was signed, export it, look it up.

Signing (``appraisal_store.services.signing.sign``) records who signed and when; this
module turns each signature into a sealed PDF in the ``Record`` table. The appraisee's
signature gives stage ``signed_by_appraisee``; the appraiser's adds the second PAdES
signature to that very file as an incremental update and gives stage ``complete``. Every
function is idempotent and safe to re-run after a crash: what is stored is skipped, and
each appraisal is sealed in one transaction holding its row lock.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, func, literal, or_, select
from sqlmodel import Session

from appraisal_store.actors import Actor
from appraisal_store.audit import AuditAnchor, chain_head
from appraisal_store.database import (
    pooled_engine,
    queued_write_session,
    read_session,
    write_session,
)
from appraisal_store.environment import write_atomically
from appraisal_store.errors import NotFound
from appraisal_store.models import Appraisal, Cycle, Organisation, Person, Record, Signature
from appraisal_store.services.content_views import record_content_views
from appraisal_store.services.records import MadeRecord, store_sealed_records
from appraisal_store.vocabulary import RecordStage, SignatureRole
from records.build import RECORD_TIME_ZONE, build_content, record_id
from records.content import RecordContent
from records.errors import RecordError, RecordNotSealed, SealingFailed, SigningError
from records.keys import deployment_seal
from records.render import render_record
from records.seal import Seal, sign_record
from records.verify import KnownRecord, anchor_keyword

__all__ = [
    "SealedRecord",
    "export_all_complete",
    "export_file_name",
    "export_record",
    "known_record",
    "pending_seals",
    "seal_appraisal",
    "seal_appraisals",
    "seal_pending_records",
]

log = logging.getLogger(__name__)

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
        Record.appraisal_id == Signature.appraisal_id,
        Record.version == Signature.record_version,
        or_(
            and_(
                Signature.role == SignatureRole.APPRAISEE,
                Record.stage == RecordStage.SIGNED_BY_APPRAISEE,
            ),
            and_(Signature.role == SignatureRole.APPRAISER, Record.stage == RecordStage.COMPLETE),
        ),
    )
    statement = (
        select(Signature.appraisal_id)
        .join(
            Appraisal,
            and_(
                Appraisal.id == Signature.appraisal_id,
                Appraisal.record_version == Signature.record_version,
            ),
        )
        .outerjoin(Record, sealed)
        .where(Record.id.is_(None))  # type: ignore[union-attr]
        .distinct()
        .order_by(Signature.appraisal_id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.execute(statement).scalars())


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
            select(Signature.id, Signature.role, Person.name, Signature.signed_at)
            .join(Person, Person.id == Signature.signer_id)
            .where(
                Signature.appraisal_id == appraisal.id,
                Signature.record_version == appraisal.record_version,
            )
        )
    }
    pdf_column = Record.pdf if with_pdfs else literal(b"")
    stored = {
        stage: (record_key, pdf)
        for record_key, stage, pdf in session.execute(
            select(Record.id, Record.stage, pdf_column).where(
                Record.appraisal_id == appraisal.id,
                Record.version == appraisal.record_version,
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
class _Made:
    """One appraisal's records, made from ``plan`` and not stored yet."""

    appraisal_id: int
    plan: _Plan
    stages: list[MadeRecord]


def _read_and_make(appraisal_id: int, seal: Seal) -> _Made | None:
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
    return _Made(appraisal_id, plan, _make(content, plan, seal, anchor))


def _store_made(made: _Made) -> list[SealedRecord] | None:
    """Store ``made`` in one transaction holding the appraisal's row lock, with its audit
    events and (for a complete record) its messages; None, storing nothing, when the
    signatures or stored stages are no longer those it was made from."""
    # Queued: the sealing workers each store a record every few tenths of a second.
    with queued_write_session(pooled_engine()) as session:
        appraisal = session.execute(
            select(Appraisal).where(Appraisal.id == made.appraisal_id).with_for_update()
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
        seal: The seal to sign with; the deployment's (:func:`records.keys.deployment_seal`)
            by default.

    Returns:
        The records this call stored (empty when there was nothing to do).

    Raises:
        NotFound: There is no such appraisal.
        SealError: No seal is configured (run ``appraisal init``).
        SigningError / RenderError: The record could not be made; nothing was stored.
    """
    for _ in range(_ATTEMPTS):
        made = _read_and_make(appraisal_id, seal or deployment_seal())
        if made is None:
            return []
        stored = _store_made(made)
        if stored is not None:
            return stored
    raise SigningError(
        f"Appraisal {appraisal_id} kept changing while its record was sealed; try again."
    )


@dataclass
class _Sweep:
    """What a sweep sealed and what it could not, in the order of its appraisals."""

    seal: Seal
    sealed: list[int] = field(default_factory=list)
    failures: dict[int, str] = field(default_factory=dict)

    def failed(self, appraisal_id: int, error: RecordError) -> None:
        log.error("Could not seal the record of appraisal %s: %s", appraisal_id, error)
        self.failures[appraisal_id] = error.message

    def settle(self, made: _Made, storing: Future[list[SealedRecord] | None]) -> None:
        """Wait for the store of ``made``; make it again here if the appraisal changed."""
        try:
            stored = storing.result()
            if stored is None:
                stored = seal_appraisal(made.appraisal_id, seal=self.seal)
        except RecordError as error:
            self.failed(made.appraisal_id, error)
            return
        if stored:
            self.sealed.append(made.appraisal_id)


def seal_appraisals(appraisal_ids: list[int], *, seal: Seal | None = None) -> list[int]:
    """Seal each of ``appraisal_ids`` (see :func:`seal_appraisal`), each in its own turn.

    One writer thread stores each appraisal (its own transaction and row lock, as
    :func:`seal_appraisal`) while this thread reads, renders and signs the next one, so
    the store's round trips and SQLite's write queue overlap the CPU work. At most one
    record is being stored and one made at a time. An appraisal that changed between its
    reading and its storing is made again, after the store before it.

    One record that cannot be made does not stop the others; the failures are reported
    together at the end. Any other error stops the sweep once the store in hand has
    finished. A crash loses at most the two appraisals in hand; a re-run seals them.

    Args:
        appraisal_ids: The appraisals, e.g. a batch of :func:`pending_seals`.
        seal: The seal to sign with; the deployment's by default (loaded once per process).

    Returns:
        The appraisal ids for which a record was stored.

    Raises:
        SealError: No seal is configured (nothing was sealed).
        SealingFailed: Some records could not be made; ``sealed`` holds the ids that were.
    """
    if not appraisal_ids:
        return []
    sweep = _Sweep(seal or deployment_seal())
    in_hand: tuple[_Made, Future[list[SealedRecord] | None]] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="record-store") as writer:
        try:
            for appraisal_id in appraisal_ids:
                made: _Made | None = None
                error: RecordError | None = None
                try:
                    made = _read_and_make(appraisal_id, sweep.seal)
                except RecordError as not_made:
                    error = not_made
                if in_hand is not None:
                    held, in_hand = in_hand, None
                    sweep.settle(*held)
                if error is not None:
                    sweep.failed(appraisal_id, error)
                elif made is not None:
                    in_hand = made, writer.submit(_store_made, made)
            if in_hand is not None:
                held, in_hand = in_hand, None
                sweep.settle(*held)
        finally:
            if in_hand is not None:  # this thread failed: the store in hand finishes first
                lost = in_hand[1].exception()
                if lost is not None:
                    log.error("Storing the record of appraisal %s failed as well",
                              in_hand[0].appraisal_id, exc_info=lost)
    if sweep.failures:
        raise SealingFailed(sweep.sealed, sweep.failures)
    return sweep.sealed


def seal_pending_records(*, limit: int | None = None, seal: Seal | None = None) -> list[int]:
    """Seal every appraisal :func:`pending_seals` finds, each in its own transaction.

    Idempotent: a re-run seals nothing new. One record that cannot be made does not stop
    the others; the failures are reported together at the end.

    Args:
        limit: Seal at most this many appraisals in this run.
        seal: The seal to sign with; the deployment's by default.

    Returns:
        The appraisal ids for which a record was stored.

    Raises:
        SealError: No seal is configured (nothing was sealed).
        SealingFailed: Some records could not be made; ``sealed`` holds the ids that were.
    """
    with read_session() as session:
        pending = pending_seals(session, limit=limit)
    return seal_appraisals(pending, seal=seal)


_SPELLED = str.maketrans({
    "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d",
    "ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "Th", "þ": "th",
})


def _slug(text: str) -> str:
    # Letters without a decomposition (Ł, Ø, Đ, ß...) are spelled out before accents go.
    spelled = text.translate(_SPELLED)
    ascii_text = (
        unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode("ascii")
    )
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "record"


def export_file_name(
    organisation_code: str, appraisee_name: str, year: str, appraisal_id: int, version: int
) -> str:
    """The file name of an exported record.

    For example ``RX1-sian-wyn-ap-gruffydd-2025-26-APR-3-v1.pdf``: organisation code,
    appraisee, cycle year and record id, ASCII only so any file system takes it.
    """
    return (
        f"{_slug(organisation_code).upper()}-{_slug(appraisee_name)}-{_slug(year)}-"
        f"{record_id(appraisal_id, version)}.pdf"
    )


def _write(path: Path, pdf: bytes) -> Path:
    """Write ``pdf`` to ``path`` atomically; an identical file already there is left alone."""
    path = Path(path)
    if path.is_file() and path.read_bytes() == pdf:
        return path
    return write_atomically(path, pdf)


def export_record(appraisal_id: int, path: Path | str, *, viewer: Actor,
                  version: int | None = None, page: str = "records export") -> Path:
    """Write the sealed, complete record of an appraisal to ``path``.

    The record is content: its view is audited (``content_viewed``, as ``viewer``, with
    ``page``) and committed before the file is written.

    Args:
        appraisal_id: The appraisal.
        path: The file to write (replaced atomically; parent folders are created).
        viewer: Who reads the record (the operator at the command line).
        version: Which record version; the latest complete one by default.
        page: What the audit event says showed it.

    Returns:
        The path written.

    Raises:
        RecordNotSealed: No complete record (of that version) is stored.
        OSError: The file could not be written.
    """
    statement = select(Record.pdf).where(
        Record.appraisal_id == appraisal_id, Record.stage == RecordStage.COMPLETE
    )
    if version is not None:
        statement = statement.where(Record.version == version)
    with read_session() as session:
        pdf = session.execute(
            statement.order_by(Record.version.desc()).limit(1)  # type: ignore[attr-defined]
        ).scalar_one_or_none()
    if pdf is None:
        which = f"version {version} of " if version is not None else ""
        raise RecordNotSealed(
            f"There is no sealed record of {which}appraisal {appraisal_id}: both parties "
            "must sign it, then `appraisal records seal` (or the seal-records flow) seals it."
        )
    with write_session() as session:
        record_content_views(session=session, actor=viewer, appraisal_ids=[appraisal_id],
                             page=page)
    return _write(Path(path), pdf)


def export_all_complete(folder: Path | str, *, viewer: Actor,
                        page: str = "records export-all") -> list[Path]:
    """Write the latest complete record of every appraisal into ``folder``.

    Files are named by :func:`export_file_name`; a file already holding the same bytes is
    left alone, so a re-run only writes what is new. Each record's view is audited as for
    :func:`export_record`, a batch of them committed before that batch's files are written.

    Args:
        folder: Where to write (created if needed).
        viewer: Who reads the records (the operator at the command line).
        page: What the audit events say showed them.

    Returns:
        Every record file in the export, in appraisal id order.
    """
    latest = (
        select(Record.appraisal_id, func.max(Record.version).label("version"))
        .where(Record.stage == RecordStage.COMPLETE)
        .group_by(Record.appraisal_id)
        .subquery()
    )
    statement = (
        select(Record.appraisal_id, Record.version, Record.pdf, Organisation.code, Person.name,
               Cycle.year)
        .join(latest, and_(Record.appraisal_id == latest.c.appraisal_id,
                           Record.version == latest.c.version))
        .join(Appraisal, Appraisal.id == Record.appraisal_id)
        .join(Organisation, Organisation.id == Appraisal.organisation_id)
        .join(Person, Person.id == Appraisal.appraisee_id)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .where(Record.stage == RecordStage.COMPLETE)
        .order_by(Record.appraisal_id)
        .execution_options(yield_per=100)  # the PDFs are streamed, not all held at once
    )
    written: list[Path] = []
    folder = Path(folder)
    with read_session() as session:
        for batch in session.execute(statement).partitions():
            with write_session() as audit:
                record_content_views(session=audit, actor=viewer,
                                     appraisal_ids=[row[0] for row in batch], page=page)
            for appraisal_id, version, pdf, code, name, year in batch:
                file_name = export_file_name(code, name, year, appraisal_id, version)
                written.append(_write(folder / file_name, pdf))
    return written


def known_record(sha256: str) -> KnownRecord | None:
    """The stored record whose file has this SHA-256 (lower-case hex), for verification.

    Returns:
        The record's id and version, or None when the store holds no such file.
    """
    with read_session() as session:
        row = session.execute(
            select(Record.appraisal_id, Record.version)
            .where(Record.sha256 == sha256.lower())
            .order_by(Record.id)
            .limit(1)
        ).one_or_none()
    if row is None:
        return None
    appraisal_id, version = row
    return KnownRecord(record_id(appraisal_id, version), version, str(appraisal_id))
