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
from .operations import check_start_up
from .prefect_console import restore_prefect_console

outbox_app = typer.Typer(help="Messages waiting to be sent.", no_args_is_help=True)
flows_app = typer.Typer(help="The Prefect flows that carry the year.", no_args_is_help=True)


@contextmanager
def progress_bar(description: str, total: int | None, *, hidden: bool = False
                 ) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar fed by the flows' ``report_progress`` (units of work done);
    ``hidden`` (under ``--json``) keeps stdout for the one JSON document."""
    from flows.progress import progress_to

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=out, transient=True, disable=hidden) as progress:
        bar = progress.add_task(description, total=total)

        def advance(done: int) -> None:
            progress.advance(bar, done)

        with progress_to(advance):
            yield advance


def _mail_destination() -> str:
    """Where the outbox goes: the SMTP server (without any password in its URL) or the
    folder of .eml files."""
    from urllib.parse import urlsplit

    from appraisal_store.config import settings

    url = settings().smtp_url
    if not url:
        return str(settings().outbox_dir)
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '127.0.0.1'}:{parts.port or 25}"


def _reasons(reasons: dict[str, int]) -> str:
    return "; ".join(f"{reason} ({number})" for reason, number in
                     sorted(reasons.items(), key=lambda item: -item[1]))


def send_outbox_now(*, as_json: bool = False, **more: object) -> None:
    """Run ``send_outbox`` once and say what happened (as JSON, with ``more`` keys): sent,
    deferred with the reasons, failed for good with the server's answers. Exits 1 when the
    server could not be reached and nothing was sent."""
    from flows.delivery import pending_count
    from flows.outbox import run_send_outbox

    with progress_bar("Sending messages", pending_count() or None, hidden=as_json):
        report = run_send_outbox()
    where = _mail_destination()
    unreachable = report.server_down and report.sent == 0
    if as_json:
        print_json({**more, "sent": report.sent, "failed": report.failed,
                    "deferred": report.deferred, "server_down": report.server_down,
                    "still_queued": pending_count(), "to": where,
                    "deferred_reasons": dict(report.deferred_reasons),
                    "failures": [{"to": to, "answer": answer}
                                 for to, answer in report.failures]})
    else:
        out.print(f"Sent {report.sent} messages to {where}; {pending_count()} still queued.")
        if report.deferred:
            out.print(f"Deferred {report.deferred}, retried with backoff: "
                      f"{_reasons(report.deferred_reasons)}.", markup=False)
        if report.failed:
            out.print(f"Failed {report.failed} for good, not retried (see 'appraisal outbox "
                      "status' and the company secretary's dashboard):")
            for to, answer in report.failures:
                out.print(f"  - {to}: {answer}", markup=False)
        if report.server_down:
            out.print(f"The mail server at {where} could not be reached: the rest stay "
                      "queued and are retried with backoff.")
    if unreachable:
        raise typer.Exit(1)


@outbox_app.command("send")
def outbox_send(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Send every due message once (SMTP when APPRAISAL_SMTP_URL is set, else .eml files)."""
    check_start_up(seal=False, smtp=True)
    send_outbox_now(as_json=as_json)


@outbox_app.command("status")
def outbox_status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """How the outbox stands, and the messages the mail server refused for good."""
    from appraisal_store.clock import utcnow
    from appraisal_store.services.outbox import outbox_summary, undelivered_messages
    from appraisal_store.sessions import read_session

    with read_session() as session:
        summary = outbox_summary(session, now=utcnow())
        undelivered = undelivered_messages(session, limit=1000)
    if as_json:
        print_json({"due": summary.due, "backing_off": summary.backing_off,
                    "sent": summary.sent, "undeliverable": summary.undeliverable,
                    "last_errors": summary.last_errors,
                    "undelivered": [{"id": m.id, "template": m.template,
                                     "to": m.recipient_email, "name": m.recipient_name,
                                     "appraisal_id": m.appraisal_id,
                                     "failed_at": m.failed_at.isoformat(),
                                     "answer": m.answer} for m in undelivered]})
        return
    out.print(f"{summary.due} due now, {summary.backing_off} waiting to be retried, "
              f"{summary.sent} sent, {summary.undeliverable} could not be delivered.")
    if summary.last_errors:
        out.print(f"Why the queued ones last failed: {_reasons(summary.last_errors)}.",
                  markup=False)
    if undelivered:
        out.print("Could not be delivered (the mail server refused them; not retried):")
        for message in undelivered:
            about = f", appraisal {message.appraisal_id}" if message.appraisal_id else ""
            out.print(f"  - {message.failed_at:%Y-%m-%d %H:%M} {message.recipient_name} "
                      f"<{message.recipient_email}> ({message.template}{about}): "
                      f"{message.answer}", markup=False)


def remind(
    today: str | None = typer.Option(None, "--today", help="Run the sweep as of this date."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Queue today's reminders and escalations, then send the outbox once."""
    from datetime import date

    check_start_up(seal=False, smtp=True)

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
    check_start_up(seal=True, smtp=True)
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
    check_start_up(seal=True, smtp=True)
    from flows.deployments import run_worker

    run_worker(work_pool=pool, name=name, limit=limit or None)


@flows_app.command("route")
def flows_route(
    appraisal_id: int = typer.Argument(..., help="The appraisal's id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Do what follows a person's action on one appraisal and send its messages now."""
    require_appraisal(appraisal_id)
    from flows.route_appraisal import run_route_appraisal

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
    check_start_up(seal=True)
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

    check_start_up(seal=True, smtp=True)
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
