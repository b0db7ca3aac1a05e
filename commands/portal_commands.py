"""``appraisal portal``: run the web portal on its own (``appraisal serve`` runs it with flows)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("portal")
    def portal(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
        workers: Annotated[int, typer.Option(
            min=0, help="Worker processes (0: one per core). Sessions live in the database, "
                        "so any worker answers any request.")] = 0,
    ) -> None:
        """Run the portal for directors, appraisers, chairs and company secretaries."""
        from portal.server import run_portal

        from .operations import check_start_up
        from .prefect_console import restore_prefect_console

        check_start_up(seal=True, smtp=True)

        restore_prefect_console()  # a server's log is its sign of life
        run_portal(host=host, port=port, workers=workers)
