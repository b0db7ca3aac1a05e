"""``appraisal portal``: run the web portal on its own (``appraisal serve`` runs it with flows)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("portal")
    def portal(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    ) -> None:
        """Run the portal for directors, appraisers, chairs and company secretaries."""
        import uvicorn

        from portal.app import create_app
        from portal.assets import fetch_assets

        fetch_assets()
        uvicorn.run(create_app(), host=host, port=port, log_level="info")
