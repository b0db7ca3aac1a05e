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


def demo() -> None:
    """Build the demo: three boards, the 2025/26 cycle, a realistic spread of progress."""
    from appraisal_store.actors import Actor
    from appraisal_store.database import read_session, write_session
    from appraisal_store.queries import completion_status
    from appraisal_store.schema import upgrade
    from appraisal_store.services.cycles import CycleDates, open_cycles
    from appraisal_store.services.organisations import add_organisation
    from appraisal_store.services.people import import_people

    from . import demo_scenario as scenario
    from .demo_boards import ORGANISATIONS, PEOPLE_CSV
    from .reporting import print_opened, print_status

    home = _prepare_home()
    operator = Actor.operator()
    upgrade()
    out.print(f"Building the demo in {home.resolve()}")
    with write_session() as session:
        for code, name, kind, region in ORGANISATIONS:
            add_organisation(session=session, actor=operator, code=code, name=name,
                             org_type=kind, region=region)
        imported = import_people(session=session, actor=operator, csv_text=PEOPLE_CSV)
    out.print(f"Seeded {len(ORGANISATIONS)} organisations and {imported.people_added} people.")
    dates = CycleDates(date(2026, 1, 30), date(2026, 2, 27), date(2026, 3, 31))
    with write_session() as session:
        opened = open_cycles(session=session, actor=operator, year=YEAR,
                             organisation_codes=[o[0] for o in ORGANISATIONS], dates=dates,
                             today=OPENED_ON)
    print_opened(opened)

    appraisals = scenario.demo_appraisals()
    leaver = next(a for a in appraisals if a.appraisee.label == "Alan Whitfield")
    targets = scenario.plan_targets([a for a in appraisals if a.id != leaver.id])
    returned = next(a for a in appraisals if targets.get(a.id) is scenario.S.COMPLETE)
    for appraisal in appraisals:
        if appraisal.id in targets:
            scenario.advance(appraisal, targets[appraisal.id],
                             returned_once=appraisal.id == returned.id,
                             after_step=lambda _appraisal_id: None)
    scenario.withdraw_leaver(leaver.id, "Left the board on 31 January 2026; a board member "
                                        "reference is to be completed.")
    with read_session() as session:
        status = completion_status(session, year=YEAR, today=date(2026, 3, 2))
    print_status(status)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
