"""Who appraises whom (domain.md Part 1, item 4), and which forms go to NHS England."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from .appraisal_year import appraisal_year
from .routing_policy import (
    EXTERNAL_APPRAISER,
    OutcomeTo,
    RegionalDirectorPart,
    RoleRoute,
    shipped_policy,
)
from .vocabulary import BoardRole, OrgType


@dataclass(frozen=True)
class BoardLeads:
    """The people holding the board's lead roles at the cycle's start (None when vacant),
    and those the organisation registered from outside the board."""

    chair_id: int | None = None
    chief_executive_id: int | None = None
    senior_independent_director_id: int | None = None
    deputy_chair_id: int | None = None
    # The external appraiser registered for each role (role -> person id).
    external_appraiser_ids: Mapping[BoardRole, int] = field(default_factory=dict)
    # NHS England's regional director registered for the organisation, by name.
    regional_director: str | None = None

    def holder(self, appraiser: str, role: BoardRole) -> int | None:
        """Who holds ``appraiser`` (a board role value or ``external-appraiser``)."""
        if appraiser == EXTERNAL_APPRAISER:
            return self.external_appraiser_ids.get(role)
        return {BoardRole.CHAIR: self.chair_id,
                BoardRole.CHIEF_EXECUTIVE: self.chief_executive_id,
                BoardRole.SENIOR_INDEPENDENT_DIRECTOR: self.senior_independent_director_id,
                BoardRole.DEPUTY_CHAIR: self.deputy_chair_id}.get(BoardRole(appraiser))


@dataclass(frozen=True)
class Route:
    appraiser_id: int | None
    basis: str


def _who(appraiser: str) -> str:
    if appraiser == EXTERNAL_APPRAISER:
        return "the registered external appraiser (NHS England's regional director)"
    return f"the {BoardRole(appraiser).label.lower()}"


def _plural(role: BoardRole) -> str:
    if role is BoardRole.NON_EXECUTIVE_DIRECTOR:
        return "non-executive directors"
    if role is BoardRole.EXECUTIVE_DIRECTOR:
        return "executive directors"
    return f"the {role.label.lower()}"


def default_route(
    *, role: BoardRole, org_type: OrgType, appraisee_id: int, leads: BoardLeads,
    policy: RoleRoute | None = None,
) -> Route:
    """The default appraiser of one appointment; ``appraiser_id`` is None when nobody fits.

    ``policy`` is the role's routing policy for the organisation (the shipped one for
    ``org_type`` by default): the first of its appraisers in post conducts (a deputy
    chair stands in for a missing senior independent director), and the basis says who
    else takes part: the regional director's input, their endorsement, the nominations
    committee receiving the outcome.
    """
    route = policy or shipped_policy().route(org_type, role)
    if not role.is_board_member or not route.appraisers:
        return Route(None, f"The {role.label.lower()} is not a board member and is not appraised")
    first, *_ = route.appraisers
    chosen = None
    for appraiser in route.appraisers:
        holder = leads.holder(appraiser, role)
        if holder is not None and holder != appraisee_id:
            chosen = appraiser, holder
            break
    if chosen is None:
        if leads.holder(first, role) == appraisee_id and len(route.appraisers) == 1:
            return Route(None, "The default appraiser is the appraisee: assign another appraiser")
        vacant = " or ".join(_who(a)[4:] if a != EXTERNAL_APPRAISER else "external appraiser"
                             for a in route.appraisers)
        return Route(None, f"No {vacant} is in post: assign an appraiser")
    appraiser, holder = chosen
    who = _who(appraiser)
    basis = f"{who[0].upper()}{who[1:]} appraises {_plural(role)}"
    if appraiser != first:
        basis = f"No {_who(first)[4:]} is in post: {basis[0].lower()}{basis[1:]}"
    if route.regional_director is RegionalDirectorPart.INPUT:
        basis += (f", with input from NHS England's regional director "
                  f"({leads.regional_director or 'to be registered'})")
    if route.endorsed:
        basis += ", with NHS England regional endorsement"
    if route.outcome_to is OutcomeTo.NOMINATIONS_COMMITTEE:
        basis += "; the outcome goes to the council of governors' nominations committee"
    return Route(holder, basis)


# Who may appraise each role (domain.md Part 1, item 4, and Part 2's "appraiser absent or
# conflicted"): the first is the default route above; the others are the overrides a
# reassignment may choose, each a board member of the same organisation in post on the
# day. The chair may step in for the chief executive with an executive director; the senior
# independent director, as the chair's deputy, for the chair with the chief executive and
# the non-executive directors. Nobody appraises themselves and a company secretary
# appraises nobody. Anyone else (NHS England's regional director, a partner's deputy
# chair) must be registered by the organisation as an external appraiser for the role.
MAY_APPRAISE: dict[BoardRole, tuple[BoardRole, ...]] = {
    BoardRole.EXECUTIVE_DIRECTOR: (BoardRole.CHIEF_EXECUTIVE, BoardRole.CHAIR),
    BoardRole.CHIEF_EXECUTIVE: (BoardRole.CHAIR, BoardRole.SENIOR_INDEPENDENT_DIRECTOR),
    BoardRole.NON_EXECUTIVE_DIRECTOR: (BoardRole.CHAIR, BoardRole.SENIOR_INDEPENDENT_DIRECTOR),
    BoardRole.SENIOR_INDEPENDENT_DIRECTOR: (BoardRole.CHAIR,),
    BoardRole.DEPUTY_CHAIR: (BoardRole.CHAIR,),
    BoardRole.CHAIR: (BoardRole.SENIOR_INDEPENDENT_DIRECTOR, BoardRole.DEPUTY_CHAIR),
}
# The roles that appraise somebody: appointing to them decides who reads content.
APPRAISING_ROLES = frozenset(role for roles in MAY_APPRAISE.values() for role in roles)


def may_appraise(appraiser_roles: set[BoardRole], appraisee_role: BoardRole) -> bool:
    """Whether someone holding ``appraiser_roles`` on the board may appraise the role.

    A company secretary never appraises, whatever other role they also hold.
    """
    if BoardRole.COMPANY_SECRETARY in appraiser_roles:
        return False
    return bool(appraiser_roles & set(MAY_APPRAISE.get(appraisee_role, ())))


def nhse_submission_due(*, role: BoardRole, org_type: OrgType, year_label: str) -> date | None:
    """ICB and NHS trust chairs by 30 June, their NEDs by 30 September; None when held locally."""
    if not org_type.submits_to_nhse:
        return None
    year = appraisal_year(year_label)
    if role is BoardRole.CHAIR:
        return year.chair_deadline
    if role.is_non_executive:
        return year.non_executive_deadline
    return None
