"""Who takes part in a board's appraisals from outside it without conducting them, and the
organisation's own routing policy.

NHS England's regional director gives input to a chair's appraisal and endorses the ICB
and NHS trust appraisals that go to NHS England; a delegate may endorse on their behalf; a
foundation trust's council of governors' nominations committee receives the chair's
outcome. Each is registered for an organisation and the roles it concerns, with a reason,
by the operator or the organisation's chair (as an external appraiser is). An organisation
may lay its own routing policy over the shipped one (``routing_policy``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import record_event
from ..clock import moment_of
from ..errors import NotFound, ValidationFailed
from ..links import Page, for_reader
from ..models import Appointment, Appraisal, ExternalAppraiser, Organisation, Person
from ..names import text_problems
from ..nhse_tables import ExternalContributor, RoutingOverride
from ..outbox import QueuedMessage
from ..routing_policy import APPRAISED_ROLES, OutcomeTo, RoleRoute, parse_override, shipped_policy
from ..vocabulary import BoardRole, OrgType
from .appraisal_changes import context_of
from .appraisers import _may_register, _person
from .organisations import organisation_by_code


class ContributorPart(StrEnum):
    REGIONAL_DIRECTOR = "regional-director"
    ENDORSEMENT_DELEGATE = "endorsement-delegate"
    NOMINATIONS_COMMITTEE = "nominations-committee"

    @property
    def label(self) -> str:
        return {"regional-director": "NHS England's regional director",
                "endorsement-delegate": "the regional director's delegate",
                "nominations-committee": "the council of governors' nominations committee",
                }[self.value]

    @property
    def endorses(self) -> bool:
        return self is not ContributorPart.NOMINATIONS_COMMITTEE


@dataclass(frozen=True)
class ContributorRow:
    organisation_code: str
    name: str
    email: str
    part: ContributorPart
    roles: list[str]
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"organisation": self.organisation_code, "name": self.name,
                "email": self.email, "part": self.part.value, "roles": self.roles,
                "reason": self.reason}


@dataclass(frozen=True)
class OrganisationRouting:
    """What the routing of one organisation's appraisals reads beyond its board."""

    override: dict[str, Any] = field(default_factory=dict)
    external_appraiser_ids: dict[BoardRole, int] = field(default_factory=dict)
    regional_director: str | None = None


_FAILED = "The contributor was not registered."


def _organisation(session: Session, code: str) -> Organisation:
    organisation = organisation_by_code(session, code)
    if organisation is None or organisation.id is None:
        raise NotFound(f"There is no organisation with the code '{code}'.")
    return organisation


def _roles(roles: Sequence[str], problems: list[str]) -> list[str]:
    found: list[str] = []
    appraised = {r.value for r in APPRAISED_ROLES}
    for text in roles:
        value = text.strip().lower()
        if value not in appraised:
            problems.append(f"role: '{text}' is not an appraised board role (use "
                            + ", ".join(sorted(appraised)) + ")")
        elif value not in found:
            found.append(value)
    if not roles:
        problems.append("role: name at least one role whose appraisals they take part in")
    return found


def register_contributor(*, session: Session, actor: Actor, organisation_code: str,
                         email: str, part: str, roles: Sequence[str], reason: str,
                         name: str | None = None) -> ExternalContributor:
    """Register someone from outside the board to take part in the listed roles'
    appraisals. The person is added when not on record (``name`` is then needed). Audited.

    Raises:
        NotFound: no organisation with that code.
        NotAllowed: only the operator or the organisation's chair registers.
        ValidationFailed: an unknown part or role, no reason, or a live registration of
            the same person for the same part; nothing is written.
    """
    organisation = _organisation(session, organisation_code)
    _may_register(session, actor, organisation)
    problems: list[str] = []
    try:
        chosen_part = ContributorPart(part.strip().lower())
    except ValueError:
        chosen_part = None
        problems.append(f"part: '{part}' is not a part (use "
                        + ", ".join(p.value for p in ContributorPart) + ")")
    chosen = _roles(roles, problems)
    why = reason.strip()
    if not why:
        problems.append("reason: say why they take part for this organisation")
    problems += text_problems({"reason: the reason": reason})
    if problems:
        raise ValidationFailed(_FAILED, problems)
    assert chosen_part is not None
    try:
        person, added = _person(session, email, name)
    except ValidationFailed as error:
        raise ValidationFailed(_FAILED, error.problems) from error
    live = session.execute(select(col(ExternalContributor.id)).where(
        col(ExternalContributor.organisation_id) == organisation.id,
        col(ExternalContributor.person_id) == person.id,
        col(ExternalContributor.part) == chosen_part.value,
        col(ExternalContributor.revoked_at).is_(None))).first()
    if live is not None:
        raise ValidationFailed(_FAILED, [f"email: {person.email} is already registered as "
                                         f"{chosen_part.label} for {organisation.code}"])
    registration = ExternalContributor(
        organisation_id=organisation.id or 0, person_id=person.id or 0,
        part=chosen_part.value, roles=chosen, reason=why, registered_by=actor.label,
        registered_at=moment_of(session))
    session.add(registration)
    session.flush()
    if added:
        record_event(session, actor, "person_added", subject_type="person",
                     subject_id=person.email, organisation_id=organisation.id,
                     details={"name": person.name})
    record_event(session, actor, "contributor_registered", subject_type="person",
                 subject_id=person.email, organisation_id=organisation.id,
                 details={"part": chosen_part.value, "roles": chosen, "reason": why})
    return registration


