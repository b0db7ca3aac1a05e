"""``appraisal org add|list`` and ``appraisal people import|list``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table
from sqlmodel import col

from .arguments import require_organisations
from .console import out, print_json

org_app = typer.Typer(help="Organisations on the record.", no_args_is_help=True)
people_app = typer.Typer(help="Board members and their appointments.", no_args_is_help=True)


class OrgTypeChoice(StrEnum):
    nhs_trust = "nhs-trust"
    foundation_trust = "foundation-trust"
    icb = "icb"
    nhs_england = "nhs-england"


@org_app.command("add")
def add(
    code: str = typer.Argument(..., help="The ODS code, e.g. RX1."),
    name: str = typer.Option(..., "--name", help="The organisation's name."),
    org_type: OrgTypeChoice = typer.Option(..., "--type", help="The kind of organisation."),
    region: str | None = typer.Option(None, "--region", help="The NHS England region."),
) -> None:
    """Add an organisation (or update its name, type and region)."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.organisations import add_organisation
    from appraisal_store.sessions import write_session

    with write_session() as session:
        organisation = add_organisation(session=session, actor=Actor.operator(), code=code,
                                        name=name, org_type=org_type.value, region=region)
    out.print(f"{organisation.code}: {organisation.name} ({organisation.type.label})")


@org_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the organisations."""
    from sqlalchemy import select

    from appraisal_store.models import Organisation
    from appraisal_store.sessions import read_session

    with read_session() as session:
        organisations = [
            {"code": o.code, "name": o.name, "type": o.type.value, "type_label": o.type.label,
             "region": o.region}
            for o in session.execute(
                select(Organisation).order_by(col(Organisation.code))).scalars()]
    if as_json:
        print_json(organisations)
        return
    table = Table("code", "name", "type", "region")
    for organisation in organisations:
        table.add_row(organisation["code"], organisation["name"], organisation["type_label"],
                      organisation["region"] or "")
    out.print(table)


@people_app.command("import")
def import_people(
    file: Path = typer.Argument(..., help="CSV: org_code,name,email,role,start_date,end_date,"
                                          "interim"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Import board members; all or nothing, every bad row reported with its line."""
    from appraisal_store.actors import Actor
    from appraisal_store.errors import ValidationFailed
    from appraisal_store.services.people import import_people as import_csv
    from appraisal_store.sessions import write_session

    try:
        # As bytes, not read_text: its newline translation would turn a carriage return
        # inside a name into a line break, and the row would be misread instead of refused.
        text = file.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise ValidationFailed(f"Cannot read {file}: {error.strerror}.") from error
    except UnicodeDecodeError as error:
        raise ValidationFailed(f"{file} is not UTF-8 text (save it as CSV UTF-8).") from error
    with write_session() as session:
        result = import_csv(session=session, actor=Actor.operator(), csv_text=text)
    if as_json:
        print_json({"file": file, "people_added": result.people_added,
                    "appointments_added": result.appointments_added,
                    "appointments_already_present": result.appointments_already_present})
        return
    out.print(f"Imported {file.name}: {result.people_added} new people, "
              f"{result.appointments_added} appointments added, "
              f"{result.appointments_already_present} already on record.")


@people_app.command("list")
def list_people(
    org: str | None = typer.Option(None, "--org", help="One organisation's ODS code."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List board members: a line per appointment (and people with none, without --org)."""
    from sqlalchemy import exists, select

    from appraisal_store.models import AdministrationGrant, Appointment, Organisation, Person
    from appraisal_store.sessions import read_session

    code = require_organisations([org])[0] if org else None
    # "administrator": holds a live grant of administration (``appraisal admin list``).
    granted = exists().where(col(AdministrationGrant.person_id) == Person.id,
                             col(AdministrationGrant.revoked_at).is_(None))
    statement = (
        select(col(Person.name), col(Person.email), granted, col(Organisation.code),
               col(Appointment.role), col(Appointment.start_date), col(Appointment.end_date),
               col(Appointment.interim))
        .outerjoin(Appointment, col(Appointment.person_id) == Person.id)
        .outerjoin(Organisation, col(Organisation.id) == Appointment.organisation_id)
        .order_by(col(Organisation.code), col(Person.name), col(Appointment.start_date))
    )
    if code:
        statement = statement.where(col(Organisation.code) == code)
    with read_session() as session:
        people = [{"name": name, "email": email, "administrator": admin,
                   "organisation": organisation, "role": role.value if role else None,
                   "role_label": role.label if role else None, "start_date": start,
                   "end_date": end, "interim": bool(interim)}
                  for name, email, admin, organisation, role, start, end, interim
                  in session.execute(statement)]
    if as_json:
        print_json(people)
        return
    table = Table("org", "name", "email", "role", "from", "to")
    for person in people:
        role = person["role_label"] or ("administrator" if person["administrator"] else "")
        if person["interim"]:
            role += " (interim)"
        table.add_row(person["organisation"] or "", person["name"], person["email"], role,
                      str(person["start_date"] or ""), str(person["end_date"] or ""))
    out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(org_app, name="org")
    app.add_typer(people_app, name="people")
