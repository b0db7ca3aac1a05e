"""What the operator names on the command line, checked before any work starts.

An unknown organisation, cycle or appraisal is refused here with one line and exit 1,
before a flow (and Prefect) starts, so nothing is half done and no flow run fails.
"""

from __future__ import annotations

from datetime import date

import typer
from sqlmodel import col


def parse_day(value: str | None, option: str) -> date | None:
    from appraisal_store.errors import ValidationFailed
    from appraisal_store.services.people import parse_date

    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as error:
        raise ValidationFailed(f"{option}: {error}.") from error


def _unknown(codes: list[str]) -> str:
    named = ", ".join(f"'{code}'" for code in codes)
    return (f"There is no organisation {named} on record" if len(codes) == 1 else
            f"There are no organisations {named} on record") + \
        " (see 'appraisal org list')."


def require_organisations(codes: list[str]) -> list[str]:
    """The codes, upper-cased, if every one is on record; else NotFound naming the others."""
    from sqlalchemy import select

    from appraisal_store.errors import NotFound
    from appraisal_store.models import Organisation
    from appraisal_store.sessions import read_session

    wanted = [code.strip().upper() for code in codes]
    with read_session() as session:
        known = set(session.execute(select(col(Organisation.code)).where(
            col(Organisation.code).in_(wanted))).scalars())
    missing = [code for code in wanted if code not in known]
    if missing:
        raise NotFound(_unknown(missing))
    return wanted


def organisation_codes(org: str | None, all_orgs: bool) -> list[str]:
    """The organisations a command covers: one by code (checked), or every one with --all."""
    from sqlalchemy import select

    from appraisal_store.models import Organisation
    from appraisal_store.sessions import read_session

    if bool(org) == all_orgs:
        raise typer.BadParameter("give either --org CODE or --all", param_hint="--org / --all")
    if org:
        return require_organisations([org])
    with read_session() as session:
        return list(session.execute(select(col(Organisation.code)).order_by(col(Organisation.code)))
                    .scalars())


def require_cycle(year: str | None, org: str | None = None) -> str | None:
    """The cycle a listing is about: ``year`` if such a cycle is on record (for ``org`` when
    given), else the latest one; None when no cycle was ever opened.

    Raises:
        ValidationFailed: ``year`` is not a financial year like 2025/26.
        NotFound: the organisation, or the cycle of that year, is not on record.
    """
    from sqlalchemy import select

    from appraisal_store.errors import NotFound
    from appraisal_store.models import Cycle, Organisation
    from appraisal_store.queries import latest_year
    from appraisal_store.services.cycles import parse_year
    from appraisal_store.sessions import read_session

    code = require_organisations([org])[0] if org else None
    if year is None:
        with read_session() as session:
            return latest_year(session)
    parse_year(year)
    year = year.strip()
    statement = select(col(Cycle.id)).where(col(Cycle.year) == year)
    if code:
        statement = statement.join(Organisation, col(Organisation.id) == Cycle.organisation_id) \
            .where(col(Organisation.code) == code)
    with read_session() as session:
        found = session.execute(statement.limit(1)).first()
    if found is None:
        where = f" for {code}" if code else ""
        raise NotFound(f"There is no {year} cycle{where}: open it with 'appraisal cycle open "
                       f"--year {year}'.")
    return year


def require_appraisal(appraisal_id: int) -> int:
    from appraisal_store.errors import NotFound
    from appraisal_store.models import Appraisal
    from appraisal_store.sessions import read_session

    with read_session() as session:
        if session.get(Appraisal, appraisal_id) is None:
            raise NotFound(f"There is no appraisal {appraisal_id} (see 'appraisal appraisals "
                           "list').")
    return appraisal_id
