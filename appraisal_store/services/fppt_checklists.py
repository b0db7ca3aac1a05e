"""FPPT checklist versions in the store: every FPPT year pins the one it was opened on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..clock import moment_of
from ..errors import NotAllowed
from ..fppt_checklist import Checklist, default_checklist, load_checklist
from ..fppt_queries import pinned_checklist
from ..fppt_tables import FPPTChecklistVersion
from .data_versions import add_version, stored_version


def store_checklist(session: Session, actor: Actor, checklist: Checklist
                    ) -> FPPTChecklistVersion:
    """Add ``checklist`` as a version, or return the identical version already stored.

    Raises:
        ValidationFailed: the same id and version is stored with different content.
    """
    existing = stored_version(session, FPPTChecklistVersion, id_column="checklist_id",
                              data_id=checklist.checklist_id, version=checklist.version,
                              content_hash=checklist.content_hash, what="Checklist")
    if existing is not None:
        return existing
    return add_version(session, actor, FPPTChecklistVersion(
        checklist_id=checklist.checklist_id, version=checklist.version, name=checklist.name,
        working_list=checklist.working_list, content_hash=checklist.content_hash,
        content=checklist.to_dict(), imported_at=moment_of(session)),
        action="fppt_checklist_imported", subject_type="fppt_checklist",
        details={"checklist_id": checklist.checklist_id, "version": checklist.version,
                 "content_hash": checklist.content_hash, "working_list": checklist.working_list})


def import_checklist(*, session: Session, actor: Actor, path: Path) -> FPPTChecklistVersion:
    """Validate the checklist file at ``path`` and add it as the current version; FPPT
    years already open keep the version they were opened on.

    Raises:
        NotAllowed: only the operator imports a checklist (it applies to every board).
        ValidationFailed: the file has problems; every one is listed with its line.
    """
    if not actor.is_system:
        raise NotAllowed("Only the operator imports an FPPT checklist.")
    return store_checklist(session, actor, load_checklist(path))


def current_checklist_version(session: Session, actor: Actor) -> FPPTChecklistVersion:
    """The newest stored version; the shipped working list is stored on first use."""
    latest = session.execute(select(FPPTChecklistVersion).order_by(
        col(FPPTChecklistVersion.id).desc()).limit(1)).scalar_one_or_none()
    return latest if latest is not None else store_checklist(session, actor,
                                                             default_checklist())


def checklist_of(session: Session, version_id: int) -> Checklist:
    """The checklist a year pinned (``fppt_queries.pinned_checklist``, cached)."""
    return pinned_checklist(session, version_id)
