"""Where the command line prints: Rich consoles for results and for problems."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def show_error(message: str, details: list[str] | None = None, *,
               heading: str = "Error") -> None:
    """Print a problem for a person (text is shown literally, never as markup)."""
    err.print(Text.assemble((f"{heading}: ", "bold red"), message))
    for detail in details or []:
        err.print(Text(f"  - {detail}"))


def show_success(message: str) -> None:
    out.print(Text(message, style="green"))
