"""``appraisal records``: seal signed records, export them, verify a record file.

An export reads content: each record written is audited as a ``content_viewed`` event by
the operator, the same event as a view in the portal; an export refused (no such
appraisal, no sealed record) is logged in APPRAISAL_HOME/logs/access.log.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import typer
from rich.text import Text

from .console import out, print_json, show_error, show_success

records_app = typer.Typer(help="The sealed PDF records of appraisals.", no_args_is_help=True)


def _fail(message: str, details: list[str] | None = None) -> typer.Exit:
    show_error(message, details)
    return typer.Exit(1)


@records_app.command("seal")
def seal(
    limit: int | None = typer.Option(None, "--limit", min=1, help="Seal at most this many."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Seal every signature that has no sealed record yet (safe to run again)."""
    from records.errors import RecordError, SealingFailed
    from records.sealing_pipeline import seal_pending_records

    try:
        sealed = seal_pending_records(limit=limit)
    except SealingFailed as error:
        if as_json:
            print_json({"sealed": sorted(error.sealed), "failures": {
                str(key): why for key, why in sorted(error.failures.items())}})
        if error.sealed and not as_json:
            out.print(f"Sealed the records of {len(error.sealed)} appraisals.")
        raise _fail(
            f"{len(error.failures)} records could not be sealed.",
            [f"appraisal {key}: {why}" for key, why in sorted(error.failures.items())],
        ) from error
    except RecordError as error:
        raise _fail(error.message) from error
    if as_json:
        print_json({"sealed": sorted(sealed), "failures": {}})
        return
    if not sealed:
        out.print("Nothing to seal: every signature has its sealed record.")
        return
    out.print(f"Sealed the records of {len(sealed)} appraisals: "
              f"{', '.join(str(i) for i in sealed)}.")


@records_app.command("export")
def export(
    appraisal_id: int = typer.Argument(..., help="The appraisal's number."),
    output: Path = typer.Option(..., "--output", "-o", help="The PDF file to write."),
    version: int | None = typer.Option(
        None, "--version", min=1, help="A record version; the latest by default."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Write the sealed record of an appraisal (signed by both parties) to a file."""
    from appraisal_store.actors import Actor
    from appraisal_store.clock import utcnow
    from appraisal_store.errors import NotFound
    from appraisal_store.services.content_views import log_refused_access
    from records.errors import RecordError
    from records.pdf_export import export_record

    operator = Actor.operator()
    try:
        path = export_record(appraisal_id, output, viewer=operator, version=version)
    except (RecordError, NotFound) as error:
        log_refused_access(actor=operator, what="the command 'records export'",
                           appraisal_id=appraisal_id, reason=error.message, at=utcnow())
        raise _fail(error.message) from error
    except OSError as error:
        raise _fail(f"Cannot write {output}: {error.strerror or error}.") from error
    if as_json:
        print_json({"appraisal_id": appraisal_id, "version": version, "path": path})
        return
    show_success(f"Wrote the sealed record of appraisal {appraisal_id} to {path}.")


@records_app.command("export-all")
def export_all(
    folder: Path | None = typer.Option(
        None, "--to", help="The folder; APPRAISAL_EXPORT_DIR, else APPRAISAL_HOME/records "
                           "(refused in production) by default."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Write the latest sealed record of every completed appraisal into a folder."""
    from appraisal_store.actors import Actor
    from appraisal_store.config import PRODUCTION_NEEDS_AN_EXPORT_FOLDER, settings
    from records.pdf_export import export_all_complete

    config = settings()
    if folder is None and config.is_production and config.export_dir is None:
        raise _fail(PRODUCTION_NEEDS_AN_EXPORT_FOLDER)
    target = folder or config.records_dir
    try:
        written = export_all_complete(target, viewer=Actor.operator())
    except OSError as error:
        raise _fail(f"Cannot write to {target}: {error.strerror or error}.") from error
    if as_json:
        print_json({"folder": target, "files": sorted(str(path) for path in written)})
        return
    out.print(f"{len(written)} sealed records are in {target}.")


def _when(moment: datetime | None) -> str:
    return moment.isoformat(sep=" ", timespec="minutes") if moment else "unknown"


def _common_name(subject: str | None) -> str:
    """The seal's common name out of pyHanko's "Organization: ..., Common Name: X"."""
    if not subject:
        return "no readable certificate"
    _, found, name = subject.rpartition("Common Name: ")
    return f"the seal {name.split(', ')[0]!r}" if found else subject


@records_app.command("verify")
def verify(
    path: Path = typer.Argument(..., help="The record file to check."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check a record file: every signature valid and trusted, nothing changed after the
    last one, and the file held in the store. Exit 0 only when all of that holds."""
    from records.configured_seal import trusted_seal_certificates
    from records.errors import RecordError
    from records.record_lookup import known_record
    from records.verify import verify_record

    try:
        pdf = path.read_bytes()
    except OSError as error:
        raise _fail(f"Cannot read {path}: {error.strerror or error}.") from error
    try:
        trusted = trusted_seal_certificates()
    except RecordError as error:
        raise _fail(error.message) from error
    verdict = verify_record(pdf, trusted_certs=trusted, known_record=known_record)
    if as_json:
        print_json({"file": path, **dataclasses.asdict(verdict)})
        if not verdict.ok:
            raise typer.Exit(1)
        return

    out.print(Text(f"File: {path} (SHA-256 {verdict.sha256})"))
    for report in verdict.signatures:
        who = report.signer_name or "an unnamed signer"
        role = f" ({report.role})" if report.role else ""
        state = "valid" if report.ok else "NOT valid"
        certificate = _common_name(report.certificate_subject)
        out.print(Text(
            f"  {report.field}: signed by {who}{role} on {_when(report.signed_at)}, "
            f"sealed {_when(report.sealed_at)} with {certificate}: {state}"
        ))
    if verdict.record is not None:
        out.print(Text(f"  Held in the store as record {verdict.record.record_id} "
                       f"(appraisal {verdict.record.appraisal_id}, version "
                       f"{verdict.record.version})."))
    if verdict.ok:
        show_success("Verdict: VALID. Every signature holds, nothing was changed after "
                     "signing, and the store holds this exact record.")
        return
    raise _fail("Verdict: NOT VALID.", list(verdict.failures))


def register(app: typer.Typer) -> None:
    app.add_typer(records_app, name="records")
