"""``appraisal cycle open``, ``appraisal appraisals list`` and ``appraisal status``."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console, RenderableType
from rich.table import Table

from .arguments import organisation_codes, parse_day, require_cycle
from .console import out, print_json

if TYPE_CHECKING:
    from appraisal_store.queries import CompletionStatus
    from appraisal_store.services.cycles import OpenedCycle

__all__ = ["organisation_codes", "parse_day", "print_opened", "print_status", "register",
           "status_tables"]

cycle_app = typer.Typer(help="The year's appraisal cycle.", no_args_is_help=True)
appraisals_app = typer.Typer(help="Appraisals on the record.", no_args_is_help=True)


def opened_as_dict(opened: list[OpenedCycle]) -> dict[str, Any]:
    dates = opened[0].dates if opened else None
    return {"year": opened[0].year if opened else None,
            "dates": {"self_assessment_due": dates.self_assessment_due,
                      "review_due": dates.review_due,
                      "sign_off_due": dates.sign_off_due} if dates else None,
            "organisations": [{"code": r.organisation_code, "opened": r.created,
                               "deferred": r.deferred, "already_open": r.already_open,
                               "leavers_excluded": r.excluded_leavers,
                               "without_appraiser": r.without_appraiser} for r in opened]}


def print_opened(opened: list[OpenedCycle]) -> None:
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
    year: str = typer.Option(..., "--year", help=(
        "The performance year appraised, e.g. 2025/26 (1 April 2025 to 31 March 2026); "
        "NHS England's deadlines follow from it (30 June and 30 September 2026).")),
    org: str | None = typer.Option(None, "--org", help="One organisation's ODS code."),
    all_orgs: bool = typer.Option(False, "--all", help="Every organisation."),
    self_assessment_due: str | None = typer.Option(None, "--self-assessment-due"),
    review_due: str | None = typer.Option(None, "--review-due"),
    sign_off_due: str | None = typer.Option(None, "--sign-off-due"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Open the cycle: one appraisal per board appointment, invitations queued.

    The year is the performance year appraised: 2025/26 covers 1 April 2025 to 31 March
    2026, and NHS England wants ICB and NHS trust chairs' appraisals by 30 June 2026, their
    non-executive directors' by 30 September 2026. Dates that contradict it (before the
    year starts, after the last deadline, a sign-off due before the self-assessment) are
    refused. Runs the ``open_cycle`` flow in batches of organisations; safe to run again.
    """
    from appraisal_store.services.cycles import resolve_dates

    codes = organisation_codes(org, all_orgs)
    due = {"self_assessment_due": parse_day(self_assessment_due, "--self-assessment-due"),
           "review_due": parse_day(review_due, "--review-due"),
           "sign_off_due": parse_day(sign_off_due, "--sign-off-due")}
    resolve_dates(year, **due)  # bad dates and codes are refused before Prefect starts
    from flows.cycle import run_open_cycle

    from .cycle_flows import progress_bar

    with progress_bar("Opening organisations", len(codes), hidden=as_json):
        opened = run_open_cycle(year=year, organisation_codes=codes, **due)
    if as_json:
        print_json(opened_as_dict(opened))
        return
    print_opened(opened)


