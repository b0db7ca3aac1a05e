"""``appraisal fppt ...``: the fit and proper person test's year at the command line (the
checklist, each board member's status and checks, the ESR export and the submission)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from .arguments import parse_day, require_organisations
from .console import out, print_json

fppt_app = typer.Typer(help="The fit and proper person test (FPPT) of board members.",
                       no_args_is_help=True)
checks_app = typer.Typer(help="The FPPT checklist (checks, declarations, ESR columns, "
                              "reference sections).", no_args_is_help=True)
fppt_app.add_typer(checks_app, name="checks")


class OutcomeChoice(StrEnum):
    clear = "clear"
    concern = "concern"
    not_applicable = "not-applicable"


@checks_app.command("import")
def import_checks(file: Path = typer.Argument(..., help="A checklist YAML file.")) -> None:
    """Validate a checklist file and make it the current version (years already open keep
    theirs); a bad file is refused with every problem and its line."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.fppt_checklists import import_checklist
    from appraisal_store.sessions import write_session

    with write_session() as session:
        stored = import_checklist(session=session, actor=Actor.operator(), path=file)
        note = " (the project's working list, to confirm)" if stored.working_list else ""
        out.print(f"Imported {stored.checklist_id} version {stored.version}{note}.")


@checks_app.command("list")
def list_checks(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The current checklist's checks."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.fppt_checklists import checklist_of, current_checklist_version
    from appraisal_store.sessions import write_session

    with write_session() as session:
        checklist = checklist_of(session, current_checklist_version(
            session, Actor.operator()).id or 0)
    if as_json:
        print_json(checklist.to_dict())
        return
    table = Table("id", "check", "due", "applies to")
    for check in checklist.checks:
        table.add_row(check.id, check.name, check.due_label, check.applies_to.label)
    out.print(table)


def _year(year: str | None, code: str) -> str:
    from sqlalchemy import select
    from sqlmodel import col

    from appraisal_store.errors import NotFound
    from appraisal_store.fppt_queries import fppt_years_of
    from appraisal_store.models import Organisation
    from appraisal_store.services.cycles import parse_year
    from appraisal_store.sessions import read_session

    with read_session() as session:
        organisation_id = session.execute(select(col(Organisation.id)).where(
            col(Organisation.code) == code)).scalar_one()
        years = fppt_years_of(session, organisation_id)
    if year is not None:
        parse_year(year)
        if year.strip() not in years:
            raise NotFound(f"There is no {year} FPPT year for {code}: it opens with the "
                           f"cycle ('appraisal cycle open --year {year}').")
        return year.strip()
    if not years:
        raise NotFound(f"No FPPT year is open for {code}: it opens with the cycle.")
    return years[0]


@fppt_app.command("status")
def status(
    org: str | None = typer.Option(None, "--org", help="One organisation's ODS code."),
    year: str | None = typer.Option(None, "--year", help="The year, e.g. 2025/26 (latest)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Each board member's FPPT: state, checks recorded, overdue, outcome and sign-off."""
    from sqlalchemy import select

    from appraisal_store.fppt_queries import board_year, submission_state
    from appraisal_store.models import Organisation
    from appraisal_store.sessions import read_session

    codes = require_organisations([org]) if org else None
    today = date.today()
    lines: list[dict[str, Any]] = []
    with read_session() as session:
        organisations = session.execute(select(Organisation).order_by(Organisation.code)
                                        ).scalars().all()
        for organisation in organisations:
            if codes and organisation.code not in codes:
                continue
            try:
                label = _year(year, organisation.code)
            except Exception:
                if codes:
                    raise
                continue
            submission = submission_state(session, organisation.id or 0, label)
            for member in board_year(session, organisation.id or 0, label):
                lines.append({
                    "organisation": organisation.code, "year": label, "name": member.name,
                    "email": member.email, "role": member.year.role.value,
                    "state": member.year.state.value,
                    "outcome": member.year.outcome.value if member.year.outcome else None,
                    "checks_recorded": member.recorded,
                    "checks_applicable": len(member.applicable),
                    "overdue": [c.check.id for c in member.overdue(today)],
                    "signed_off_by": member.signed_off_by,
                    "signed_off_on": member.year.signed_off_at.date()
                    if member.year.signed_off_at else None,
                    "not_required_reason": member.year.not_required_reason,
                    "submission_due": submission.deadline,
                    "submitted_on": submission.submitted.submitted_on
                    if submission.submitted else None})
    if as_json:
        print_json(lines)
        return
    table = Table("org", "year", "name", "role", "state", "checks", "overdue", "outcome",
                  "signed off")
    for line in lines:
        table.add_row(*(str(line[k]) for k in ("organisation", "year", "name", "role")),
                      str(line["state"]).replace("_", " "),
                      f"{line['checks_recorded']}/{line['checks_applicable']}",
                      str(len(line["overdue"] or ())), str(line["outcome"] or "").replace(
                          "_", " "),
                      f"{line['signed_off_on'] or ''} {line['signed_off_by'] or ''}".strip())
    out.print(table)


@fppt_app.command("record")
def record(
    email: str = typer.Argument(..., help="The board member's email."),
    check: str = typer.Option(..., "--check", help="The check's id (appraisal fppt checks "
                                                   "list)."),
    on: str = typer.Option(..., "--on", help="The date it was done."),
    outcome: str = typer.Option(..., "--outcome", help="clear, concern or not-applicable."),
    note: str = typer.Option("", "--note", help="What was found."),
    mitigation: str = typer.Option("", "--mitigation", help="For a concern: the mitigation."),
    evidence: str = typer.Option("", "--evidence", help="Where the evidence is kept."),
    evidence_file: Path | None = typer.Option(None, "--file", help="The evidence file to "
                                                                   "keep in the store."),
    org: str | None = typer.Option(None, "--org", help="The board (if on more than one)."),
    year: str | None = typer.Option(None, "--year", help="The year (the latest by default)."),
) -> None:
    """Record one check of a board member's FPPT (a new entry; corrections supersede)."""
    from appraisal_store.actors import Actor
    from appraisal_store.errors import ValidationFailed
    from appraisal_store.services.fppt import EvidenceFile, record_check
    from appraisal_store.services.fppt_years import find_year
    from appraisal_store.sessions import write_session

    day = parse_day(on, "--on")
    assert day is not None
    attached = None
    if evidence_file is not None:
        try:
            attached = EvidenceFile(evidence_file.name, evidence_file.read_bytes())
        except OSError as error:
            raise ValidationFailed(f"Cannot read {evidence_file}: {error.strerror}.") from error
    with write_session() as session:
        fppt = find_year(session, email=email, organisation_code=org, year=year)
        entry = record_check(session=session, actor=Actor.operator(),
                             fppt_year_id=fppt.id or 0, check_id=check, done_on=day,
                             outcome=outcome, today=date.today(), note=note,
                             mitigation=mitigation, evidence_reference=evidence,
                             evidence=attached)
        out.print(f"Recorded {entry.check_id} ({entry.outcome.label.lower()}) for {email}, "
                  f"{fppt.year}; the FPPT is {fppt.state.label.lower()}.")


def organisation_id_of(code: str) -> int:
    from sqlalchemy import select
    from sqlmodel import col

    from appraisal_store.models import Organisation
    from appraisal_store.sessions import read_session

    with read_session() as session:
        found: int = session.execute(select(col(Organisation.id)).where(
            col(Organisation.code) == code)).scalar_one()
    return found


def write_file(path: Path, content: bytes) -> None:
    from appraisal_store.errors import ValidationFailed

    try:
        path.write_bytes(content)
    except OSError as error:
        raise ValidationFailed(f"Cannot write {path}: {error.strerror}.") from error


@fppt_app.command("esr-export")
def esr_export(
    org: str = typer.Option(..., "--org", help="The organisation's ODS code."),
    year: str = typer.Option(..., "--year", help="The year, e.g. 2025/26."),
    output: Path = typer.Option(..., "-o", "--output", help="FILE.csv or FILE.xlsx."),
) -> None:
    """Each board member's FPPT fields as the Electronic Staff Record holds them (the
    columns as the checklist file lists them), as CSV or XLSX by the file's suffix."""
    from appraisal_store.errors import ValidationFailed
    from appraisal_store.exports import csv_bytes, xlsx_bytes
    from appraisal_store.fppt_exports import esr_sheet
    from appraisal_store.fppt_queries import board_year
    from appraisal_store.models import Organisation
    from appraisal_store.services.fppt_checklists import checklist_of
    from appraisal_store.sessions import read_session

    if output.suffix.lower() not in (".csv", ".xlsx"):
        raise ValidationFailed(f"-o {output}: name a .csv or an .xlsx file.")
    code = require_organisations([org])[0]
    label = _year(year, code)
    organisation_id = organisation_id_of(code)
    with read_session() as session:
        organisation = session.get(Organisation, organisation_id)
        members = board_year(session, organisation_id, label)
        assert organisation is not None and members
        sheet = esr_sheet(members, checklist_of(session, members[0].year.checklist_version_id),
                          organisation.name)
    write_file(output, csv_bytes(sheet) if output.suffix.lower() == ".csv"
           else xlsx_bytes([sheet]))
    out.print(f"Wrote {len(sheet.lines)} board members' FPPT fields to {output}.")


@fppt_app.command("submission")
def submission(
    org: str = typer.Option(..., "--org", help="The organisation's ODS code."),
    year: str = typer.Option(..., "--year", help="The year, e.g. 2025/26."),
    output: Path = typer.Option(..., "-o", "--output", help="FILE.pdf (the XLSX is written "
                                                            "beside it)."),
) -> None:
    """Write the chair's sealed annual FPPT submission (PDF, and its XLSX beside it). The
    chair makes it in the portal once every board member is signed off."""
    from appraisal_store.errors import NotFound, ValidationFailed
    from appraisal_store.fppt_queries import submission_state
    from appraisal_store.services.fppt_submissions import submission_gaps
    from appraisal_store.sessions import read_session

    if output.suffix.lower() != ".pdf":
        raise ValidationFailed(f"-o {output}: name a .pdf file.")
    code = require_organisations([org])[0]
    label = _year(year, code)
    organisation_id = organisation_id_of(code)
    with read_session() as session:
        made = submission_state(session, organisation_id, label)
        gaps = submission_gaps(session, organisation_id, label)
        pdf, xlsx = (made.submitted.pdf, made.submitted.xlsx) if made.submitted else (b"", b"")
        by = made.submitted.submitted_by_label if made.submitted else ""
        on = made.submitted.submitted_on if made.submitted else None
    if not pdf:
        if gaps:
            raise ValidationFailed(f"The {label} FPPT submission of {code} is not made yet; "
                                   "these board members are not signed off:", gaps)
        raise NotFound(f"The {label} FPPT submission of {code} is not made yet: the chair "
                       f"signs and makes it on the FPPT dashboard (due {made.deadline}).")
    write_file(output, pdf)
    write_file(output.with_suffix(".xlsx"), xlsx)
    out.print(f"Wrote the sealed submission made by {by} on {on} to {output} "
              f"(and {output.with_suffix('.xlsx').name}).")


def register(app: typer.Typer) -> None:
    app.add_typer(fppt_app, name="fppt")
