"""``appraisal submissions status|build|download|sent`` and ``appraisal cycle mid-year-review``: the
NHS England hand-over and the year of objectives, for an operator at the command line (the
company secretary does the same in the portal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from .arguments import parse_day
from .console import out, print_json, show_error, show_success
from .reporting import cycle_app

submissions_app = typer.Typer(
    help="Submissions to NHS England: per deadline what is due, endorsed, in a pack and "
         "sent; build a pack; record it sent.", no_args_is_help=True)


def _organisation_id(code: str) -> int:
    from sqlmodel import col, select

    from appraisal_store.errors import NotFound
    from appraisal_store.models import Organisation
    from appraisal_store.sessions import read_session

    with read_session() as session:
        found = session.execute(select(col(Organisation.id)).where(
            col(Organisation.code) == code.strip().upper())).scalar_one_or_none()
    if found is None:
        raise NotFound(f"There is no organisation with the code '{code}'.")
    return int(found)


@submissions_app.command("status")
def status(org: str = typer.Option(..., "--org", help="The organisation's ODS code."),
           as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Per NHS England deadline: due, endorsed, in a pack, sent."""
    from appraisal_store.services.submissions import deadline_statuses
    from appraisal_store.sessions import read_session

    organisation_id = _organisation_id(org)
    with read_session() as session:
        statuses = deadline_statuses(session, [organisation_id])
        packs = [[(p.id, p.filename, p.sent_on) for p in s.packs] for s in statuses]
    rows: list[dict[str, Any]] = [
        {"deadline": s.deadline.isoformat(), "due": len(s.due), "endorsed": s.endorsed,
         "in_pack": s.in_pack, "sent": s.sent,
         "packs": [{"id": i, "file": f, "sent_on": d.isoformat() if d else None}
                   for i, f, d in p]}
        for s, p in zip(statuses, packs, strict=True)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print(f"{org.upper()} submits nothing to NHS England: its appraisals are held "
                  "locally.")
        return
    table = Table("deadline", "due", "endorsed", "in a pack", "sent", "packs")
    for row in rows:
        table.add_row(row["deadline"], str(row["due"]), str(row["endorsed"]),
                      str(row["in_pack"]), str(row["sent"]),
                      # The pack's number (what download and sent take) fits 80 columns;
                      # its file name is in --json.
                      ", ".join(f"{p['id']} (sent {p['sent_on']})" if p["sent_on"]
                                else f"{p['id']} (not sent)" for p in row["packs"]))
    out.print(table)


@submissions_app.command("build")
def build(org: str = typer.Option(..., "--org", help="The organisation's ODS code."),
          deadline: str = typer.Option(..., "--deadline", help="The NHS England deadline, "
                                       "e.g. 2026-06-30."),
          to: Path | None = typer.Option(None, "--to", help="Also write the zip here.")
          ) -> None:
    """Build the submission pack of the records due by the deadline (audited)."""
    from appraisal_store.actors import Actor
    from appraisal_store.clock import utcnow
    from appraisal_store.services.submissions import build_submission_pack
    from appraisal_store.sessions import write_session

    day = parse_day(deadline, "--deadline")
    assert day is not None
    organisation_id = _organisation_id(org)
    with write_session() as session:
        pack = build_submission_pack(session=session, actor=Actor.operator(),
                                     organisation_id=organisation_id, deadline=day,
                                     now=utcnow())
        pack_id, filename, content = pack.id, pack.filename, pack.content
    if to is not None:
        to.write_bytes(content)
    show_success(f"Pack {pack_id} built: {filename}" + (f", written to {to}" if to else "")
                 + ".")


@submissions_app.command("download")
def download(
    pack: int | None = typer.Argument(None, help="The pack's number (see status); or name "
                                      "the organisation and deadline for its newest pack."),
    org: str | None = typer.Option(None, "--org", help="The organisation's ODS code."),
    deadline: str | None = typer.Option(None, "--deadline", help="The NHS England deadline, "
                                        "e.g. 2026-06-30."),
    output: Path = typer.Option(..., "--output", "-o", help="The zip file to write."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Write a stored submission pack (by number, or the newest for an organisation and
    deadline) to a file; the download is audited as a view of each record in it."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.submission_downloads import download_pack, latest_pack_id
    from appraisal_store.sessions import write_session

    if (pack is None) == (org is None and deadline is None) or (pack is None and (
            org is None or deadline is None)):
        raise typer.BadParameter("name a pack's number, or both --org and --deadline",
                                 param_hint="PACK")
    day = parse_day(deadline, "--deadline") if deadline is not None else None
    organisation_id = _organisation_id(org) if org is not None else None
    with write_session() as session:
        if pack is None:
            assert org is not None and day is not None and organisation_id is not None
            pack = latest_pack_id(session, organisation_id=organisation_id,
                                  organisation_code=org.strip().upper(), deadline=day)
        found = download_pack(session=session, actor=Actor.operator(), pack_id=pack)
        content, filename, sha256 = found.content, found.filename, found.sha256
    try:
        output.write_bytes(content)
    except OSError as error:
        show_error(f"Cannot write {output}: {error.strerror or error}.")
        raise typer.Exit(1) from error
    if as_json:
        print_json({"pack": pack, "file": filename, "sha256": sha256, "path": str(output)})
        return
    show_success(f"Pack {pack} ({filename}, SHA-256 {sha256}) written to {output}.")


@submissions_app.command("sent")
def sent(pack: int = typer.Argument(..., help="The pack's number (see status)."),
         on: str = typer.Option(..., "--on", help="The day it was sent, e.g. 2026-06-16."),
         channel: str = typer.Option(..., "--channel", help="How it was sent.")) -> None:
    """Record the pack as sent; its appraisals move to submitted to NHS England."""
    from appraisal_store.actors import Actor
    from appraisal_store.clock import utcnow
    from appraisal_store.services.submissions import mark_pack_sent
    from appraisal_store.sessions import write_session

    day = parse_day(on, "--on")
    assert day is not None
    now = utcnow()
    with write_session() as session:
        mark_pack_sent(session=session, actor=Actor.operator(), pack_id=pack, sent_on=day,
                       channel=channel, today=now.date(), now=now)
    show_success(f"Pack {pack} recorded as sent on {day.isoformat()} ({channel.strip()}).")


@cycle_app.command("mid-year-review")
def mid_year_review(
    org: str = typer.Option(..., "--org", help="The organisation's ODS code."),
    year: str = typer.Option(..., "--year", help="The cycle whose agreed objectives are "
                             "reviewed, e.g. 2025/26."),
    due: str = typer.Option(..., "--due", help="The mid-year review's date, e.g. "
                            "2026-10-31 (in the year the objectives run for)."),
) -> None:
    """Set the date of the mid-year review of the objectives the cycle agreed (both
    parties are reminded in the fortnight before it)."""
    from appraisal_store.actors import Actor
    from appraisal_store.services.check_ins import set_mid_year_review_date
    from appraisal_store.sessions import write_session

    day = parse_day(due, "--due")
    assert day is not None
    with write_session() as session:
        set_mid_year_review_date(session=session, actor=Actor.operator(),
                                 organisation_code=org, year=year, due=day)
    show_success(f"{org.upper()}'s {year} objectives are due their mid-year review by "
                 f"{day.isoformat()}.")


def register(app: typer.Typer) -> None:
    app.add_typer(submissions_app, name="submissions")
