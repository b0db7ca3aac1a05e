"""``appraisal feedback open|status|close`` and ``appraisal feedback form import|show``.

Opening goes through the ``open_feedback_rounds`` flow in batches of appraisals (a whole
cycle at an organisation, or one appraisal); status shows counts and response rates, never
an answer; close stops the links and makes the summaries available.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .arguments import parse_day
from .console import out, print_json

feedback_app = typer.Typer(help="Multi-source feedback rounds.", no_args_is_help=True)
form_app = typer.Typer(help="The stakeholder feedback form.", no_args_is_help=True)


def _appraisal_ids(appraisal: int | None, year: str | None, org: str | None) -> list[int]:
    from appraisal_store.errors import NotFound, ValidationFailed
    from flows.feedback import cycle_appraisal_ids

    from .arguments import require_appraisal

    if (appraisal is None) == (year is None):
        raise ValidationFailed("Give either --appraisal ID or --cycle YEAR (with --org CODE "
                               "for one organisation).")
    if appraisal is not None:
        return [require_appraisal(appraisal)]
    ids = cycle_appraisal_ids(year=year or "", organisation_codes=[org] if org else None)
    if not ids:
        raise NotFound(f"There is no open appraisal in the {year} cycle"
                       f"{f' at {org.upper()}' if org else ''}.")
    return ids


@feedback_app.command("open")
def open_(
    appraisal: int | None = typer.Option(None, "--appraisal", help="One appraisal's id."),
    cycle: str | None = typer.Option(None, "--cycle", help="Every open appraisal of the year, "
                                                           "e.g. 2025/26."),
    org: str | None = typer.Option(None, "--org", help="With --cycle: one organisation."),
    closes: str | None = typer.Option(None, "--closes", help="The closing date (YYYY-MM-DD); "
                                      "by default two weeks before the review is due, at "
                                      "least three weeks from today."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Open feedback rounds; each appraisee's board colleagues are asked. Safe to re-run."""
    from datetime import date

    from appraisal_store.errors import ValidationFailed

    closes_on = parse_day(closes, "--closes")
    if closes_on is not None and closes_on < date.today():
        raise ValidationFailed(f"--closes: {closes_on} is in the past. No round was opened.")
    ids = _appraisal_ids(appraisal, cycle, org)
    from flows.feedback import run_open_feedback_rounds

    from .cycle_flows import progress_bar

    with progress_bar("Opening feedback rounds", len(ids), hidden=as_json):
        opened = run_open_feedback_rounds(appraisal_ids=ids, closes_on=closes_on)
    if as_json:
        print_json(vars(opened))
        return
    out.print(f"Opened {opened.opened} feedback rounds ({opened.already_open} already open); "
              f"{opened.invited} invitations queued. Send them with 'appraisal outbox send'.")


@feedback_app.command("status")
def status(
    cycle: str | None = typer.Option(None, "--cycle", help="Only this year's rounds."),
    org: str | None = typer.Option(None, "--org", help="Only this organisation."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Rounds opened, closed and overdue, and response rates (counts only, no answers)."""
    from datetime import date

    from appraisal_store.feedback_status import round_counts
    from appraisal_store.sessions import read_session

    with read_session() as session:
        rows = round_counts(session, today=date.today(), year=cycle,
                            organisation_code=org)
    if as_json:
        print_json([vars(r) for r in rows])
        return
    table = Table("Organisation", "Rounds", "Open", "Closed", "Overdue", "Asked", "Answered",
                  "Response rate")
    for r in rows:
        table.add_row(r.organisation_code, str(r.rounds), str(r.open), str(r.closed),
                      str(r.overdue), str(r.asked), str(r.answered), r.response_rate)
    out.print(table if rows else "No feedback rounds yet.")


@feedback_app.command("close")
def close(
    appraisal: int | None = typer.Option(None, "--appraisal", help="One appraisal's id."),
    cycle: str | None = typer.Option(None, "--cycle", help="Every round of the year."),
    org: str | None = typer.Option(None, "--org", help="With --cycle: one organisation."),
    due: bool = typer.Option(False, "--due", help="Every round whose closing date passed."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Close rounds: links stop working, unsent drafts are deleted, summaries appear."""
    from datetime import date

    from appraisal_store.actors import Actor
    from appraisal_store.clock import utcnow
    from appraisal_store.services.feedback import close_rounds, due_round_appraisal_ids
    from appraisal_store.sessions import read_session, write_session

    if due:
        with read_session() as session:
            ids = due_round_appraisal_ids(session, date.today())
    else:
        ids = _appraisal_ids(appraisal, cycle, org)
    with write_session() as session:
        closed = close_rounds(session=session, actor=Actor.operator(), appraisal_ids=ids,
                              now=utcnow())
    if as_json:
        print_json({"closed": closed})
        return
    out.print(f"Closed {closed} feedback rounds.")


@form_app.command("import")
def import_form(file: Path = typer.Argument(..., help="A feedback form YAML file.")) -> None:
    """Add a version of the feedback form; rounds already open keep the one they pinned."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.feedback_forms import import_feedback_form
    from appraisal_store.sessions import write_session

    with write_session() as session:
        stored = import_feedback_form(session=session, actor=Actor.operator(), path=file)
    out.print(f"Imported {stored.name} version {stored.version} "
              f"(hash {stored.content_hash[:12]}); new rounds will use it.")


@form_app.command("show")
def show_form(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the current feedback form: groups, variants and statements."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.feedback_forms import current_feedback_form, form_of
    from appraisal_store.sessions import write_session

    with write_session() as session:
        form = form_of(current_feedback_form(session, Actor.operator()))
    if as_json:
        print_json(form.to_dict())
        return
    out.print(f"[bold]{form.name}[/] (version {form.version})")
    out.print("Groups: " + ", ".join(g.name for g in form.groups))
    for variant in form.variants:
        table = Table(title=f"{variant.name}: {', '.join(variant.for_roles)}; "
                            f"{variant.respondents} respondents", title_justify="left",
                      show_header=False)
        for domain in variant.domains:
            for statement in domain.statements:
                table.add_row(statement.id, statement.text)
        out.print(table)


def register(app: typer.Typer) -> None:
    feedback_app.add_typer(form_app, name="form")
    app.add_typer(feedback_app, name="feedback")
