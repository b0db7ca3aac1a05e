"""``appraisal demo``: build the sample year from scratch in APPRAISAL_HOME and show it."""

from __future__ import annotations

import shutil
import socket
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer
from sqlmodel import col

from appraisal_store.actors import Actor
from appraisal_store.errors import AppraisalError

from . import demo_nhse
from .console import out

if TYPE_CHECKING:
    from sqlmodel import Session

DEMO_MARKER = ".appraisal-demo"
YEAR = "2025/26"
OPENED_ON = date(2025, 12, 1)


def _prepare_home() -> Path:
    """Empty the demo's home, refusing to touch anything that is not a demo's."""
    from appraisal_store.config import settings
    from appraisal_store.engines import reset_engines
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

PORTAL_HOST = "127.0.0.1"
PORTAL_PORT = 8000
PORT_TRIES = 20
# Long enough to read the demo's output and try each role in turn; each link still works
# once only.
DEMO_LINK_LIFETIME = timedelta(minutes=60)
DEMO_LINK_CLIENT = "appraisal demo"
DEMO_BOARD = "RXR"
REGIONAL_DIRECTOR = ("Amara Nwosu", "amara.nwosu@england.example.nhs.uk")
# The director whose appraisal still needs their work, and the appraiser with one waiting.
_DIRECTOR_STATES = ("in_preparation", "not_started", "returned")
_APPRAISER_STATES = ("submitted", "in_review", "signed_by_appraisee")


class DemoPortUnavailable(AppraisalError):
    """Every port the demo would serve the portal on is taken."""


def serves_portal(stdin: TextIO, stdout: TextIO) -> bool:
    """Whether the demo goes on to serve the portal: only for someone at a terminal (a
    script, CI or a test gets today's demo, which exits when the year is built)."""
    return _is_terminal(stdin) and _is_terminal(stdout)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def free_port(host: str = PORTAL_HOST, first: int = PORTAL_PORT, tries: int = PORT_TRIES) -> int:
    """``first``, or the next port after it that nothing listens on.

    Raises:
        DemoPortUnavailable: none of the ``tries`` ports from ``first`` is free.
    """
    for port in range(first, first + tries):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise DemoPortUnavailable(
        f"Ports {first} to {first + tries - 1} on {host} are all in use; the demo's data is "
        "built: serve it with 'appraisal portal --port N'.")


@dataclass(frozen=True)
class DemoSignIn:
    """One role's way into the demo's portal: a single-use sign-in link."""

    role: str
    name: str
    email: str
    link: str


def register_regional_director(session: Session, operator: Actor) -> None:
    """NHS England's regional director: registered to appraise the ICB's chair, and granted
    the national view (every board's status, never content)."""
    from appraisal_store.services.administrators import grant_administration
    from appraisal_store.services.appraisers import register_external_appraiser

    name, email = REGIONAL_DIRECTOR
    register_external_appraiser(
        session=session, actor=operator, organisation_code="QWE", email=email, name=name,
        roles=["chair"], reason="NHS England's regional director appraises the ICB's chair")
    grant_administration(session=session, actor=operator, email=email, national=True)
    demo_nhse.register_nhse_parties(session, operator, email)


def demo_people() -> list[tuple[str, int]]:
    """(role, person id) for one person of each role on the demo's boards.

    The administrator shown is NHS England's regional director, a national administrator
    (each board's chair and company secretary administer their own board).
    """
    from sqlalchemy import select

    from appraisal_store.models import Appointment, Appraisal, Organisation, Person
    from appraisal_store.sessions import read_session
    from appraisal_store.vocabulary import BoardRole

    def holder(session: object, board: str, role: BoardRole) -> int:
        return int(session.execute(  # type: ignore[attr-defined]  # a Session, passed as object
            select(col(Appointment.person_id)).join(
                Organisation, col(Organisation.id) == Appointment.organisation_id)
            .where(col(Organisation.code) == board, col(Appointment.role) == role,
                   col(Appointment.end_date).is_(None))
            .order_by(col(Appointment.id))).scalars().first())

    with read_session() as session:
        chair = holder(session, DEMO_BOARD, BoardRole.CHAIR)
        secretary = holder(session, DEMO_BOARD, BoardRole.COMPANY_SECRETARY)
        administrator = session.execute(select(col(Person.id)).where(
            col(Person.email) == REGIONAL_DIRECTOR[1])).scalar_one()
        board = session.execute(
            select(col(Appraisal.appraisee_id), col(Appraisal.appraiser_id), col(Appraisal.state))
            .join(Organisation, col(Organisation.id) == Appraisal.organisation_id)
            .where(col(Organisation.code) == DEMO_BOARD).order_by(col(Appraisal.id))).all()
    appraisers = [a for _, a, state in board if a not in (None, chair)
                  and state.value in _APPRAISER_STATES]
    appraisers += [a for _, a, _ in board if a not in (None, chair)]
    appraiser = appraisers[0]
    directors = [p for state_wanted in _DIRECTOR_STATES for p, _, state in board
                 if state.value == state_wanted and p not in (chair, appraiser, secretary)]
    return [("director", directors[0]), ("appraiser", appraiser), ("chair", chair),
            ("company secretary", secretary),
            ("national administrator (NHS England)", administrator)]


