"""``appraisal framework show|import``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from .console import out

framework_app = typer.Typer(help="Show or import the competency framework.", no_args_is_help=True)


@framework_app.command("show")
def show(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the current framework: domains, statements and the scale."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.frameworks import current_framework_version, framework_of
    from appraisal_store.sessions import write_session

    with write_session() as session:
        stored = current_framework_version(session, Actor.operator())
        framework = framework_of(session, stored.id or 0)
    if as_json:
        out.print_json(json.dumps(framework.to_dict(), ensure_ascii=False))
        return
    out.print(f"[bold]{framework.name}[/] (version {framework.version}, "
              f"hash {framework.content_hash[:12]})")
    for domain in framework.domains:
        table = Table(title=f"{domain.number}. {domain.name}", title_justify="left",
                      show_header=False)
        table.add_column("id", style="dim")
        table.add_column("statement")
        for statement in domain.statements:
            table.add_row(statement.id, statement.text)
        out.print(table)
    out.print("Scale: " + " / ".join(label.label for label in framework.scale))


@framework_app.command("import")
def import_(file: Path = typer.Argument(..., help="A framework YAML file.")) -> None:
    """Add a framework version; appraisals under way keep the version they started on."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.frameworks import import_framework
    from appraisal_store.sessions import write_session

    with write_session() as session:
        stored = import_framework(session=session, actor=Actor.operator(), path=file)
    out.print(f"Imported {stored.name} version {stored.version} "
              f"(hash {stored.content_hash[:12]}); new cycles will use it.")


def register(app: typer.Typer) -> None:
    app.add_typer(framework_app, name="framework")
