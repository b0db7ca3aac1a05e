"""``appraisal admin grant|revoke|list`` and ``appraisal org external-appraiser
add|remove|list``: who administers what, and who may appraise from outside the board."""

from __future__ import annotations

import typer
from rich.table import Table

from .console import out, print_json, show_success
from .organisations import org_app

admin_app = typer.Typer(
    help="Who administers what: an organisation (--org CODE) or the national view "
         "(--national: every organisation's status, never content, no changes). An "
         "organisation's chair and company secretary administer it without a grant.",
    no_args_is_help=True)
external_app = typer.Typer(
    help="External appraisers an organisation registers (NHS England's regional director "
         "for the chair, a partner's deputy chair), each with the roles and the reason.",
    no_args_is_help=True)


def _scope(org: str | None, national: bool) -> str:
    if bool(org) == national:
        raise typer.BadParameter("give either --org CODE or --national",
                                 param_hint="--org / --national")
    return "the national view" if national else f"{(org or '').strip().upper()}"


@admin_app.command("grant")
def grant(
    email: str = typer.Argument(..., help="The person's email address (on record)."),
    org: str | None = typer.Option(None, "--org", help="The organisation's ODS code."),
    national: bool = typer.Option(False, "--national",
                                  help="NHS England's status view across organisations."),
) -> None:
    """Grant administration of one organisation, or the national view (audited)."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.administrators import grant_administration
    from appraisal_store.sessions import write_session

    what = _scope(org, national)
    with write_session() as session:
        _, new = grant_administration(session=session, actor=Actor.operator(), email=email,
                                      organisation_code=org, national=national)
    if new:
        show_success(f"{email} now administers {what}.")
    else:
        out.print(f"{email} already administers {what}; nothing changed.")


@admin_app.command("revoke")
def revoke(
    email: str = typer.Argument(..., help="The person's email address."),
    org: str | None = typer.Option(None, "--org", help="The organisation's ODS code."),
    national: bool = typer.Option(False, "--national", help="The national view."),
) -> None:
    """Revoke a grant of administration (audited; the grant stays on record, revoked)."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.administrators import revoke_administration
    from appraisal_store.sessions import write_session

    what = _scope(org, national)
    with write_session() as session:
        revoked = revoke_administration(session=session, actor=Actor.operator(), email=email,
                                        organisation_code=org, national=national)
    if revoked:
        show_success(f"{email} no longer administers {what}.")
    else:
        out.print(f"{email} held no grant for {what}; nothing changed.")


@admin_app.command("list")
def list_grants(
    include_revoked: bool = typer.Option(False, "--all", help="Revoked grants too."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the grants of administration (the chair's and company secretary's own
    administration comes with their appointment and is not listed)."""
    from appraisal_store.services.administrators import administration_grants
    from appraisal_store.sessions import read_session

    with read_session() as session:
        rows = administration_grants(session, include_revoked=include_revoked)
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    if not rows:
        out.print("No grants of administration.")
        return
    table = Table("email", "name", "administers", "granted by", "granted", "revoked")
    for r in rows:
        table.add_row(r.email, r.name, r.scope, r.granted_by, f"{r.granted_at:%Y-%m-%d}",
                      f"{r.revoked_at:%Y-%m-%d}" if r.revoked_at else "")
    out.print(table)


@external_app.command("add")
def add_external(
    email: str = typer.Argument(..., help="The appraiser's email address."),
    org: str = typer.Option(..., "--org", help="The organisation registering them."),
    roles: list[str] = typer.Option(..., "--role",
                                    help="A role they may appraise (repeat for several), "
                                         "e.g. chair."),
    reason: str = typer.Option(..., "--reason", help="Why they appraise for it."),
    name: str | None = typer.Option(None, "--name",
                                    help="Their name, to add them when not on record."),
) -> None:
    """Register an external appraiser for the organisation (audited)."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.appraisers import register_external_appraiser
    from appraisal_store.sessions import write_session

    with write_session() as session:
        registration = register_external_appraiser(
            session=session, actor=Actor.operator(), organisation_code=org, email=email,
            roles=roles, reason=reason, name=name)
        chosen = ", ".join(registration.roles)
    show_success(f"{email} may now appraise, for {org.strip().upper()}: {chosen}.")


@external_app.command("remove")
def remove_external(
    email: str = typer.Argument(..., help="The appraiser's email address."),
    org: str = typer.Option(..., "--org", help="The organisation."),
) -> None:
    """End a registration (audited); appraisals already assigned keep their appraiser."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.appraisers import remove_external_appraiser
    from appraisal_store.sessions import write_session

    with write_session() as session:
        removed = remove_external_appraiser(session=session, actor=Actor.operator(),
                                            organisation_code=org, email=email)
    if removed:
        show_success(f"{email} is no longer an external appraiser for {org.strip().upper()}.")
    else:
        out.print(f"{email} was not registered for {org.strip().upper()}; nothing changed.")


@external_app.command("list")
def list_external(
    org: str | None = typer.Option(None, "--org", help="One organisation's ODS code."),
    include_removed: bool = typer.Option(False, "--all", help="Removed registrations too."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the registered external appraisers."""
    from appraisal_store.services.appraisers import external_appraisers
    from appraisal_store.sessions import read_session

    with read_session() as session:
        rows = external_appraisers(session, organisation_code=org,
                                   include_removed=include_removed)
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    if not rows:
        out.print("No external appraisers registered.")
        return
    table = Table("org", "email", "name", "may appraise", "reason", "registered", "removed")
    for r in rows:
        table.add_row(r.organisation_code, r.email, r.name, ", ".join(r.roles), r.reason,
                      f"{r.registered_at:%Y-%m-%d}",
                      f"{r.revoked_at:%Y-%m-%d}" if r.revoked_at else "")
    out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(admin_app, name="admin")
    org_app.add_typer(external_app, name="external-appraiser")
