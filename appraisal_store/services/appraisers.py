"""Who may appraise an appraisal: the board's routing rules (``routing.MAY_APPRAISE``) and
the organisation's register of external appraisers.

An appraiser reads the whole self-assessment and signs the record, so choosing one is a
rule, not a free choice: a board member of the same organisation in post on the day whose
role may appraise the appraisee's role, or someone the organisation registered to appraise
that role, with the reason. Never the appraisee, never a company secretary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import record_event
from ..clock import day_of, moment_of
from ..errors import NotAllowed, NotFound, ValidationFailed
from ..models import Appointment, Appraisal, ExternalAppraiser, Organisation, Person
from ..names import PERSON_NAME_LONGEST, email_problem, name_problem, shown, text_problems
from ..routing import MAY_APPRAISE, may_appraise
from ..vocabulary import BoardRole
from .access import current_roles
from .organisations import organisation_by_code

_EMAIL = re.compile(r"^[^@\s,;<>]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
REGISTER_COMMAND = "appraisal org external-appraiser add"


@dataclass(frozen=True)
class EligibleAppraiser:
    """One person who may be chosen, and on what standing."""

    person_id: int
    name: str
    email: str
    standing: str
    external: bool = False

    @property
    def choice(self) -> str:
        return f"{self.name} ({self.standing})"


@dataclass(frozen=True)
class ExternalAppraiserRow:
    """A registration as the command line lists it."""

    organisation_code: str
    name: str
    email: str
    roles: list[str]
    reason: str
    registered_by: str
    registered_at: datetime
    revoked_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        return {"organisation": self.organisation_code, "name": self.name, "email": self.email,
                "roles": self.roles, "reason": self.reason,
                "registered_by": self.registered_by,
                "registered_at": self.registered_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


def appraisee_role(session: Session, appraisal: Appraisal) -> BoardRole:
    """The board role the appraisal is for (one appraisal per appointment)."""
    role = session.execute(select(col(Appointment.role)).where(
        col(Appointment.id) == appraisal.appointment_id)).scalar_one()
    return BoardRole(role)


def _board(session: Session, organisation_id: int, on: date
           ) -> dict[int, tuple[str, str, set[BoardRole]]]:
    """Everyone on the organisation's board on ``on``: person id -> (name, email, roles)."""
    found: dict[int, tuple[str, str, set[BoardRole]]] = {}
    for person_id, role, name, email in session.execute(
        select(col(Appointment.person_id), col(Appointment.role), col(Person.name),
               col(Person.email))
        .join(Person, col(Person.id) == Appointment.person_id)
        .where(col(Appointment.organisation_id) == organisation_id,
               col(Appointment.start_date) <= on,
               (col(Appointment.end_date).is_(None)) | (col(Appointment.end_date) >= on))
    ).all():
        found.setdefault(person_id, (name, email, set()))[2].add(role)
    return found


def eligible_appraisers(session: Session, appraisal: Appraisal, *, on: date | None = None
                        ) -> list[EligibleAppraiser]:
    """Everyone who may appraise this appraisal on ``on`` (today by default): the board
    members the rules allow, in the rules' order (the default route first), then the
    organisation's registered external appraisers for the role."""
    day = on or day_of(session)
    role = appraisee_role(session, appraisal)
    order = MAY_APPRAISE.get(role, ())
    board = _board(session, appraisal.organisation_id, day)
    chosen: list[tuple[int, str, EligibleAppraiser]] = []
    for person_id, (name, email, roles) in board.items():
        if person_id == appraisal.appraisee_id or not may_appraise(roles, role):
            continue
        standing = next(r for r in order if r in roles)
        chosen.append((order.index(standing), name, EligibleAppraiser(
            person_id, name, email, standing.label.lower())))
    eligible = [e for _, _, e in sorted(chosen, key=lambda c: (c[0], c[1]))]
    secretaries = {p for p, (_, _, roles) in board.items()
                   if BoardRole.COMPANY_SECRETARY in roles}
    listed = {e.person_id for e in eligible}
    for registration, name, email in session.execute(
        select(ExternalAppraiser, col(Person.name), col(Person.email))
        .join(Person, col(Person.id) == ExternalAppraiser.person_id)
        .where(col(ExternalAppraiser.organisation_id) == appraisal.organisation_id,
               col(ExternalAppraiser.revoked_at).is_(None))
        .order_by(col(Person.name))
    ).all():
        person_id = registration.person_id
        if role.value not in registration.roles or person_id in listed | secretaries \
                or person_id == appraisal.appraisee_id:
            continue
        listed.add(person_id)
        eligible.append(EligibleAppraiser(person_id, name, email,
                                          f"external appraiser: {registration.reason}",
                                          external=True))
    return eligible


