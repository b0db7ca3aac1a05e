"""How an actor stands to an appraisal, and what they may see (domain.md section 5)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select
from sqlmodel import Session

from ..actors import Actor
from ..database import run_columns
from ..errors import NotFound
from ..lifecycle import Party
from ..models import Appointment, Appraisal, ContentDelegation
from ..vocabulary import BoardRole

# Built once: constructing a statement costs more than SQLite takes to run it.
_CURRENT_ROLES = select(Appointment.role).where(
    Appointment.person_id == bindparam("person_id"),
    Appointment.organisation_id == bindparam("organisation_id"),
    Appointment.start_date <= bindparam("day"),
    (Appointment.end_date.is_(None)) | (Appointment.end_date >= bindparam("day")),  # type: ignore[union-attr]
)
_APPRAISAL = select(Appraisal).where(Appraisal.id == bindparam("appraisal_id"))
# The lock's read must win over what the session already holds: an appraisal read earlier
# in the same session (the portal reads it to find its framework) keeps its old
# attributes otherwise, and a submission committed in between would go unseen.
_APPRAISAL_FOR_UPDATE = _APPRAISAL.with_for_update().execution_options(populate_existing=True)


def current_roles(session: Session, person_id: int, organisation_id: int,
                  *, on: date | None = None) -> set[BoardRole]:
    """The roles ``person_id`` holds on the organisation's board on ``on`` (today by default)."""
    rows = run_columns(session, _CURRENT_ROLES, {
        "person_id": person_id, "organisation_id": organisation_id, "day": on or date.today(),
    }).scalars()
    return set(rows)


def is_org_administrator(session: Session, actor: Actor, organisation_id: int) -> bool:
    """Admins, and the organisation's chair and company secretary, administer its cycle."""
    if actor.is_admin:
        return True
    if actor.person_id is None:
        return False
    roles = current_roles(session, actor.person_id, organisation_id)
    return bool(roles & {BoardRole.CHAIR, BoardRole.COMPANY_SECRETARY})


def parties(session: Session, actor: Actor, appraisal: Appraisal) -> set[Party]:
    """Every way the actor stands to the appraisal (possibly none)."""
    found: set[Party] = set()
    if actor.is_system:
        found.add(Party.SYSTEM)
    if actor.person_id is not None:
        if actor.person_id == appraisal.appraisee_id:
            found.add(Party.APPRAISEE)
        if actor.person_id == appraisal.appraiser_id:
            found.add(Party.APPRAISER)
    # Nobody administers their own appraisal (a chair cannot withdraw or extend their own).
    if actor.person_id != appraisal.appraisee_id and is_org_administrator(
        session, actor, appraisal.organisation_id
    ):
        found.add(Party.ADMINISTRATOR)
    return found


def can_view_content(session: Session, actor: Actor, appraisal: Appraisal) -> bool:
    """Self-assessment content: the appraisee, the appraiser, the chair of the board, or a
    company secretary the chair has delegated to. Admins and flows see status only."""
    if actor.person_id is None:
        return False
    if actor.person_id in (appraisal.appraisee_id, appraisal.appraiser_id):
        return True
    roles = current_roles(session, actor.person_id, appraisal.organisation_id)
    if BoardRole.CHAIR in roles:
        return True
    if BoardRole.COMPANY_SECRETARY in roles:
        return has_delegation(session, actor.person_id, appraisal.organisation_id)
    return False


def has_delegation(session: Session, person_id: int, organisation_id: int) -> bool:
    return session.execute(
        select(ContentDelegation.id).where(
            ContentDelegation.delegate_id == person_id,
            ContentDelegation.organisation_id == organisation_id,
            ContentDelegation.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    ).first() is not None


def get_appraisal(session: Session, actor: Actor, appraisal_id: int, *,
                  for_update: bool = False) -> tuple[Appraisal, set[Party]]:
    """Load an appraisal the actor stands to; anyone else gets NotFound, never a hint."""
    statement = _APPRAISAL_FOR_UPDATE if for_update else _APPRAISAL
    appraisal = session.execute(statement, {"appraisal_id": appraisal_id}).scalar_one_or_none()
    if appraisal is None:
        raise NotFound(f"There is no appraisal {appraisal_id} that you can see.")
    found = parties(session, actor, appraisal)
    if not found and not can_view_content(session, actor, appraisal):
        raise NotFound(f"There is no appraisal {appraisal_id} that you can see.")
    return appraisal, found
