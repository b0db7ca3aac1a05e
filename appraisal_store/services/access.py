"""How an actor stands to an appraisal, and what they may see (domain.md section 5)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, literal, select, union_all
from sqlmodel import Session

from ..actors import Actor
from ..errors import NotFound
from ..lifecycle import Party
from ..models import AdministrationGrant, Appointment, Appraisal, ContentDelegation
from ..sessions import run_columns
from ..vocabulary import BoardRole

# Built once: constructing a statement costs more than SQLite takes to run it.
_LIVE_APPOINTMENT = (
    Appointment.start_date <= bindparam("day"),
    (Appointment.end_date.is_(None)) | (Appointment.end_date >= bindparam("day")),  # type: ignore[union-attr]
)
_CURRENT_ROLES = select(Appointment.role).where(
    Appointment.person_id == bindparam("person_id"),
    Appointment.organisation_id == bindparam("organisation_id"),
    *_LIVE_APPOINTMENT,
)
_ADMINISTERING_ROLES = (BoardRole.CHAIR, BoardRole.COMPANY_SECRETARY)
# One round trip: the chair's or company secretary's appointment, or a live grant.
_ADMINISTERS = union_all(
    select(literal(1)).where(
        Appointment.person_id == bindparam("person_id"),
        Appointment.organisation_id == bindparam("organisation_id"),
        Appointment.role.in_(_ADMINISTERING_ROLES),  # type: ignore[attr-defined]
        *_LIVE_APPOINTMENT),
    select(literal(1)).where(
        AdministrationGrant.person_id == bindparam("person_id"),
        AdministrationGrant.organisation_id == bindparam("organisation_id"),
        AdministrationGrant.revoked_at.is_(None)),  # type: ignore[union-attr]
).limit(1)
_NATIONAL = select(AdministrationGrant.id).where(
    AdministrationGrant.person_id == bindparam("person_id"),
    AdministrationGrant.national.is_(True),  # type: ignore[attr-defined]
    AdministrationGrant.revoked_at.is_(None)).limit(1)  # type: ignore[union-attr]
_ADMINISTERED = union_all(
    select(Appointment.organisation_id).where(
        Appointment.person_id == bindparam("person_id"),
        Appointment.role.in_(_ADMINISTERING_ROLES),  # type: ignore[attr-defined]
        *_LIVE_APPOINTMENT),
    select(AdministrationGrant.organisation_id).where(
        AdministrationGrant.person_id == bindparam("person_id"),
        AdministrationGrant.organisation_id.is_not(None),  # type: ignore[union-attr]
        AdministrationGrant.revoked_at.is_(None)),  # type: ignore[union-attr]
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
    """Whether the actor administers the organisation: its chair and company secretary in
    post, people granted its administration, and the operator and flows. A national
    administrator does not: they see status, they change nothing."""
    if actor.is_system:
        return True
    if actor.person_id is None:
        return False
    return run_columns(session, _ADMINISTERS, {
        "person_id": actor.person_id, "organisation_id": organisation_id,
        "day": date.today()}).first() is not None


def administered_organisation_ids(session: Session, actor: Actor) -> set[int]:
    """The organisations a person administers (empty for the operator, who has every one)."""
    if actor.person_id is None:
        return set()
    return set(run_columns(session, _ADMINISTERED, {
        "person_id": actor.person_id, "day": date.today()}).scalars())


def is_national_administrator(session: Session, actor: Actor) -> bool:
    """NHS England's view across organisations: status of every one, never content, and no
    change to any organisation's appraisals. Granted explicitly (``appraisal admin grant
    EMAIL --national``); the operator and flows count as one."""
    if actor.is_system:
        return True
    if actor.person_id is None:
        return False
    return run_columns(session, _NATIONAL, {"person_id": actor.person_id}).first() is not None


def sees_status_of(session: Session, actor: Actor, organisation_id: int) -> bool:
    """Dashboards and exports of status: the organisation's administrators and national
    administrators."""
    return (is_org_administrator(session, actor, organisation_id)
            or is_national_administrator(session, actor))


def check_status_access(*, session: Session, actor: Actor, organisation_id: int) -> bool:
    """The check of an organisation's completion dashboard and its exports: its
    administrators and national administrators see its status.

    Returns:
        True when the actor administers the organisation; False for a national
        administrator, who sees its status and changes nothing.

    Raises:
        NotFound: neither (no hint that the organisation exists).
    """
    if is_org_administrator(session, actor, organisation_id):
        return True
    if is_national_administrator(session, actor):
        return False
    raise NotFound(f"There is no organisation {organisation_id} that you administer.")


def check_chair(*, session: Session, actor: Actor, organisation_id: int) -> None:
    """The check of the chair's board outcomes: NotFound unless the actor chairs the
    organisation's board today (no hint that the board exists)."""
    if actor.person_id is None or BoardRole.CHAIR not in current_roles(
            session, actor.person_id, organisation_id):
        raise NotFound(f"There is no board {organisation_id} that you chair.")


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
