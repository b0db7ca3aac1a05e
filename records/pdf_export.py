"""Export sealed records to disk: one record, or every complete one, each view audited."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from sqlalchemy import and_, func, select
from sqlmodel import col

from appraisal_store.actors import Actor
from appraisal_store.environment import write_atomically
from appraisal_store.models import Appraisal, Cycle, Organisation, Person, Record
from appraisal_store.services.content_views import record_content_views
from appraisal_store.sessions import read_session, write_session
from appraisal_store.vocabulary import RecordStage
from records.build import record_id
from records.errors import RecordNotSealed

__all__ = ["export_all_complete", "export_file_name", "export_record"]


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
    statement = select(col(Record.pdf)).where(
        col(Record.appraisal_id) == appraisal_id, col(Record.stage) == RecordStage.COMPLETE
    )
    if version is not None:
        statement = statement.where(col(Record.version) == version)
    with read_session() as session:
        pdf = session.execute(
            statement.order_by(col(Record.version).desc()).limit(1)
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
        select(col(Record.appraisal_id), func.max(col(Record.version)).label("version"))
        .where(col(Record.stage) == RecordStage.COMPLETE)
        .group_by(col(Record.appraisal_id))
        .subquery()
    )
    statement = (
        select(col(Record.appraisal_id), col(Record.version), col(Record.pdf),
               col(Organisation.code), col(Person.name), col(Cycle.year))
        .join(latest, and_(col(Record.appraisal_id) == latest.c.appraisal_id,
                           col(Record.version) == latest.c.version))
        .join(Appraisal, col(Appraisal.id) == Record.appraisal_id)
        .join(Organisation, col(Organisation.id) == Appraisal.organisation_id)
        .join(Person, col(Person.id) == Appraisal.appraisee_id)
        .join(Cycle, col(Cycle.id) == Appraisal.cycle_id)
        .where(col(Record.stage) == RecordStage.COMPLETE)
        .order_by(col(Record.appraisal_id))
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
