"""``appraisal references list|export|received``, ``appraisal people leave`` and
``appraisal people registration``: the Board Member References of leavers, those a new
appointment came with, and who is clinically registered (for the FPPT's checks)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from .arguments import parse_day, require_organisations
from .console import out, print_json
from .fppt_commands import organisation_id_of, write_file

references_app = typer.Typer(help="Board Member References of leavers.", no_args_is_help=True)


@references_app.command("list")
def list_references(
    org: str | None = typer.Option(None, "--org", help="One organisation's ODS code."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Board Member References: who left, when, due, and whether signed and sealed."""
    from sqlalchemy import select
    from sqlmodel import col

    from appraisal_store.fppt_queries import references
    from appraisal_store.models import Organisation
    from appraisal_store.sessions import read_session

    code = require_organisations([org])[0] if org else None
    today = date.today()
    with read_session() as session:
        organisation_id = None if code is None else session.execute(select(
            col(Organisation.id)).where(col(Organisation.code) == code)).scalar_one()
        rows: list[dict[str, Any]] = [
                {"id": r.reference.id, "organisation": r.organisation_code, "name": r.name,
                 "email": r.email, "role": r.role.value, "left_on": r.reference.left_on,
                 "reason": r.reference.leaving_reason, "due_on": r.reference.due_on,
                 "state": r.reference.state.value, "overdue": r.overdue(today),
                 "signed_by": r.signed_by,
                 "signed_on": r.reference.signed_at.date() if r.reference.signed_at else None,
                 "sha256": r.reference.sha256}
                for r in references(session, organisation_id=organisation_id)]
    if as_json:
        print_json(rows)
        return
    table = Table("org", "name", "role", "left", "due", "state", "signed by")
    for row in rows:
        state = str(row["state"]) + (" (overdue)" if row["overdue"] else "")
        table.add_row(*(str(row[k]) for k in ("organisation", "name", "role", "left_on",
                                               "due_on")), state, str(row["signed_by"] or ""))
    out.print(table)


@references_app.command("export")
def export_reference(
    reference_id: int = typer.Argument(..., help="The reference's id (references list)."),
    output: Path = typer.Option(..., "-o", "--output", help="FILE.pdf"),
) -> None:
    """Write a signed, sealed Board Member Reference (for a future employer)."""
    from appraisal_store.errors import NotFound
    from appraisal_store.fppt_tables import BoardMemberReference
    from appraisal_store.sessions import read_session

    with read_session() as session:
        reference = session.get(BoardMemberReference, reference_id)
        pdf = reference.pdf if reference is not None else None
    if pdf is None:
        raise NotFound(f"There is no signed Board Member Reference {reference_id} (see "
                       "'appraisal references list').")
    write_file(output, pdf)
    out.print(f"Wrote the sealed reference to {output}.")


@references_app.command("received")
def reference_received(
    email: str = typer.Argument(..., help="The new board member's email."),
    org: str = typer.Option(..., "--org", help="The organisation's ODS code."),
    from_whom: str = typer.Option(..., "--from", help="Who gave the reference."),
    on: str = typer.Option(..., "--on", help="The date it was received."),
    covering: str = typer.Option(..., "--covering", help="The years it covers."),
) -> None:
    """Record a reference a new appointment came with."""
    from sqlalchemy import select
    from sqlmodel import col

    from appraisal_store.actors import Actor
    from appraisal_store.errors import NotFound
    from appraisal_store.models import Appointment, Person
    from appraisal_store.services.fppt_references import record_reference_received
    from appraisal_store.sessions import write_session

    day = parse_day(on, "--on")
    assert day is not None
    organisation_id = organisation_id_of(require_organisations([org])[0])
    with write_session() as session:
        appointment_id = session.execute(
            select(col(Appointment.id)).join(Person, col(Person.id) == Appointment.person_id)
            .where(col(Person.email) == email.strip().lower(),
                   col(Appointment.organisation_id) == organisation_id)
            .order_by(col(Appointment.start_date).desc())).scalars().first()
        if appointment_id is None:
            raise NotFound(f"{email} has no appointment on the board of {org.upper()}.")
        record_reference_received(session=session, actor=Actor.operator(),
                                  appointment_id=appointment_id, from_whom=from_whom,
                                  received_on=day, covering=covering, today=date.today())
    out.print(f"Recorded the reference from {from_whom} for {email}.")


def leave(
    email: str = typer.Argument(..., help="The board member's email."),
    org: str = typer.Option(..., "--org", help="The organisation's ODS code."),
    on: str = typer.Option(..., "--on", help="The last day on the board."),
    reason: str = typer.Option(..., "--reason", help="Why they are leaving."),
) -> None:
    """A board member leaves: the appointment ends, open appraisals are withdrawn and a
    Board Member Reference is opened."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.fppt_references import leave as record_leaving
    from appraisal_store.sessions import write_session

    day = parse_day(on, "--on")
    assert day is not None
    code = require_organisations([org])[0]
    with write_session() as session:
        opened = record_leaving(session=session, actor=Actor.operator(), email=email,
                                organisation_code=code, on=day, reason=reason,
                                today=date.today())
        due = ", ".join(str(r.due_on) for r in opened)
    out.print(f"{email} leaves {code} on {day}; the Board Member Reference is due {due}.")


def registration(
    email: str = typer.Argument(..., help="The board member's email."),
    org: str = typer.Option(..., "--org", help="The organisation's ODS code."),
    clinically_registered: str = typer.Option(
        ..., "--clinically-registered", help="yes or no: on a professional register (a "
                                             "doctor, nurse or other regulated professional)."),
) -> None:
    """Record whether a board member is clinically registered: the FPPT's checks of the
    professional register apply to them only then."""
    from sqlalchemy import select
    from sqlmodel import col

    from appraisal_store.actors import Actor
    from appraisal_store.errors import NotFound
    from appraisal_store.models import Person
    from appraisal_store.services.fppt import set_clinically_registered
    from appraisal_store.sessions import write_session

    answer = {"yes": True, "no": False}.get(clinically_registered.strip().lower())
    if answer is None:
        raise typer.BadParameter("give yes or no", param_hint="--clinically-registered")
    organisation_id = organisation_id_of(require_organisations([org])[0])
    with write_session() as session:
        person_id = session.execute(select(col(Person.id)).where(
            col(Person.email) == email.strip().lower())).scalar_one_or_none()
        if person_id is None:
            raise NotFound(f"{email} is not on the board of {org.upper()}.")
        set_clinically_registered(session=session, actor=Actor.operator(),
                                  person_id=person_id, organisation_id=organisation_id,
                                  registered=answer)
    out.print(f"{email} is {'' if answer else 'not '}clinically registered: the checks of "
              "the professional register " + ("apply." if answer else "do not apply."))


def register(app: typer.Typer) -> None:
    from .organisations import people_app

    people_app.command("leave")(leave)
    people_app.command("registration")(registration)
    app.add_typer(references_app, name="references")
