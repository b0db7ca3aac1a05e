"""``appraisal demo``: build the sample year from scratch in APPRAISAL_HOME and show it."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import typer

from .console import out

DEMO_MARKER = ".appraisal-demo"
YEAR = "2025/26"
OPENED_ON = date(2025, 12, 1)


def _prepare_home() -> Path:
    """Empty the demo's home, refusing to touch anything that is not a demo's."""
    from appraisal_store.config import settings
    from appraisal_store.database import reset_engines
    from appraisal_store.errors import NotADemoDatabase

    config = settings()
    if config.database_url:
        raise NotADemoDatabase(
            "The demo runs only on the embedded SQLite store; unset APPRAISAL_DATABASE_URL "
            "(it never touches a configured database).")
    home = config.home
    database = home / "appraisal.db"
    if database.exists() and not (home / DEMO_MARKER).exists():
        raise NotADemoDatabase(
            f"{home.resolve()} holds a database that the demo did not create; it is left "
            "alone. Point APPRAISAL_HOME at an empty folder to run the demo.")
    reset_engines()
    for name in ("appraisal.db", "appraisal.db-wal", "appraisal.db-shm"):
        (home / name).unlink(missing_ok=True)
    for folder in ("outbox", "records", "reports"):
        shutil.rmtree(home / folder, ignore_errors=True)
    home.mkdir(parents=True, exist_ok=True)
    (home / DEMO_MARKER).write_text("This folder holds the board-appraisal demo; "
                                    "'appraisal demo' rebuilds it.\n", encoding="utf-8")
    return home


REMINDER_DAYS = [date(2026, 1, 12), date(2026, 1, 21), date(2026, 1, 29), date(2026, 1, 30),
                 date(2026, 2, 6), date(2026, 2, 13), date(2026, 2, 20), date(2026, 3, 2)]
CLOSED_ON = date(2026, 4, 10)


def demo() -> None:
    """Build the demo: three boards and the 2025/26 cycle, driven by the Prefect flows."""
    from appraisal_store.actors import Actor
    from appraisal_store.config import settings
    from appraisal_store.database import read_session, write_session
    from appraisal_store.queries import completion_status
    from appraisal_store.schema import upgrade
    from appraisal_store.services.organisations import add_organisation
    from appraisal_store.services.people import import_people
    from flows.cycle import run_close_cycle, run_open_cycle
    from flows.outbox import run_send_outbox
    from flows.reminder_sweep import run_daily_reminders
    from flows.routing import run_route_appraisal
    from records.archive import export_all_complete
    from records.keys import ensure_deployment_seal

    from . import demo_scenario as scenario
    from .demo_boards import ORGANISATIONS, PEOPLE_CSV
    from .reporting import print_opened, print_status

    home = _prepare_home()
    operator = Actor.operator()
    upgrade()
    ensure_deployment_seal()
    out.print(f"Building the demo in {home.resolve()}")
    with write_session() as session:
        for code, name, kind, region in ORGANISATIONS:
            add_organisation(session=session, actor=operator, code=code, name=name,
                             org_type=kind, region=region)
        imported = import_people(session=session, actor=operator, csv_text=PEOPLE_CSV)
    out.print(f"Seeded {len(ORGANISATIONS)} organisations and {imported.people_added} people.")

    out.print("[bold]1 December 2025[/]: the open_cycle flow opens 2025/26.")
    opened = run_open_cycle(year=YEAR, organisation_codes=[o[0] for o in ORGANISATIONS],
                            self_assessment_due=date(2026, 1, 30), review_due=date(2026, 2, 27),
                            sign_off_due=date(2026, 3, 31), today=OPENED_ON)
    print_opened(opened)

    out.print("[bold]January to March 2026[/]: directors self-assess, appraisers review, both "
              "sign; after each action the route_appraisal flow sends what follows.")
    appraisals = scenario.demo_appraisals()
    leaver = next(a for a in appraisals if a.appraisee.label == "Alan Whitfield")
    targets = scenario.plan_targets([a for a in appraisals if a.id != leaver.id])
    returned = next(a for a in appraisals if targets.get(a.id) is scenario.S.COMPLETE)
    for appraisal in appraisals:
        if appraisal.id in targets:
            scenario.advance(appraisal, targets[appraisal.id],
                             returned_once=appraisal.id == returned.id,
                             after_step=run_route_appraisal)
    scenario.withdraw_leaver(leaver.id, "Left the board on 31 January 2026; a board member "
                                        "reference is to be completed.")

    out.print("The daily_reminders flow runs on a simulated calendar: "
              + ", ".join(day.strftime("%d %b") for day in REMINDER_DAYS) + ".")
    reminders = sum(run_daily_reminders(today=day) for day in REMINDER_DAYS)
    sent = run_send_outbox()
    out.print(f"{reminders} reminders and escalations queued; the send_outbox flow delivered "
              f"{sent.sent} emails.")
    with read_session() as session:
        print_status(completion_status(session, year=YEAR, today=REMINDER_DAYS[-1]))

    out.print(f"[bold]{CLOSED_ON:%d %B %Y}[/]: the close_cycle flow marks what is overdue and "
              "writes the reports.")
    reports = run_close_cycle(year=YEAR, today=CLOSED_ON)
    exported = export_all_complete(settings().records_dir, viewer=operator)
    outbox = settings().outbox_dir
    out.print(f"Reports: {reports.folder.resolve()} ({len(reports.files)} files)")
    out.print(f"Sealed records: {len(exported)} exported to {settings().records_dir.resolve()}")
    out.print(f"Emails: {len(list(outbox.glob('*.eml')))} .eml files in {outbox.resolve()}")
    out.print("Check them: 'appraisal audit verify' and 'appraisal records verify FILE.pdf'. "
              "See it in the browser: 'appraisal serve', then sign in at /sign-in as, for "
              "example, margaret.okafor@riverside.example.nhs.uk (the link is printed).")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