def choose_appraiser(session: Session, appraisal: Appraisal, email: str, *,
                     on: date | None = None) -> EligibleAppraiser:
    """The eligible appraiser with ``email``, or a refusal that says who may be chosen.

    Raises:
        ValidationFailed: the person is not eligible (or not on record); the message names
            why and lists everyone who may be chosen.
    """
    eligible = eligible_appraisers(session, appraisal, on=on)
    address = email.strip().lower()
    match = next((e for e in eligible if e.email == address), None)
    if match is not None:
        return match
    role = appraisee_role(session, appraisal)
    choices = ([f"Choose one of: {'; '.join(e.choice for e in eligible)}."] if eligible else
               [f"Nobody on the board may appraise {_a(role)} now: the "
                f"organisation can register an external appraiser ({REGISTER_COMMAND})."])
    raise ValidationFailed(_refusal(session, appraisal, role, address, on or day_of(session)),
                           choices)


def _a(role: BoardRole) -> str:
    name = role.label.lower()
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _rule(role: BoardRole) -> str:
    who = " or the ".join(r.label.lower() for r in MAY_APPRAISE.get(role, ()))
    return f"{_a(role)} is appraised by the {who} of the same board"


def _refusal(session: Session, appraisal: Appraisal, role: BoardRole, address: str,
             on: date) -> str:
    """Who was named and why they are refused."""
    appraisee = session.get(Person, appraisal.appraisee_id)
    whose = f"{appraisee.name if appraisee else 'the appraisee'} ({role.label.lower()})"
    if not address:
        return f"Choose the appraiser of {whose}."
    if email_problem(address):  # a NUL cannot even be looked up in PostgreSQL
        return f"'{shown(address)}' is not an email address: choose the appraiser of {whose}."
    person = session.execute(
        select(Person).where(col(Person.email) == address)).scalar_one_or_none()
    if person is None:
        return f"{address} is not on record, so cannot appraise {whose}."
    if person.id == appraisal.appraisee_id:
        return f"Nobody can appraise themselves: choose another appraiser for {whose}."
    roles = current_roles(session, person.id or 0, appraisal.organisation_id, on=on)
    if BoardRole.COMPANY_SECRETARY in roles:
        return (f"{person.name} is the company secretary, who appraises nobody, so cannot "
                f"appraise {whose}.")
    if roles:
        held = ", ".join(sorted(r.label.lower() for r in roles))
        return f"{person.name} ({held}) cannot appraise {whose}: {_rule(role)}."
    left = session.execute(select(col(Appointment.end_date)).where(
        col(Appointment.person_id) == person.id,
        col(Appointment.organisation_id) == appraisal.organisation_id,
        col(Appointment.end_date) < on)
        .order_by(col(Appointment.end_date).desc())).scalars().first()
    where = (f"left this board on {left.isoformat()}" if left else
             "is not on this organisation's board")
    return (f"{person.name} {where} and is not registered as an external appraiser of "
            f"{_a(role)}, so cannot appraise {whose}.")


def _roles(roles: Sequence[str]) -> list[str]:
    problems, found = [], []
    for text in roles:
        try:
            role = BoardRole(text.strip().lower())
        except ValueError:
            problems.append(f"role: '{text}' is not a board role (use "
                            + ", ".join(r.value for r in MAY_APPRAISE) + ")")
            continue
        if role not in MAY_APPRAISE:
            problems.append(f"role: {_a(role)} is not appraised")
        elif role.value not in found:
            found.append(role.value)
    if not roles:
        problems.append("role: name at least one role they may appraise")
    if problems:
        raise ValidationFailed("The external appraiser was not registered.", problems)
    return found


def _may_register(session: Session, actor: Actor, organisation: Organisation) -> None:
    # Registering someone decides who may read content; the chair already reads it, a
    # company secretary or an administrator must not be able to register themselves.
    if actor.is_system:
        return
    if actor.person_id is None or BoardRole.CHAIR not in current_roles(
            session, actor.person_id, organisation.id or 0):
        raise NotAllowed("Only the operator (at the command line) or the organisation's "
                         "chair registers external appraisers.")


def _person(session: Session, email: str, name: str | None) -> tuple[Person, bool]:
    address = email.strip().lower()
    if (problem := email_problem(address)):  # checked first: a NUL cannot be looked up
        raise ValidationFailed("The external appraiser was not registered.",
                               [f"email: the email {problem}"])
    person = session.execute(
        select(Person).where(col(Person.email) == address)).scalar_one_or_none()
    if person is not None:
        return person, False
    if not _EMAIL.match(address):
        raise ValidationFailed("The external appraiser was not registered.",
                               [f"email: '{shown(email)}' is not an email address"])
    if name is None:
        raise ValidationFailed("The external appraiser was not registered.",
                               [f"name: {address} is not on record; give their name "
                                "to add them"])
    if (problem := name_problem(name, longest=PERSON_NAME_LONGEST)):
        raise ValidationFailed("The external appraiser was not registered.",
                               [f"name: the name {problem}"])
    person = Person(name=name.strip(), email=address)
    session.add(person)
    session.flush()
    return person, True


