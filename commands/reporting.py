"""``appraisal cycle open``, ``appraisal appraisals list`` and ``appraisal status``."""

from __future__ import annotations

import json
from datetime import date

import typer
from rich.table import Table

from .console import out

cycle_app = typer.Typer(help="The year's appraisal cycle.", no_args_is_help=True)
appraisals_app = typer.Typer(help="Appraisals on the record.", no_args_is_help=True)


def parse_day(value: str | None, option: str) -> date | None:
    from appraisal_store.errors import ValidationFailed
    from appraisal_store.services.people import parse_date

    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as error:
        raise ValidationFailed(f"{option}: {error}.") from error


def organisation_codes(org: str | None, all_orgs: bool) -> list[str]:
    """The organisations a command covers: one by code, or every one with --all."""
    from sqlalchemy import select

    from appraisal_store.database import read_session
    from appraisal_store.models import Organisation

    if bool(org) == all_orgs:
        raise typer.BadParameter("give either --org CODE or --all", param_hint="--org / --all")
    if org:
        return [org.strip().upper()]
    with read_session() as session:
        return list(session.execute(select(Organisation.code).order_by(Organisation.code))
                    .scalars())


def print_opened(opened: list) -> None:  # type: ignore[type-arg]
    if not opened:
        out.print("No organisations: add them with 'appraisal org add'.")
        return
    dates = opened[0].dates
    out.print(f"Cycle {opened[0].year}: self-assessment due {dates.self_assessment_due}, "
              f"review due {dates.review_due}, sign-off due {dates.sign_off_due}.")
    table = Table("organisation", "opened", "deferred", "already open", "leavers excluded",
                  "without appraiser")
    for result in opened:
        table.add_row(result.organisation_code, str(result.created), str(result.deferred),
                      str(result.already_open), str(result.excluded_leavers),
                      str(result.without_appraiser))
    out.print(table)


@cycle_app.command("open")
def open_(
    year: str = typer.Option(..., "--year", help="The financial year, e.g. 2025/26."),
    org: str | None = typer.Option(None, "--org", help="One organisation's ODS code."),
    all_orgs: bool = typer.Option(False, "--all", help="Every organisation."),
    self_assessment_due: str | None = typer.Option(None, "--self-assessment-due"),
    review_due: str | None = typer.Option(None, "--review-due"),
    sign_off_due: str | None = typer.Option(None, "--sign-off-due"),
) -> None:
    """Open the cycle: one appraisal per board appointment, invitations queued.

    Runs the ``open_cycle`` flow in batches of organisations; safe to run again.
    """
    from appraisal_store.services.cycles import resolve_dates
    from flows.cycle import run_open_cycle

    from .cycle_flows import progress_bar

    codes = organisation_codes(org, all_orgs)
    due = {"self_assessment_due": parse_day(self_assessment_due, "--self-assessment-due"),
           "review_due": parse_day(review_due, "--review-due"),
           "sign_off_due": parse_day(sign_off_due, "--sign-off-due")}
    resolve_dates(year, **due)  # a bad date is refused before Prefect starts
    with progress_bar("Opening organisations", len(codes)):
        opened = run_open_cycle(year=year, organisation_codes=codes, **due)
    print_opened(opened)


@cycle_app.command("close")
def close(
    year: str = typer.Option(..., "--year", help="The financial year, e.g. 2025/26."),
    org: str | None = typer.Option(None, "--org", help="One organisation's ODS code."),
    all_orgs: bool = typer.Option(False, "--all", help="Every organisation."),
    today: str | None = typer.Option(None, "--today", help="Judge overdue as of this date."),
) -> None:
    """Close the cycle: mark what is overdue, write the completion reports and the NHS
    England submission list."""
    from appraisal_store.services.cycles import parse_year
    from flows.cycle import run_close_cycle

    from .cycle_flows import progress_bar

    parse_year(year)
    codes = organisation_codes(org, all_orgs)
    with progress_bar("Writing reports", len(codes)):
        reports = run_close_cycle(year=year, organisation_codes=codes,
                                  today=parse_day(today, "--today"))
    out.print(f"Marked {reports.newly_overdue} appraisals overdue. Reports for "
              f"{reports.organisations} organisations and the NHS England submission list "
              f"({reports.submissions_due} forms due) are in {reports.folder}")


@appraisals_app.command("list")
def list_(
    cycle: str | None = typer.Option(None, "--cycle", help="The year, e.g. 2025/26."),
    org: str | None = typer.Option(None, "--org", help="One organisation's ODS code."),
    state: str | None = typer.Option(None, "--state", help="Only appraisals in this state."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List appraisals with their state, appraiser and dates (never their content)."""
    from appraisal_store.database import read_session
    from appraisal_store.queries import appraisal_rows, latest_year
    from appraisal_store.vocabulary import AppraisalState

    try:
        wanted = AppraisalState(state) if state else None
    except ValueError as error:
        raise typer.BadParameter(
            f"'{state}' is not a state; use one of: " + ", ".join(s.value for s in AppraisalState),
            param_hint="--state") from error
    today = date.today()
    with read_session() as session:
        rows = appraisal_rows(session, year=cycle or latest_year(session),
                              organisation_code=org, state=wanted)
    if as_json:
        out.print_json(json.dumps([r.as_dict(today) for r in rows], ensure_ascii=False))
        return
    table = Table("id", "org", "appraisee", "role", "appraiser", "state", "due", "signed")
    for r in rows:
        due = r.current_due.isoformat() if r.current_due else ""
        if r.overdue(today):
            due += " (overdue)"
        signed = "/".join(x for x, ok in (("appraisee", r.signed_by_appraisee),
                                           ("appraiser", r.signed_by_appraiser)) if ok)
        table.add_row(str(r.id), r.organisation_code, r.appraisee_name, r.role.label,
                      r.appraiser_name or "(none)", r.state.label, due, signed)
    out.print(table)


def status(
    cycle: str | None = typer.Option(None, "--cycle", help="The year, e.g. 2025/26."),
    org: str | None = typer.Option(None, "--org", help="One organisation's ODS code."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    today: str | None = typer.Option(None, "--today", help="Judge overdue as of this date."),
) -> None:
    """Completion status: appraisals by state and overdue, per organisation."""
    from appraisal_store.database import read_session
    from appraisal_store.queries import completion_status

    with read_session() as session:
        result = completion_status(session, year=cycle, organisation_code=org,
                                   today=parse_day(today, "--today"))
    if as_json:
        out.print_json(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    print_status(result)


def print_status(result) -> None:  # type: ignore[no-untyped-def]
    """The completion table: a row per organisation (by code; names below), a column a state."""
    from appraisal_store.vocabulary import AppraisalState

    states = [s for s in AppraisalState if s.value in result.by_state]
    table = Table("org", *[s.label for s in states], "total", "overdue",
                  title=f"Appraisal cycle {result.cycle or '(none open)'}", title_justify="left")
    for org in result.organisations:
        table.add_row(org.code, *[str(org.by_state.get(s.value, 0)) for s in states],
                      str(org.total), str(org.overdue))
    table.add_section()
    table.add_row("All", *[str(result.by_state.get(s.value, 0)) for s in states],
                  str(result.total), str(result.overdue), style="bold")
    out.print(table)
    for org in result.organisations:
        out.print(f"  {org.code}  {org.name}")


def register(app: typer.Typer) -> None:
    app.add_typer(cycle_app, name="cycle")
    app.add_typer(appraisals_app, name="appraisals")
    app.command("status")(status)
