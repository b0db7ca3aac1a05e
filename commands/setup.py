"""``appraisal init``: create or upgrade the store (safe to run twice)."""

from __future__ import annotations

import typer

from .console import out, show_error


def init() -> None:
    """Create the database schema, or bring it up to date; safe to run twice."""
    from appraisal_store.actors import Actor
    from appraisal_store.config import settings
    from appraisal_store.schema import take_setup_turn, upgrade
    from appraisal_store.services.frameworks import current_framework_version
    from appraisal_store.sessions import write_session

    config = settings()
    config.home.mkdir(parents=True, exist_ok=True)
    before, after = upgrade()
    with write_session() as session:
        take_setup_turn(session)
        framework = current_framework_version(session, Actor.operator())
    where = (f"SQLite in {config.home.resolve()}" if config.is_sqlite
             else "the configured database")
    if before == after:
        out.print(f"The store is up to date (schema {after}) in {where}.")
    else:
        out.print(f"Created the store (schema {after}) in {where}." if before is None else
                  f"Upgraded the store from schema {before} to {after} in {where}.")
    out.print(f"Framework: {framework.name}, version {framework.version} "
              f"(content hash {framework.content_hash[:12]}).")
    try:
        from records.configured_seal import ensure_deployment_seal
        from records.errors import SealError
    except ModuleNotFoundError:
        return
    try:
        out.print(ensure_deployment_seal())
    except SealError as error:  # the store is ready; the seal is what to fix
        show_error(str(error))
        raise typer.Exit(1) from error


def register(app: typer.Typer) -> None:
    app.command("init")(init)