def register_external_appraiser(*, session: Session, actor: Actor, organisation_code: str,
                                email: str, roles: Sequence[str], reason: str,
                                name: str | None = None) -> ExternalAppraiser:
    """Register someone outside the routing rules to appraise the listed roles.

    The person is added when not on record (``name`` is then needed). Audited.

    Raises:
        NotFound: no organisation with that code.
        NotAllowed: only the operator or the organisation's chair registers.
        ValidationFailed: no reason, an unknown role, the organisation's company secretary,
            or a registration already live for the person.
    """
    organisation = organisation_by_code(session, organisation_code)
    assert organisation is not None and organisation.id is not None
    _may_register(session, actor, organisation)
    why = reason.strip()
    problems = [] if why else ["reason: say why they appraise for this organisation"]
    problems += text_problems({"reason: the reason": reason})
    try:
        chosen = _roles(roles)
    except ValidationFailed as error:
        problems += error.problems
    if problems:
        raise ValidationFailed("The external appraiser was not registered.", problems)
    person, added = _person(session, email, name)
    if BoardRole.COMPANY_SECRETARY in current_roles(session, person.id or 0, organisation.id):
        raise ValidationFailed("The external appraiser was not registered.",
                               [f"email: {person.email} is {organisation.code}'s company "
                                "secretary, who appraises nobody"])
    if _live_registration(session, organisation.id, person.id or 0) is not None:
        raise ValidationFailed("The external appraiser was not registered.",
                               [f"email: {person.email} is already registered for "
                                f"{organisation.code}; remove it first to change it"])
    registration = ExternalAppraiser(organisation_id=organisation.id, person_id=person.id or 0,
                                     roles=chosen, reason=why, registered_by=actor.label,
                                     registered_at=moment_of(session))
    session.add(registration)
    session.flush()
    if added:
        record_event(session, actor, "person_added", subject_type="person",
                     subject_id=person.email, organisation_id=organisation.id,
                     details={"name": person.name})
    record_event(session, actor, "external_appraiser_registered", subject_type="person",
                 subject_id=person.email, organisation_id=organisation.id,
                 details={"roles": chosen, "reason": why})
    return registration


def _live_registration(session: Session, organisation_id: int, person_id: int
                       ) -> ExternalAppraiser | None:
    return session.execute(select(ExternalAppraiser).where(
        col(ExternalAppraiser.organisation_id) == organisation_id,
        col(ExternalAppraiser.person_id) == person_id,
        col(ExternalAppraiser.revoked_at).is_(None),
    )).scalars().first()


def remove_external_appraiser(*, session: Session, actor: Actor, organisation_code: str,
                              email: str) -> bool:
    """End a registration (kept on record, revoked); True if one was live. Appraisals
    already assigned to them keep their appraiser. Audited.

    Raises:
        NotFound: no organisation with that code.
        NotAllowed: only the operator or the organisation's chair removes.
    """
    organisation = organisation_by_code(session, organisation_code)
    assert organisation is not None and organisation.id is not None
    _may_register(session, actor, organisation)
    person = session.execute(select(Person).where(
        col(Person.email) == email.strip().lower())).scalar_one_or_none()
    live = _live_registration(session, organisation.id, person.id or 0) if person else None
    if live is None or person is None:
        return False
    live.revoked_at = moment_of(session)
    session.add(live)
    record_event(session, actor, "external_appraiser_removed", subject_type="person",
                 subject_id=person.email, organisation_id=organisation.id,
                 details={"roles": live.roles})
    return True


def external_appraisers(session: Session, *, organisation_code: str | None = None,
                        include_removed: bool = False) -> list[ExternalAppraiserRow]:
    """The registrations, by organisation and name.

    Raises:
        NotFound: no organisation with that code.
    """
    statement = (select(ExternalAppraiser, col(Organisation.code), col(Person.name),
                        col(Person.email))
                 .join(Organisation, col(Organisation.id) == ExternalAppraiser.organisation_id)
                 .join(Person, col(Person.id) == ExternalAppraiser.person_id)
                 .order_by(col(Organisation.code), col(Person.name), col(ExternalAppraiser.id)))
    if organisation_code is not None:
        organisation = organisation_by_code(session, organisation_code)
        if organisation is None:
            raise NotFound(f"There is no organisation with the code '{organisation_code}'.")
        statement = statement.where(col(ExternalAppraiser.organisation_id) == organisation.id)
    if not include_removed:
        statement = statement.where(col(ExternalAppraiser.revoked_at).is_(None))
    return [ExternalAppraiserRow(code, name, email, list(r.roles), r.reason, r.registered_by,
                                 r.registered_at, r.revoked_at)
            for r, code, name, email in session.execute(statement).all()]
