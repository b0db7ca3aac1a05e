"""How an actor stands to an appraisal, and what they may see (domain.md section 5)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CompoundSelect, bindparam, literal, select, union_all
from sqlmodel import Session, col

from ..actors import Actor
from ..clock import day_of
from ..errors import NotFound
from ..lifecycle import Party
from ..models import AdministrationGrant, Appointment, Appraisal, ContentDelegation, Organisation
from ..sessions import run_columns
from ..vocabulary import BoardRole

# Built once: constructing a statement costs more than SQLite takes to run it.
_LIVE_APPOINTMENT = (
    col(Appointment.start_date) <= bindparam("day"),
    (col(Appointment.end_date).is_(None)) | (col(Appointment.end_date) >= bindparam("day")),
)
_CURRENT_ROLES = select(col(Appointment.role)).where(
    col(Appointment.person_id) == bindparam("person_id"),
    col(Appointment.organisation_id) == bindparam("organisation_id"),
    *_LIVE_APPOINTMENT,
)
_ADMINISTERING_ROLES = (BoardRole.CHAIR, BoardRole.COMPANY_SECRETARY)
# One round trip: the chair's or company secretary's appointment, or a live grant.
_ADMINISTERS = union_all(
    select(literal(1)).where(
        col(Appointment.person_id) == bindparam("person_id"),
        col(Appointment.organisation_id) == bindparam("organisation_id"),
        col(Appointment.role).in_(_ADMINISTERING_ROLES),
        *_LIVE_APPOINTMENT),
    select(literal(1)).where(
        col(AdministrationGrant.person_id) == bindparam("person_id"),
        col(AdministrationGrant.organisation_id) == bindparam("organisation_id"),
        col(AdministrationGrant.revoked_at).is_(None)),
).limit(1)
_NATIONAL = select(col(AdministrationGrant.id)).where(
    col(AdministrationGrant.person_id) == bindparam("person_id"),
    col(AdministrationGrant.national).is_(True),
    col(AdministrationGrant.revoked_at).is_(None)).limit(1)
_ADMINISTERED: CompoundSelect[tuple[int | None]] = union_all(
    select(col(Appointment.organisation_id)).where(
        col(Appointment.person_id) == bindparam("person_id"),
        col(Appointment.role).in_(_ADMINISTERING_ROLES),
        *_LIVE_APPOINTMENT),
    select(col(AdministrationGrant.organisation_id)).where(
        col(AdministrationGrant.person_id) == bindparam("person_id"),
        col(AdministrationGrant.organisation_id).is_not(None),
        col(AdministrationGrant.revoked_at).is_(None)),
)
_APPRAISAL = select(Appraisal).where(col(Appraisal.id) == bindparam("appraisal_id"))
# The lock's read must win over what the session already holds: an appraisal read earlier
# in the same session (the portal reads it to find its framework) keeps its old
# attributes otherwise, and a submission committed in between would go unseen.
_APPRAISAL_FOR_UPDATE = _APPRAISAL.with_for_update().execution_options(populate_existing=True)


def current_roles(session: Session, person_id: int, organisation_id: int,
                  *, on: date | None = None) -> set[BoardRole]:
    """The roles ``person_id`` holds on the organisation's board on ``on`` (today by default)."""
    rows = run_columns(session, _CURRENT_ROLES, {
        "person_id": person_id, "organisation_id": organisation_id, "day": on or day_of(session),
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
        "day": day_of(session)}).first() is not None


def administered_organisation_ids(session: Session, actor: Actor) -> set[int]:
    """The organisations a person administers (empty for the operator, who has every one)."""
    if actor.person_id is None:
        return set()
    return set(run_columns(session, _ADMINISTERED, {
        "person_id": actor.person_id, "day": day_of(session)}).scalars())


def boards_led(session: Session, person_id: int, *, on: date) -> list[tuple[int, str, BoardRole]]:
    """The boards ``person_id`` leads on ``on``, as its chair or company secretary in post:
    (organisation id, name, role)."""
    return [(organisation_id, name, role) for organisation_id, name, role in session.execute(
        select(col(Organisation.id), col(Organisation.name), col(Appointment.role))
        .join(Appointment, col(Appointment.organisation_id) == col(Organisation.id))
        .where(col(Appointment.person_id) == person_id,
               col(Appointment.role).in_(_ADMINISTERING_ROLES), *_LIVE_APPOINTMENT),
        {"day": on})]


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
        select(col(ContentDelegation.id)).where(
            col(ContentDelegation.delegate_id) == person_id,
            col(ContentDelegation.organisation_id) == organisation_id,
            col(ContentDelegation.revoked_at).is_(None),
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
