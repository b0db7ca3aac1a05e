"""Granting administration: of one organisation, or the national view across organisations.

The chair and company secretary of an organisation administer it without a grant
(``access.is_org_administrator``). Anyone else is granted it here, by the operator at the
command line (``appraisal admin grant``): a grant is a power over other people's
appraisals, so no portal user hands it out. Every grant and revocation is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import record_event
from ..clock import moment_of
from ..errors import NotAllowed, ValidationFailed
from ..models import AdministrationGrant, Organisation, Person
from .organisations import organisation_by_code


@dataclass(frozen=True)
class GrantRow:
    """A grant as the command line lists it."""

    name: str
    email: str
    scope: str  # an ODS code, or "national"
    granted_by: str
    granted_at: datetime
    revoked_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "email": self.email, "scope": self.scope,
                "granted_by": self.granted_by, "granted_at": self.granted_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


def _scope(session: Session, organisation_code: str | None, national: bool
           ) -> Organisation | None:
    if bool(organisation_code) == national:
        raise ValidationFailed("Name what is administered: one organisation (--org CODE) "
                               "or the national view (--national), not both.")
    if national:
        return None
    return organisation_by_code(session, organisation_code or "")


def _person(session: Session, email: str) -> Person:
    person: Person | None = session.execute(select(Person).where(
        col(Person.email) == email.strip().lower())).scalar_one_or_none()
    if person is None:
        raise ValidationFailed(f"Nobody with the email {email} is on record: import them "
                               "first ('appraisal people import').")
    return person


def _only_the_operator(actor: Actor) -> None:
    if not actor.is_system:
        raise NotAllowed("Only the operator, at the command line, grants or revokes "
                         "administration.")


def _live_grant(session: Session, person_id: int, organisation: Organisation | None
                ) -> AdministrationGrant | None:
    statement = select(AdministrationGrant).where(
        col(AdministrationGrant.person_id) == person_id,
        col(AdministrationGrant.revoked_at).is_(None))
    if organisation is None:
        statement = statement.where(col(AdministrationGrant.national).is_(True))
    else:
        statement = statement.where(col(AdministrationGrant.organisation_id) == organisation.id)
    return session.execute(statement).scalars().first()


def grant_administration(*, session: Session, actor: Actor, email: str,
                         organisation_code: str | None = None, national: bool = False
                         ) -> tuple[AdministrationGrant, bool]:
    """Grant the person administration of one organisation, or the national view.

    Granting what is already held changes nothing.

    Returns:
        The live grant, and whether it is new.

    Raises:
        NotAllowed: only the operator grants.
        NotFound: no organisation with that code.
        ValidationFailed: nobody with that email, or neither or both scopes named.
    """
    _only_the_operator(actor)
    organisation = _scope(session, organisation_code, national)
    person = _person(session, email)
    existing = _live_grant(session, person.id or 0, organisation)
    if existing is not None:
        return existing, False
    grant = AdministrationGrant(person_id=person.id or 0,
                                organisation_id=organisation.id if organisation else None,
                                national=organisation is None, granted_by=actor.label,
                                granted_at=moment_of(session))
    session.add(grant)
    session.flush()
    record_event(session, actor, "administration_granted", subject_type="person",
                 subject_id=person.email,
                 organisation_id=organisation.id if organisation else None,
                 details={"scope": organisation.code if organisation else "national"})
    return grant, True


def revoke_administration(*, session: Session, actor: Actor, email: str,
                          organisation_code: str | None = None, national: bool = False
                          ) -> bool:
    """End the person's grant (kept on record, revoked); True if one was live.

    The chair's and company secretary's own administration comes with their appointment
    and is not revoked here.

    Raises:
        NotAllowed: only the operator revokes.
        NotFound: no organisation with that code.
        ValidationFailed: nobody with that email, or neither or both scopes named.
    """
    _only_the_operator(actor)
    organisation = _scope(session, organisation_code, national)
    person = _person(session, email)
    existing = _live_grant(session, person.id or 0, organisation)
    if existing is None:
        return False
    existing.revoked_at = moment_of(session)
    session.add(existing)
    record_event(session, actor, "administration_revoked", subject_type="person",
                 subject_id=person.email,
                 organisation_id=organisation.id if organisation else None,
                 details={"scope": organisation.code if organisation else "national"})
    return True


def administration_grants(session: Session, *, include_revoked: bool = False
                          ) -> list[GrantRow]:
    """The grants, by person and scope (the national view first)."""
    statement = (select(AdministrationGrant, col(Person.name), col(Person.email),
                        col(Organisation.code))
                 .join(Person, col(Person.id) == AdministrationGrant.person_id)
                 .outerjoin(Organisation,
                            col(Organisation.id) == AdministrationGrant.organisation_id)
                 .order_by(col(Person.email), col(Organisation.code).is_not(None),
                           col(Organisation.code), col(AdministrationGrant.id)))
    if not include_revoked:
        statement = statement.where(col(AdministrationGrant.revoked_at).is_(None))
    return [GrantRow(name, email, code or "national", grant.granted_by, grant.granted_at,
                     grant.revoked_at)
            for grant, name, email, code in session.execute(statement).all()]