@cycle_app.command("close")
def close(
    year: str = typer.Option(..., "--year", help="The financial year, e.g. 2025/26."),
    org: str | None = typer.Option(None, "--org", help="One organisation's ODS code."),
    all_orgs: bool = typer.Option(False, "--all", help="Every organisation."),
    today: str | None = typer.Option(None, "--today", help="Judge overdue as of this date."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Close the cycle: mark what is overdue, write the completion reports and the NHS
    England submission list."""
    codes = organisation_codes(org, all_orgs)
    year = require_cycle(year, org) or year
    day = parse_day(today, "--today")
    from flows.cycle import run_close_cycle

    from .cycle_flows import progress_bar

    with progress_bar("Writing reports", len(codes), hidden=as_json):
        reports = run_close_cycle(year=year, organisation_codes=codes, today=day)
    if as_json:
        print_json({"year": year, "newly_overdue": reports.newly_overdue,
                    "organisations": reports.organisations,
                    "submissions_due": reports.submissions_due, "folder": reports.folder,
                    "files": sorted(str(path) for path in reports.files),
                    "stored": sorted(reports.stored)})
        return
    where = (f"in {reports.folder} and " if reports.files else "") + \
        "in the store (`appraisal reports list`)"
    out.print(f"Marked {reports.newly_overdue} appraisals overdue. Reports for "
              f"{reports.organisations} organisations and the NHS England submission list "
              f"({reports.submissions_due} forms due) are {where}.")


@appraisals_app.command("list")
def list_(
    cycle: str | None = typer.Option(None, "--cycle", help="The year, e.g. 2025/26."),
    org: str | None = typer.Option(None, "--org", help="One organisation's ODS code."),
    state: str | None = typer.Option(None, "--state", help="Only appraisals in this state."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List appraisals with their state, appraiser and dates (never their content)."""
    from appraisal_store.queries import appraisal_rows
    from appraisal_store.sessions import read_session
    from appraisal_store.vocabulary import AppraisalState

    try:
        wanted = AppraisalState(state) if state else None
    except ValueError as error:
        raise typer.BadParameter(
            f"'{state}' is not a state; use one of: " + ", ".join(s.value for s in AppraisalState),
            param_hint="--state") from error
    today = date.today()
    year = require_cycle(cycle, org)
    with read_session() as session:
        rows = appraisal_rows(session, year=year, organisation_code=org, state=wanted)
    if as_json:
        print_json([r.as_dict(today) for r in rows])
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
    from appraisal_store.queries import completion_status
    from appraisal_store.sessions import read_session

    year = require_cycle(cycle, org)
    day = parse_day(today, "--today")
    with read_session() as session:
        result = completion_status(session, year=year, organisation_code=org, today=day)
    if as_json:
        print_json(result.as_dict())
        return
    print_status(result)


def _cell_width(values: list[str], *, tight: bool) -> int:
    """A column's width: its longest value, or (tight) its longest word, so that a
    header wraps between words and never inside one."""
    if tight:
        return max(len(word) for value in values for word in value.split() or [""])
    return max(len(value) for value in values)


def _table_width(widths: list[int]) -> int:
    return sum(widths) + 3 * len(widths) + 1  # a border and two spaces a column, one edge


def _table(title: str | None, headers: list[str], widths: list[int],
           rows: list[list[str]], *, total_row: list[str] | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    for index, (header, width) in enumerate(zip(headers, widths, strict=True)):
        table.add_column(header, width=width, justify="left" if index == 0 else "right",
                         overflow="fold")
    for row in rows:
        table.add_row(*row)
    if total_row:
        table.add_section()
        table.add_row(*total_row, style="bold")
    return table


def status_tables(result: CompletionStatus, width: int) -> list[RenderableType]:
    """The completion status laid out for a terminal ``width`` columns wide.

    A row per organisation and a column per state when that fits (headers wrapped between
    words if need be); otherwise turned round, a row per state and a column per
    organisation, in as many tables as it takes. Either way no line is wider than the
    terminal and no word is cut. The organisations' names follow, wrapped between words.
    """
    from appraisal_store.vocabulary import AppraisalState

    states = [s for s in AppraisalState if s.value in result.by_state]
    title = f"Appraisal cycle {result.cycle or '(none open)'}"
    headers = ["org", *[s.label for s in states], "total", "overdue"]
    lines = [[o.code, *[str(o.by_state.get(s.value, 0)) for s in states], str(o.total),
              str(o.overdue)] for o in result.organisations]
    all_line = ["All", *[str(result.by_state.get(s.value, 0)) for s in states],
                str(result.total), str(result.overdue)]
    renderables: list[RenderableType] = []
    for tight in (False, True):
        widths = [max(_cell_width([h], tight=tight), *(len(line[i]) for line in
                                                        [*lines, all_line]))
                  for i, h in enumerate(headers)]
        if _table_width(widths) <= width:
            renderables.append(_table(title, headers, widths, lines, total_row=all_line))
            break
    else:
        row_labels = [*[s.label for s in states], "total", "overdue"]
        columns = [("All", all_line[1:]), *[(line[0], line[1:]) for line in lines]]
        label_width = _cell_width(["state", *row_labels], tight=False)
        if _table_width([label_width, *(max(len(c), *map(len, v)) for c, v in columns[:2])]) \
                > width:
            label_width = _cell_width(["state", *row_labels], tight=True)
        chunk: list[tuple[str, list[str]]] = []
        chunks: list[list[tuple[str, list[str]]]] = []
        for column in columns:
            trial = [*chunk, column]
            needed = _table_width([label_width, *(max(len(c), *map(len, v)) for c, v in trial)])
            if chunk and needed > width:
                chunks.append(chunk)
                trial = [column]
            chunk = trial
        chunks.append(chunk)
        for number, part in enumerate(chunks):
            widths = [label_width, *(max(len(c), *map(len, v)) for c, v in part)]
            rows = [[label, *(values[i] for _, values in part)]
                    for i, label in enumerate(row_labels)]
            renderables.append(_table(title if number == 0 else None,
                                      ["state", *(code for code, _ in part)], widths, rows))
    names = Table.grid(padding=(0, 2))
    names.add_column(no_wrap=True)
    names.add_column(overflow="fold")
    for org in result.organisations:
        names.add_row(f"  {org.code}", org.name)
    renderables.append(names)
    return renderables


def print_status(result: CompletionStatus, console: Console | None = None) -> None:
    """Print the completion status to fit the console's width (``status_tables``)."""
    console = console or out
    for renderable in status_tables(result, console.width):
        console.print(renderable)


def register(app: typer.Typer) -> None:
    app.add_typer(cycle_app, name="cycle")
    app.add_typer(appraisals_app, name="appraisals")
    app.command("status")(status)
