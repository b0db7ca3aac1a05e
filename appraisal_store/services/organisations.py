"""Organisations on the record."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import record_event
from ..errors import NotAllowed, NotFound, ValidationFailed
from ..models import Organisation
from ..names import ORGANISATION_NAME_LONGEST, name_problem, shown
from ..vocabulary import OrgType
from .access import is_national_administrator

_ODS_CODE = re.compile(r"^[A-Z0-9]{2,10}$")
REGION_LONGEST = 100  # Organisation.region


def add_organisation(*, session: Session, actor: Actor, code: str, name: str,
                     org_type: OrgType | str, region: str | None = None) -> Organisation:
    """Add an organisation, or update the name, type and region of one already added.

    Organisations are added by the operator at the command line and by national
    administrators; an organisation's own administrators cannot add or rename any.

    Raises:
        NotAllowed: only the operator and national administrators add organisations.
        ValidationFailed: the code, name, type or region is not usable (a name or region
            must be one line of printable text: see ``appraisal_store.names``).
    """
    if not is_national_administrator(session, actor):
        raise NotAllowed("Only a national administrator (or the operator, at the command "
                         "line) can add organisations.")
    code = code.strip().upper()
    problems = []
    if not _ODS_CODE.match(code):
        problems.append(f"The code '{shown(code)}' is not an ODS code "
                        "(2 to 10 letters and digits).")
    if not name.strip():
        problems.append("The organisation needs a name.")
    elif (problem := name_problem(name, longest=ORGANISATION_NAME_LONGEST)):
        problems.append(f"The name {problem}.")
    if region and region.strip() and (
            problem := name_problem(region, longest=REGION_LONGEST)):
        problems.append(f"The region {problem}.")
    try:
        kind = OrgType(org_type)
    except ValueError:
        problems.append(f"The type '{shown(str(org_type))}' is not one of: "
                        + ", ".join(t.value for t in OrgType) + ".")
        kind = OrgType.NHS_TRUST
    if problems:
        raise ValidationFailed("The organisation was not added.", problems)
    organisation = organisation_by_code(session, code, missing_ok=True)
    action = "organisation_updated" if organisation else "organisation_added"
    if organisation is None:
        organisation = Organisation(code=code, name=name.strip(), type=kind, region=region)
    else:
        organisation.name, organisation.type, organisation.region = name.strip(), kind, region
    session.add(organisation)
    session.flush()
    record_event(session, actor, action, subject_type="organisation", subject_id=code,
                 organisation_id=organisation.id,
                 details={"name": organisation.name, "type": kind.value, "region": region})
    return organisation


def organisation_by_code(session: Session, code: str, *, missing_ok: bool = False
                         ) -> Organisation | None:
    """The organisation with ODS ``code``.

    Raises:
        NotFound: no such organisation (unless ``missing_ok``).
    """
    found = session.execute(
        select(Organisation).where(col(Organisation.code) == code.strip().upper())
    ).scalar_one_or_none()
    if found is None and not missing_ok:
        raise NotFound(f"There is no organisation with the code '{code}'. "
                       "Add it first with 'appraisal org add'.")
    return found
