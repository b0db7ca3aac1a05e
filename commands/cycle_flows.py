"""``appraisal remind``, ``appraisal outbox send``, ``appraisal flows ...``, ``appraisal serve``.

Each runs a Prefect flow (a local temporary Prefect server starts when ``PREFECT_API_URL``
is unset) and shows a progress bar while it works.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .arguments import parse_day, require_appraisal
from .console import out, print_json
from .prefect_console import restore_prefect_console

outbox_app = typer.Typer(help="Messages waiting to be sent.", no_args_is_help=True)
flows_app = typer.Typer(help="The Prefect flows that carry the year.", no_args_is_help=True)


@contextmanager
def progress_bar(description: str, total: int | None, *, hidden: bool = False
                 ) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar fed by the flows' ``report_progress`` (units of work done);
    ``hidden`` (under ``--json``) keeps stdout for the one JSON document."""
    from flows.runtime import progress_to

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=out, transient=True, disable=hidden) as progress:
        bar = progress.add_task(description, total=total)

        def advance(done: int) -> None:
            progress.advance(bar, done)

        with progress_to(advance):
            yield advance


def send_outbox_now(*, as_json: bool = False, **more: object) -> None:
    """Run ``send_outbox`` once and say what happened (as JSON, with ``more`` keys)."""
    from appraisal_store.config import settings
    from flows.outbox import pending_count, run_send_outbox

    with progress_bar("Sending messages", pending_count() or None, hidden=as_json):
        report = run_send_outbox()
    where = settings().smtp_url or str(settings().outbox_dir)
    if as_json:
        print_json({**more, "sent": report.sent, "failed": report.failed,
                    "server_down": report.server_down, "still_queued": pending_count(),
                    "to": where})
        return
    out.print(f"Sent {report.sent} messages to {where}; {pending_count()} still queued.")
    if report.server_down:
        out.print("The mail server did not answer: the rest stay queued and are retried "
                  "with backoff.")
    elif report.failed:
        out.print(f"{report.failed} messages failed; they are retried with backoff.")


@outbox_app.command("send")
def outbox_send(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Send every due message once (SMTP when APPRAISAL_SMTP_URL is set, else .eml files)."""
    send_outbox_now(as_json=as_json)


def remind(
    today: str | None = typer.Option(None, "--today", help="Run the sweep as of this date."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Queue today's reminders and escalations, then send the outbox once."""
    from datetime import date

    day = parse_day(today, "--today")
    from flows.reminder_sweep import run_daily_reminders

    queued = run_daily_reminders(today=day)
    if as_json:
        send_outbox_now(as_json=True, today=day or date.today(), queued=queued)
        return
    out.print(f"Queued {queued} new reminders and escalations"
              f"{f' for {day.isoformat()}' if day else ''}.")
    send_outbox_now()


@flows_app.command("serve")
def flows_serve() -> None:
    """Serve the deployments: reminders daily at 08:00 Europe/London, the outbox every 5 min."""
    from flows.deployments import serve_deployments

    restore_prefect_console()  # a server's log is its sign of life

    serve_deployments()


@flows_app.command("deploy")
def flows_deploy(
    pool: str = typer.Option("appraisal", "--pool", help="The process work pool."),
    heartbeat: int = typer.Option(
        30, "--heartbeat", min=30,
        help="Seconds between a run's heartbeats (Prefect's least: 30)."),
    dead_after: int = typer.Option(
        90, "--dead-after", min=31,
        help="Seconds without a heartbeat after which a run's worker is taken for dead and "
             "the run is rescheduled."),
) -> None:
    """Register the deployments on the shared Prefect server's work pool (once a release)."""
    from datetime import timedelta

    from flows.deployments import deploy_deployments

    ids = deploy_deployments(work_pool=pool, heartbeat_seconds=heartbeat,
                             dead_after=timedelta(seconds=dead_after))
    out.print(f"Registered {len(ids)} deployments on the work pool {pool!r}; runs silent for "
              f"{dead_after} s are rescheduled. Start workers with `appraisal flows worker`.")


@flows_app.command("worker")
def flows_worker(
    pool: str = typer.Option("appraisal", "--pool", help="The process work pool."),
    name: str | None = typer.Option(None, "--name", help="This worker's name (unique)."),
    limit: int = typer.Option(0, "--limit", min=0,
                              help="Flow runs at once on this worker (0: no limit)."),
) -> None:
    """Run what the work pool schedules, on this machine, until stopped (Prefect's worker)."""
    from flows.deployments import run_worker

    run_worker(work_pool=pool, name=name, limit=limit or None)


@flows_app.command("route")
def flows_route(
    appraisal_id: int = typer.Argument(..., help="The appraisal's id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Do what follows a person's action on one appraisal and send its messages now."""
    require_appraisal(appraisal_id)
    from flows.routing import run_route_appraisal

    report = run_route_appraisal(appraisal_id)
    if as_json:
        print_json({"appraisal_id": appraisal_id, "sent": report.sent, "failed": report.failed,
                    "server_down": report.server_down})
        return
    out.print(f"Sent {report.sent} messages for appraisal {appraisal_id}.")


@flows_app.command("seal")
def flows_seal(
    limit: int = typer.Option(500, "--limit", help="Seal at most this many."),
    workers: int = typer.Option(
        0, "--workers", min=0,
        help="Worker processes that render and sign (default: one a core)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Seal the records both parties signed and tell the parties and company secretary."""
    from flows.sealing import run_seal_records
    from records.errors import SealingFailed

    try:
        sealed = run_seal_records(limit=limit, workers=workers or None)
    except SealingFailed as failed:
        if as_json:
            print_json({"sealed": sorted(failed.sealed), "failures": {
                str(key): why for key, why in sorted(failed.failures.items())}})
        else:
            out.print(f"Sealed {len(failed.sealed)} records; {failed.message}")
        raise typer.Exit(1) from failed
    if as_json:
        print_json({"sealed": sorted(sealed), "failures": {}})
        return
    out.print(f"Sealed {len(sealed)} records.")


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="The portal's address."),
    port: int = typer.Option(8000, "--port", help="The portal's port."),
    workers: int = typer.Option(0, "--workers", help="Portal processes (0: one per core)."),
) -> None:
    """Start everything: a local Prefect server (unless PREFECT_API_URL is set), the flows'
    schedules and the portal."""
    import atexit
    import subprocess
    import sys

    from flows.deployments import serve_stack

    restore_prefect_console()  # a server's log is its sign of life

    def start_portal() -> None:
        # Its own process (with its own workers): the flows' process stays the scheduler.
        portal = subprocess.Popen([sys.executable, "-m", "commands.main", "portal",
                                   "--host", host, "--port", str(port),
                                   "--workers", str(workers)])
        atexit.register(portal.terminate)

    out.print(f"Starting the flows' schedules and the portal on http://{host}:{port}/ ...")
    serve_stack(start_companions=start_portal)


def register(app: typer.Typer) -> None:
    app.command("remind")(remind)
    app.command("serve")(serve)
    app.add_typer(outbox_app, name="outbox")
    app.add_typer(flows_app, name="flows")
