"""The ``appraisal`` command: thin wrappers that parse, call services and flows, and print.

Every command group lives in its own module; this one assembles them and turns errors into
messages: misuse exits 2 with the usage, rejected input exits 1 with the reason, and no
traceback ever reaches the user (an unexpected one is written to APPRAISAL_HOME/logs).
"""

from __future__ import annotations

import sys
import traceback
from datetime import datetime

import typer
from typer._click import exceptions as click_errors  # typer vendors click since 0.20
from typer.main import get_command

from appraisal_store.errors import AppraisalError, ValidationFailed
from competencies.errors import FrameworkError

from . import (
    administrators,
    audit,
    chair_routes,
    fppt_commands,
    frameworks,
    nhse_handover,
    operations,
    organisations,
    references_commands,
    reporting,
    setup,
)
from .console import out, show_error
from .prefect_console import quiet_prefect_console

app = typer.Typer(
    name="appraisal",
    help="Run the annual appraisal of NHS board directors against the Leadership Competency "
         "Framework.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _show_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("board-appraisal")
        except PackageNotFoundError:
            number = "unknown (not installed)"
        out.print(f"appraisal {number}")
        raise typer.Exit(0)


# Commands that make the store or need none: every other one first checks that the store
# is there and at this release's schema, so it fails with one sentence before it starts.
# "health" reports on the store itself (and what else the machine needs).
_WITHOUT_STORE = {"init", "demo", "framework", "health", None}


@app.callback()
def main(
    ctx: typer.Context,
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Also show Prefect's log lines and tracebacks."),
    version: bool = typer.Option(  # acted on by its callback
        False, "--version", is_eager=True, callback=_show_version,
        help="Print the version and exit."),
) -> None:
    """Run the annual appraisal of NHS board directors against the Leadership Competency
    Framework."""
    if not verbose:
        # Left quiet to the end of the process: Prefect also logs as it exits (stopping its
        # temporary server). The long-running servers restore it for themselves.
        quiet_prefect_console()
    from appraisal_store.logs import configure_logging

    configure_logging()
    if ctx.invoked_subcommand not in _WITHOUT_STORE:
        from appraisal_store.engines import check_store_before_use
        from appraisal_store.schema import require_current_store

        check_store_before_use(require_current_store)


setup.register(app)
frameworks.register(app)
organisations.register(app)
administrators.register(app)
chair_routes.register(app)
nhse_handover.register(app)
reporting.register(app)
audit.register(app)
operations.register(app)
fppt_commands.register(app)
references_commands.register(app)


def _optional_groups() -> None:
    """Command groups of the packages above the store (flows, records, portal, demo)."""
    import importlib

    for name in ("cycle_flows", "records_commands", "portal_commands", "demo",
                 "feedback_commands"):
        try:
            module = importlib.import_module(f"commands.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"commands.{name}":
                raise
            continue
        module.register(app)


_optional_groups()


def _log_unexpected() -> str:
    from appraisal_store.config import settings

    logs = settings().home / "logs"
    try:
        logs.mkdir(parents=True, exist_ok=True)
        path = logs / "errors.log"
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {datetime.now().isoformat()} {' '.join(sys.argv)}\n")
            handle.write(traceback.format_exc())
        return str(path)
    except OSError:
        return "(the log could not be written)"


def _environment_failure(error: Exception) -> AppraisalError | None:
    """The sentence for a failure of the machine around us (a folder, the disk, the
    database server, the seal) met anywhere in a command; None for any other error."""
    from appraisal_store.config import settings
    from appraisal_store.environment import environment_failure

    try:
        url = settings().database
    except Exception:  # noqa: BLE001 - the settings themselves may be what failed
        url = None
    return environment_failure(error, database_url=url)


def run(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    from appraisal_store.engines import check_store_before_use

    command = get_command(app)
    try:
        code = command.main(args=argv, prog_name="appraisal", standalone_mode=False)
    except click_errors.UsageError as error:
        error.show()
        sys.exit(2)
    except typer.Exit as error:
        sys.exit(error.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        show_error("stopped before it finished.")
        sys.exit(130)
    except ValidationFailed as error:
        show_error(error.summary, error.problems)
        sys.exit(1)
    except AppraisalError as error:
        show_error(error.message)
        sys.exit(1)
    except FrameworkError as error:
        show_error("the framework file has problems; nothing was imported.",
                   str(error).splitlines())
        sys.exit(1)
    except click_errors.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except Exception as error:  # noqa: BLE001 - the last line of defence for the user
        failure = _environment_failure(error)
        if failure is not None:
            show_error(failure.message)
            sys.exit(1)
        where = _log_unexpected()
        show_error(f"{error.__class__.__name__}: {error}. The details are in {where}.",
                   heading="Unexpected error")
        sys.exit(1)
    finally:
        check_store_before_use(None)  # a check not needed by this command ends with it
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    run()
