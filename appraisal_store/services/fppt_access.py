"""Who may see, record and sign off an FPPT year: the company secretary, the chair and
the person themselves see it; the secretary and the chair record its checks; the chair
signs it off (the senior independent director the chair's, or the deputy chair on a board
with no senior independent director in post); nobody their own."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..clock import day_of
from ..errors import NotAllowed, NotFound
from ..fppt_tables import FPPTYear
from ..models import Appointment, Person
from ..vocabulary import BoardRole
from .access import current_roles

RECORDING_ROLES = frozenset({BoardRole.CHAIR, BoardRole.COMPANY_SECRETARY})


def runs_fppt(session: Session, actor: Actor, organisation_id: int, *,
              on: date | None = None) -> bool:
    """The organisation's chair and company secretary in post (and the operator)."""
    if actor.is_system:
        return True
    if actor.person_id is None:
        return False
    return bool(current_roles(session, actor.person_id, organisation_id, on=on)
                & RECORDING_ROLES)


def sees_year(session: Session, actor: Actor, year: FPPTYear, *,
              on: date | None = None) -> bool:
    """The person, the chair and company secretary, and whoever signs it off (the senior
    independent director for the chair's)."""
    return (actor.person_id == year.person_id
            or runs_fppt(session, actor, year.organisation_id, on=on)
            or may_sign_off(session, actor, year, on or day_of(session)))


def get_year(session: Session, actor: Actor, fppt_year_id: int, *,
             for_update: bool = False) -> FPPTYear:
    """The year if the actor may see it; NotFound otherwise (no hint that it exists)."""
    statement = select(FPPTYear).where(col(FPPTYear.id) == fppt_year_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    year: FPPTYear | None = session.execute(statement).scalar_one_or_none()
    if year is None or not sees_year(session, actor, year):
        raise NotFound(f"There is no FPPT assessment {fppt_year_id} that you can see.")
    return year


def check_may_record(session: Session, actor: Actor, year: FPPTYear) -> None:
    """Raises NotAllowed unless the actor records checks for the year's board (and is not
    the person: nobody records their own checks, only their self-attestation)."""
    if actor.person_id is not None and actor.person_id == year.person_id:
        raise NotAllowed("Nobody records their own FPPT checks; the company secretary or "
                         "the chair records them.")
    if not runs_fppt(session, actor, year.organisation_id):
        raise NotAllowed("Only the company secretary or the chair records FPPT checks.")


def chairs_signer(session: Session, organisation_id: int, on: date) -> BoardRole:
    """Who signs for the chair (their FPPT, their reference): the senior independent
    director, or the deputy chair when the board has no senior independent director in post
    (as in the chair's appraisal routing)."""
    sid_in_post = session.execute(select(col(Appointment.id)).where(
        col(Appointment.organisation_id) == organisation_id,
        col(Appointment.role) == BoardRole.SENIOR_INDEPENDENT_DIRECTOR,
        col(Appointment.start_date) <= on,
        col(Appointment.end_date).is_(None) | (col(Appointment.end_date) >= on)).limit(1)).first()
    return (BoardRole.SENIOR_INDEPENDENT_DIRECTOR if sid_in_post is not None
            else BoardRole.DEPUTY_CHAIR)


def may_sign_off(session: Session, actor: Actor, year: FPPTYear, on: date) -> bool:
    """The chair signs off each board member's FPPT, the senior independent director (or
    the deputy chair standing in) the chair's; nobody their own (the operator neither: a
    sign-off is a person's)."""
    if actor.person_id is None or actor.person_id == year.person_id:
        return False
    roles = current_roles(session, actor.person_id, year.organisation_id, on=on)
    if year.role is BoardRole.CHAIR:
        return chairs_signer(session, year.organisation_id, on) in roles
    return BoardRole.CHAIR in roles


def check_may_sign_off(session: Session, actor: Actor, year: FPPTYear, on: date) -> None:
    if actor.person_id is not None and actor.person_id == year.person_id:
        raise NotAllowed("Nobody signs off their own FPPT.")
    if not may_sign_off(session, actor, year, on):
        who = (f"the {chairs_signer(session, year.organisation_id, on).label.lower()}"
               if year.role is BoardRole.CHAIR else "the chair")
        raise NotAllowed(f"Only {who} signs off this FPPT.")


def board_members_in_role(session: Session, organisation_id: int, role: BoardRole, on: date,
                          *, besides: int | None = None) -> list[tuple[str, str]]:
    """The name and email of whoever holds ``role`` on the board on ``on`` (but the person
    ``besides``): who is asked to sign a year off or a reference."""
    return [(name, email) for name, email in session.execute(
        select(col(Person.name), col(Person.email))
        .join(Appointment, col(Appointment.person_id) == Person.id)
        .where(col(Appointment.organisation_id) == organisation_id,
               col(Appointment.role) == role, col(Appointment.start_date) <= on,
               col(Appointment.end_date).is_(None) | (col(Appointment.end_date) >= on),
               col(Person.id) != (besides or 0))).tuples()]
