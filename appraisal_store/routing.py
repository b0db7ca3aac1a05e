"""Who appraises whom (domain.md Part 1, item 4), and which forms go to NHS England."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .appraisal_year import appraisal_year
from .vocabulary import BoardRole, OrgType


@dataclass(frozen=True)
class BoardLeads:
    """The people holding the board's lead roles at the cycle's start (None when vacant)."""

    chair_id: int | None = None
    chief_executive_id: int | None = None
    senior_independent_director_id: int | None = None


@dataclass(frozen=True)
class Route:
    appraiser_id: int | None
    basis: str


def default_route(
    *, role: BoardRole, org_type: OrgType, appraisee_id: int, leads: BoardLeads
) -> Route:
    """The default appraiser of one appointment; ``appraiser_id`` is None when nobody fits.

    Executive directors are appraised by the chief executive; the chief executive and the
    non-executive directors (the senior independent director among them) by the chair; the
    chair by the senior independent director, with NHS England's regional endorsement for
    NHS trusts and ICBs.
    """
    if role is BoardRole.EXECUTIVE_DIRECTOR:
        appraiser = leads.chief_executive_id
        basis = "The chief executive appraises executive directors"
        vacant = "No chief executive is in post"
    elif role in (BoardRole.CHIEF_EXECUTIVE, BoardRole.NON_EXECUTIVE_DIRECTOR,
                  BoardRole.SENIOR_INDEPENDENT_DIRECTOR):
        who = ("the chief executive" if role is BoardRole.CHIEF_EXECUTIVE
               else "non-executive directors")
        appraiser, basis = leads.chair_id, f"The chair appraises {who}"
        vacant = "No chair is in post"
    elif role is BoardRole.CHAIR:
        appraiser = leads.senior_independent_director_id
        basis = "The senior independent director appraises the chair"
        if org_type.submits_to_nhse:
            basis += ", with NHS England regional endorsement"
        vacant = "No senior independent director is in post"
    else:
        return Route(None, f"The {role.label.lower()} is not a board member and is not appraised")
    if appraiser is None:
        return Route(None, f"{vacant}: assign an appraiser")
    if appraiser == appraisee_id:
        return Route(None, "The default appraiser is the appraisee: assign another appraiser")
    return Route(appraiser, basis)


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
    BoardRole.CHAIR: (BoardRole.SENIOR_INDEPENDENT_DIRECTOR,),
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