def live_contributors(session: Session, organisation_id: int, *,
                      part: ContributorPart | None = None, role: BoardRole | None = None
                      ) -> list[tuple[ExternalContributor, Person]]:
    """The live registrations of the organisation, by name; of one part, for one role."""
    statement = (select(ExternalContributor, Person)
                 .join(Person, col(Person.id) == ExternalContributor.person_id)
                 .where(col(ExternalContributor.organisation_id) == organisation_id,
                        col(ExternalContributor.revoked_at).is_(None))
                 .order_by(col(Person.name), col(ExternalContributor.id)))
    if part is not None:
        statement = statement.where(col(ExternalContributor.part) == part.value)
    found = [(c, p) for c, p in session.execute(statement).tuples()]
    return [(c, p) for c, p in found if role is None or role.value in c.roles]


def contributors(session: Session, *, organisation_code: str) -> list[ContributorRow]:
    """The organisation's live contributors, for the command line."""
    organisation = _organisation(session, organisation_code)
    return [ContributorRow(organisation.code, p.name, p.email, ContributorPart(c.part),
                           list(c.roles), c.reason)
            for c, p in live_contributors(session, organisation.id or 0)]


def remove_contributor(*, session: Session, actor: Actor, organisation_code: str,
                       email: str, part: str, now: datetime) -> bool:
    """End a registration (kept, revoked); True if one was live. Audited."""
    organisation = _organisation(session, organisation_code)
    _may_register(session, actor, organisation)
    for registration, person in live_contributors(session, organisation.id or 0):
        if person.email == email.strip().lower() and registration.part == part.strip():
            registration.revoked_at = now
            session.add(registration)
            record_event(session, actor, "contributor_removed", subject_type="person",
                         subject_id=person.email, organisation_id=organisation.id,
                         details={"part": registration.part})
            return True
    return False


def set_routing_override(*, session: Session, actor: Actor, organisation_code: str,
                         policy_text: str, source: str, reason: str,
                         now: datetime) -> RoutingOverride:
    """Lay the organisation's own routing policy (a file shaped like one organisation
    type's section of ``routing_policy.yaml``) over the shipped one, from the next cycle
    opened. Replaces the override in force. Audited.

    Raises:
        NotFound / NotAllowed: as for registering.
        ValidationFailed: the file's problems with their lines, or no reason; nothing is
            written.
    """
    organisation = _organisation(session, organisation_code)
    _may_register(session, actor, organisation)
    why = reason.strip()
    policy = parse_override(policy_text, source=source)
    if not why:
        raise ValidationFailed("The routing override was not set.",
                               ["reason: say why this organisation routes differently"])
    for live in session.execute(select(RoutingOverride).where(
            col(RoutingOverride.organisation_id) == organisation.id,
            col(RoutingOverride.revoked_at).is_(None))).scalars():
        live.revoked_at = now
        session.add(live)
    override = RoutingOverride(organisation_id=organisation.id or 0, policy=policy,
                               reason=why, set_by=actor.label, set_at=now)
    session.add(override)
    session.flush()
    record_event(session, actor, "routing_override_set", subject_type="organisation",
                 subject_id=organisation.code, organisation_id=organisation.id,
                 details={"policy": policy, "reason": why})
    return override

