"""``appraisal org contributor add|remove|list`` and ``appraisal org routing set|show``:
who takes part from outside the board (NHS England's regional director, their delegate, a
foundation trust's nominations committee) and the organisation's own routing policy."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .console import out, print_json, show_success
from .organisations import org_app

contributor_app = typer.Typer(
    help="Who takes part in a board's appraisals from outside it without conducting them: "
         "NHS England's regional director (input to the chair's appraisal, endorsement), "
         "their endorsement delegate, a foundation trust's nominations committee (receives "
         "the chair's outcome).", no_args_is_help=True)
routing_app = typer.Typer(
    help="The organisation's routing policy: the shipped defaults per organisation type, "
         "and an override laid over them.", no_args_is_help=True)


@contributor_app.command("add")
def add(
    org: str = typer.Argument(..., help="The organisation's ODS code."),
    email: str = typer.Argument(..., help="Their email address."),
    part: str = typer.Option(..., "--part", help="regional-director, endorsement-delegate "
                             "or nominations-committee."),
    role: list[str] = typer.Option(..., "--role", help="A role whose appraisals they take "
                                   "part in (repeat for several)."),
    reason: str = typer.Option(..., "--reason", help="Why they take part."),
    name: str | None = typer.Option(None, "--name", help="Their name, if not on record."),
) -> None:
    """Register a contributor for the organisation (audited)."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.contributors import register_contributor
    from appraisal_store.sessions import write_session

    with write_session() as session:
        register_contributor(session=session, actor=Actor.operator(), organisation_code=org,
                             email=email, part=part, roles=role, reason=reason, name=name)
    show_success(f"{email} takes part in {org.upper()}'s appraisals as {part}.")


@contributor_app.command("remove")
def remove(org: str = typer.Argument(...), email: str = typer.Argument(...),
           part: str = typer.Option(..., "--part")) -> None:
    """End a contributor's registration (audited; kept on record)."""
    from appraisal_store.actors import Actor
    from appraisal_store.clock import utcnow
    from appraisal_store.services.contributors import remove_contributor
    from appraisal_store.sessions import write_session

    with write_session() as session:
        removed = remove_contributor(session=session, actor=Actor.operator(),
                                     organisation_code=org, email=email, part=part,
                                     now=utcnow())
    if removed:
        show_success(f"{email} no longer takes part as {part}.")
    else:
        out.print(f"{email} was not registered as {part}; nothing changed.")


@contributor_app.command("list")
def list_contributors(org: str = typer.Argument(...),
                      as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the organisation's contributors."""
    from appraisal_store.services.contributors import contributors
    from appraisal_store.sessions import read_session

    with read_session() as session:
        rows = contributors(session, organisation_code=org)
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    table = Table("email", "name", "part", "roles", "reason")
    for r in rows:
        table.add_row(r.email, r.name, r.part.value, ", ".join(r.roles), r.reason)
    out.print(table)


@routing_app.command("set")
def set_override(
    org: str = typer.Argument(..., help="The organisation's ODS code."),
    file: Path = typer.Argument(..., help="A YAML file shaped like one organisation type's "
                                "section of the shipped routing_policy.yaml."),
    reason: str = typer.Option(..., "--reason", help="Why this organisation differs."),
) -> None:
    """Lay the organisation's own routing over the shipped policy (from the next cycle
    opened; audited). A bad file is refused with every problem and its line."""
    from appraisal_store.actors import Actor
    from appraisal_store.clock import utcnow
    from appraisal_store.errors import ValidationFailed
    from appraisal_store.services.contributors import set_routing_override
    from appraisal_store.sessions import write_session

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationFailed("The routing override was not set.",
                               [f"{file}: cannot be read as UTF-8 text ({error})"]) from error
    with write_session() as session:
        set_routing_override(session=session, actor=Actor.operator(), organisation_code=org,
                             policy_text=text, source=file.name, reason=reason,
                             now=utcnow())
    show_success(f"{org.upper()} now routes by {file.name} over the shipped policy.")


@routing_app.command("show")
def show(org_type: str = typer.Argument(..., help="nhs-trust, foundation-trust, icb or "
                                        "nhs-england."),
         as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The shipped policy for one organisation type, with what the guidance confirms."""
    from appraisal_store.errors import ValidationFailed
    from appraisal_store.routing_policy import APPRAISED_ROLES, shipped_policy
    from appraisal_store.vocabulary import OrgType

    try:
        kind = OrgType(org_type)
    except ValueError as error:
        raise ValidationFailed(f"'{org_type}' is not an organisation type (use "
                               + ", ".join(t.value for t in OrgType) + ").") from error
    routes = {role.value: shipped_policy().route(kind, role) for role in APPRAISED_ROLES}
    if as_json:
        print_json({role: {"appraisers": list(r.appraisers),
                           "regional_director": r.regional_director.value,
                           "endorsement": r.endorsement.value,
                           "outcome_to": r.outcome_to.value, "guidance": r.guidance.value,
                           "source": r.source} for role, r in routes.items()})
        return
    table = Table("role", "appraisers", "regional director", "endorsement", "outcome to",
                  "guidance")
    for role, r in routes.items():
        table.add_row(role, ", ".join(r.appraisers), r.regional_director.value,
                      r.endorsement.value, r.outcome_to.value, r.guidance.value)
    out.print(table)


def register(app: typer.Typer) -> None:
    org_app.add_typer(contributor_app, name="contributor")
    org_app.add_typer(routing_app, name="routing")
