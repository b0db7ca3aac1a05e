"""``appraisal health``, ``appraisal reports list|download``, and the start-up checks of
the long-running parts (the portal, a worker, ``flows seal``).

``health`` is what a worker machine's operator (or its service manager) asks before and
while the machine carries the year: the store, its schema, the Prefect API with its
credentials, the seal and the mail server, each with one sentence; exit 1 when any fails.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .console import out, print_json, show_error

reports_app = typer.Typer(help="The close-of-cycle reports kept in the store.",
                          no_args_is_help=True)


def check_start_up(*, seal: bool = True, smtp: bool = False) -> None:
    """Refuse to start, with the reason, when this machine cannot do its part.

    In production: the configured organisation seal must load (every machine signs with the
    same one) and, for a part that sends email, ``APPRAISAL_SMTP_URL`` must be set. Outside
    production the seal is checked only once it exists (``appraisal init`` makes it), so a
    first start still shows how to get going.

    Raises:
        typer.Exit: 1, after printing the one sentence that says what to fix.
    """
    from appraisal_store.config import PRODUCTION_NEEDS_SMTP, settings

    config = settings()
    problems: list[str] = []
    if smtp and config.is_production and not config.smtp_url:
        problems.append(PRODUCTION_NEEDS_SMTP)
    if seal and (config.is_production or config.seal_configured):
        try:
            from records.configured_seal import require_deployment_seal
        except ModuleNotFoundError:
            require_deployment_seal = None  # type: ignore[assignment]
        if require_deployment_seal is not None:
            from records.errors import SealError

            try:
                require_deployment_seal()
            except SealError as error:
                problems.append(str(error))
    if problems:
        show_error(problems[0], problems[1:])
        raise typer.Exit(1)


def health(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Check what this machine needs: the store and its schema, the Prefect API and its
    credentials, the organisation seal, the mail server. Exits 1 if any check fails."""
    from appraisal_store.config import settings
    from appraisal_store.engines import engine
    from appraisal_store.readiness import (
        Check,
        database_check,
        migrations_check,
        prefect_check,
        run_check,
        smtp_check,
    )

    config = settings()
    bind = engine()
    checks = [database_check(bind)]
    checks.append(migrations_check(bind) if checks[0].ok else
                  Check("migrations", False, "Not checked: the store does not answer."))
    checks.append(prefect_check(required=config.is_production))

    def seal() -> str:
        from records.configured_seal import require_deployment_seal

        return require_deployment_seal().describe()

    checks.append(run_check("seal", seal))
    checks.append(smtp_check(config.smtp_url, required=config.is_production))
    healthy = all(check.ok for check in checks)
    if as_json:
        print_json({"healthy": healthy, "environment": config.env,
                    "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail}
                               for c in checks]})
    else:
        table = Table("check", "", "detail")
        for check in checks:
            table.add_row(check.name, "ok" if check.ok else "FAILED", check.detail)
        out.print(table)
        out.print("Healthy." if healthy else "Not healthy: fix what FAILED above.")
    if not healthy:
        raise typer.Exit(1)


@reports_app.command("list")
def reports_list(
    year: str | None = typer.Option(None, "--year", help="Only this cycle, e.g. 2025/26."),
    org: str | None = typer.Option(None, "--org", help="Only this organisation's ODS code."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The reports the close of each cycle kept in the store (on any machine)."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.reports import list_reports
    from appraisal_store.sessions import read_session

    from .arguments import require_organisations

    organisation_id = _organisation_id(require_organisations([org])[0]) if org else None
    with read_session() as session:
        reports = list_reports(session=session, actor=Actor.operator(), year=year,
                               organisation_id=organisation_id)
    if as_json:
        print_json({"reports": [{"id": r.id, "year": r.year,
                                 "organisation": r.organisation_code, "kind": r.kind,
                                 "filename": r.filename, "size": r.size,
                                 "created_at": r.created_at.isoformat()} for r in reports]})
        return
    if not reports:
        out.print("No reports are stored: `appraisal cycle close` makes them.")
        return
    table = Table("id", "year", "organisation", "file", "bytes", "made")
    for r in reports:
        table.add_row(str(r.id), r.year, r.organisation_code or "(all)", r.filename,
                      str(r.size), f"{r.created_at:%Y-%m-%d %H:%M}")
    out.print(table)


def _organisation_id(code: str) -> int:
    from sqlalchemy import select
    from sqlmodel import col

    from appraisal_store.models import Organisation
    from appraisal_store.sessions import read_session

    with read_session() as session:
        return int(session.execute(select(col(Organisation.id)).where(
            col(Organisation.code) == code)).scalar_one())


@reports_app.command("download")
def reports_download(
    report_id: int = typer.Argument(..., help="The report's id (from `appraisal reports list`)."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Where to write it (default: its own name, here)."),
) -> None:
    """Write one stored report to a file."""
    import os

    from appraisal_store.actors import Actor
    from appraisal_store.services.reports import read_report
    from appraisal_store.sessions import read_session

    with read_session() as session:
        report = read_report(session=session, actor=Actor.operator(), report_id=report_id)
        filename, content = report.filename, report.content
    target = output or Path(filename)
    if target.is_dir():
        target = target / filename
    temporary = target.with_name(f".{target.name}.tmp{os.getpid()}")
    try:
        temporary.write_bytes(content)
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        show_error(f"Could not write {target}: {error.strerror}.")
        raise typer.Exit(1) from error
    out.print(f"Wrote {filename} ({len(content)} bytes) to {target}.")


def register(app: typer.Typer) -> None:
    app.command("health")(health)
    app.add_typer(reports_app, name="reports")
