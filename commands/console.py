"""Where the command line prints: Rich consoles for results and for problems, and JSON."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from enum import Enum
from pathlib import Path

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


def _jsonable(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"{value.__class__.__name__} is not JSON")


def print_json(data: object) -> None:
    """Print ``data`` as the one JSON document on stdout (dates in ISO 8601), for scripts."""
    out.print_json(json.dumps(data, ensure_ascii=False, default=_jsonable))