def demo_sign_in_links(*, base_url: str, now: datetime | None = None) -> list[DemoSignIn]:
    """A single-use sign-in link for each person of ``demo_people``, made in the store as
    the portal makes the emailed ones, valid for ``DEMO_LINK_LIFETIME``."""
    from appraisal_store.clock import utcnow
    from appraisal_store.models import Person
    from appraisal_store.sessions import write_session
    from portal.authentication import issue_sign_in_link

    moment = now or utcnow()
    links = []
    with write_session() as session:
        for role, person_id in demo_people():
            person = session.get(Person, person_id)
            assert person is not None
            links.append(DemoSignIn(role, person.name, person.email, issue_sign_in_link(
                session, person=person, base_url=base_url, now=moment,
                lifetime=DEMO_LINK_LIFETIME, client=DEMO_LINK_CLIENT)))
    return links


def serve_demo_portal() -> None:
    """Serve the portal on the demo's data, one worker, until Ctrl-C, after printing a
    sign-in link for each role."""
    import os

    from appraisal_store.config import settings
    from portal.server import run_portal

    port = free_port()
    base_url = f"http://{PORTAL_HOST}:{port}"
    # The portal's emails and the served host follow the port actually served.
    os.environ["APPRAISAL_BASE_URL"] = base_url
    settings.cache_clear()
    links = demo_sign_in_links(base_url=base_url)
    minutes = int(DEMO_LINK_LIFETIME.total_seconds() // 60)
    out.print(f"\n[bold]The portal[/] is at {base_url}/ on the demo's data. Sign in as each "
              f"role with these links (each works once, for {minutes} minutes; open it and "
              "press \"Sign in\"):")
    for sign_in in links:
        out.print(f"  [bold]{sign_in.role}[/]: {sign_in.name} <{sign_in.email}>")
        out.print(f"    {sign_in.link}", soft_wrap=True, highlight=False)
    out.print("For another link, ask for one at /sign-in: it is printed on this console "
              "(development only) and written to the outbox. Press Ctrl-C to stop.")
    try:
        run_portal(host=PORTAL_HOST, port=port, workers=1)
    except KeyboardInterrupt:
        pass
    out.print("The portal has stopped; 'make demo' builds the year afresh.")


def demo(
    serve: Annotated[bool | None, typer.Option(
        "--serve/--no-serve",
        help="Serve the portal on the demo's data afterwards (default: when run in a "
             "terminal).")] = None,
) -> None:
    """Build the demo: three boards and the 2025/26 cycle, driven by the Prefect flows."""
    from appraisal_store.config import settings
    from appraisal_store.queries import completion_status
    from appraisal_store.schema import upgrade
    from appraisal_store.services.organisations import add_organisation
    from appraisal_store.services.people import import_people
    from appraisal_store.sessions import read_session, write_session
    from flows.cycle import run_close_cycle, run_open_cycle
    from flows.outbox import run_send_outbox
    from flows.reminder_sweep import run_daily_reminders
    from flows.route_appraisal import run_route_appraisal
    from records.configured_seal import ensure_deployment_seal
    from records.pdf_export import export_all_complete

    from . import demo_scenario as scenario
    from .demo_boards import ORGANISATIONS, PEOPLE_CSV
    from .demo_fppt import run_demo_fppt
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
        register_regional_director(session, operator)
    out.print(f"Seeded {len(ORGANISATIONS)} organisations and {imported.people_added} people; "
              f"{REGIONAL_DIRECTOR[0]} (NHS England) sees every board's status.")

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
    run_demo_fppt(DEMO_BOARD, YEAR)

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
    demo_nhse.run_nhse_year(REGIONAL_DIRECTOR[1], run_route_appraisal)
    exported = export_all_complete(settings().records_dir, viewer=operator)
    outbox = settings().outbox_dir
    out.print(f"Reports: {reports.folder.resolve()} ({len(reports.files)} files)")
    out.print(f"Sealed records: {len(exported)} exported to {settings().records_dir.resolve()}")
    out.print(f"Emails: {len(list(outbox.glob('*.eml')))} .eml files in {outbox.resolve()}")
    out.print("Check them: 'appraisal audit verify' and 'appraisal records verify FILE.pdf'.")
    if serve if serve is not None else serves_portal(sys.stdin, sys.stdout):
        serve_demo_portal()
        return
    out.print("See it in the browser: run 'make demo' in a terminal (it serves the portal and "
              "prints a sign-in link for each role), or 'APPRAISAL_ENV=development appraisal "
              "serve', then sign in at /sign-in as, for example, "
              "margaret.okafor@riverside.example.nhs.uk (the link is printed on its console).")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
