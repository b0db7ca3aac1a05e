"""``appraisal audit verify``: walk the hash chain of the audit trail."""

from __future__ import annotations

import typer

from .console import out, print_json, show_error

audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)


@audit_app.command("verify")
def verify(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Check every audit event against its hash and the one before it (exit 1 if broken)."""
    from appraisal_store.audit import verify_chain
    from appraisal_store.database import read_session

    with read_session() as session:
        report = verify_chain(session)
    if as_json:
        print_json({"ok": report.ok, "verified": report.verified,
                    "broken_at": report.broken_at, "reason": report.reason or None})
        if not report.ok:
            raise typer.Exit(1)
        return
    if report.ok:
        out.print(f"Audit trail intact: {report.verified} events verified.")
        return
    show_error(f"the audit trail is broken at event {report.broken_at}: {report.reason}. "
               f"{report.verified} events before it verified.")
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
