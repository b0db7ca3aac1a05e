"""Versioned data files in the store (the framework, the feedback form, the FPPT
checklist): each id and version is stored once, never changed; storing the same file again
returns the stored row, storing changed content under an old version is refused."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import record_event
from ..errors import ValidationFailed


class _VersionRow(Protocol):
    id: int | None
    version: str
    content_hash: str


Row = TypeVar("Row", bound=_VersionRow)


def stored_version(session: Session, table: type[Row], *, id_column: str, data_id: str,
                   version: str, content_hash: str, what: str) -> Row | None:
    """The row already stored for ``data_id`` and ``version``, or None.

    Raises:
        ValidationFailed: that id and version is stored with different content.
    """
    existing: Row | None = session.execute(select(table).where(
        getattr(table, id_column) == data_id,
        col(table.version) == version)).scalar_one_or_none()
    if existing is not None and existing.content_hash != content_hash:
        raise ValidationFailed(
            f"{what} {data_id} version {version} is already stored with different content: "
            "give the changed file a new version.")
    return existing


def add_version(session: Session, actor: Actor, row: Row, *, action: str, subject_type: str,
                details: dict[str, Any]) -> Row:
    """Store a new version's ``row`` and audit its import."""
    session.add(row)
    session.flush()
    record_event(session, actor, action, subject_type=subject_type,
                 subject_id=row.id or 0, details=details)
    return row