def role_route(session: Session, appraisal: Appraisal) -> tuple[BoardRole, RoleRoute]:
    """The appraisee's role and its routing policy for the organisation (its override
    laid over the shipped policy)."""
    role, org_type = session.execute(
        select(col(Appointment.role), col(Organisation.type))
        .join(Organisation, col(Organisation.id) == Appointment.organisation_id)
        .where(col(Appointment.id) == appraisal.appointment_id)).one()
    return role, route_of(session, appraisal, org_type, role)


def route_of(session: Session, appraisal: Appraisal, organisation_type: OrgType,
             role: BoardRole) -> RoleRoute:
    """The routing policy of an appraisal whose role and organisation type the caller has
    read already (one query: the organisation's override in force)."""
    override = routing_overrides(session, [appraisal.organisation_id]).get(
        appraisal.organisation_id)
    return shipped_policy().route(organisation_type, role, override)


def outcome_notices(session: Session, appraisal: Appraisal) -> list[QueuedMessage]:
    """A foundation trust chair's outcome, to the council of governors' nominations
    committee (its registered contact) when the policy says so: that the appraisal is
    signed, with a link to the outcome page only that contact reads (``chair_outcomes``);
    the email itself carries no content."""
    role, route = role_route(session, appraisal)
    if route.outcome_to is not OutcomeTo.NOMINATIONS_COMMITTEE:
        return []
    context = context_of(session, appraisal)
    payload = context.payload(completed_on=(appraisal.completed_at
                                            or appraisal.updated_at).date()
                              ) | for_reader(Page.OUTCOME)
    return [QueuedMessage(
        f"chair_outcome:{appraisal.id}:{appraisal.record_version}:{person.email}",
        "chair_outcome", person.email, person.name, appraisal.id, payload)
        for _, person in live_contributors(session, appraisal.organisation_id,
                                           part=ContributorPart.NOMINATIONS_COMMITTEE,
                                           role=role)]


def routing_overrides(session: Session, organisation_ids: Sequence[int]
                      ) -> dict[int, dict[str, Any]]:
    """Per organisation with one: its routing override in force (the latest), in one
    query."""
    overrides: dict[int, dict[str, Any]] = {}
    for organisation_id, policy in session.execute(
        select(col(RoutingOverride.organisation_id), col(RoutingOverride.policy))
        .where(col(RoutingOverride.organisation_id).in_(organisation_ids),
               col(RoutingOverride.revoked_at).is_(None))
        .order_by(col(RoutingOverride.id))
    ).tuples():
        overrides[organisation_id] = dict(policy)
    return overrides


def organisation_routing(session: Session, organisation_ids: Sequence[int]
                         ) -> dict[int, OrganisationRouting]:
    """Per organisation: its override in force, its external appraisers by role (the first
    registered) and its regional director's name (three queries in all)."""
    overrides = routing_overrides(session, organisation_ids)
    externals: dict[int, dict[BoardRole, int]] = {}
    for organisation_id, person_id, roles in session.execute(
        select(col(ExternalAppraiser.organisation_id), col(ExternalAppraiser.person_id),
               col(ExternalAppraiser.roles))
        .where(col(ExternalAppraiser.organisation_id).in_(organisation_ids),
               col(ExternalAppraiser.revoked_at).is_(None))
        .order_by(col(ExternalAppraiser.id))
    ).tuples():
        for role in roles:
            externals.setdefault(organisation_id, {}).setdefault(BoardRole(role), person_id)
    directors: dict[int, str] = {}
    for organisation_id, name in session.execute(
        select(col(ExternalContributor.organisation_id), col(Person.name))
        .join(Person, col(Person.id) == ExternalContributor.person_id)
        .where(col(ExternalContributor.organisation_id).in_(organisation_ids),
               col(ExternalContributor.part) == ContributorPart.REGIONAL_DIRECTOR.value,
               col(ExternalContributor.revoked_at).is_(None))
        .order_by(col(ExternalContributor.id))
    ).tuples():
        directors.setdefault(organisation_id, name)
    return {o: OrganisationRouting(overrides.get(o, {}), externals.get(o, {}),
                                   directors.get(o)) for o in organisation_ids}
