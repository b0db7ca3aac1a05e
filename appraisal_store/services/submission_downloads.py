"""Handing out a stored submission pack (the portal's download, ``appraisal submissions
download``): the pack holds sealed records, so each download is a view of every record in
it, audited before the zip leaves the store."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..errors import NotFound, ValidationFailed
from ..models import Organisation
from ..nhse_tables import SubmissionPack, SubmissionPackItem
from .content_views import record_content_views
from .submissions import read_pack

PAGE = "submission pack"


def latest_pack_id(session: Session, *, organisation_id: int, organisation_code: str,
                   deadline: date) -> int:
    """The newest pack built for the organisation and deadline.

    Raises:
        ValidationFailed: the organisation submits nothing to NHS England.
        NotFound: none was built (the message says how to build one).
    """
    organisation = session.get(Organisation, organisation_id)
    if organisation is not None and not organisation.type.submits_to_nhse:
        raise ValidationFailed(
            f"{organisation.code} ({organisation.type.label}) holds its appraisals locally: "
            "it submits nothing to NHS England, so it has no submission pack.")
    found: int | None = session.execute(select(col(SubmissionPack.id)).where(
        col(SubmissionPack.organisation_id) == organisation_id,
        col(SubmissionPack.deadline) == deadline).order_by(
            col(SubmissionPack.id).desc())).scalars().first()
    if found is None:
        raise NotFound(
            f"There is no submission pack of {organisation_code} for the deadline "
            f"{deadline.day} {deadline:%B %Y}: build one first with 'appraisal submissions "
            f"build --org {organisation_code} --deadline {deadline.isoformat()}'.")
    return found


def download_pack(*, session: Session, actor: Actor, pack_id: int) -> SubmissionPack:
    """The stored pack for an actor who may see it, its download audited as a view of
    each record in it, in the caller's write transaction (commit before handing it out).

    Raises:
        NotFound: no such pack, or not one the actor may see.
    """
    pack = read_pack(session=session, actor=actor, pack_id=pack_id)
    record_content_views(session=session, actor=actor, page=PAGE, appraisal_ids=list(
        session.execute(select(col(SubmissionPackItem.appraisal_id)).where(
            col(SubmissionPackItem.pack_id) == pack_id)).scalars()))
    return pack
