"""One benchmark entry per measurement, the run's environment, the table and the JSON file."""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from appraisal_store.cpus import usable_cpus

PACKAGES = ("board-appraisal", "prefect", "sqlalchemy", "sqlmodel", "fastapi", "uvicorn",
            "reportlab", "pyhanko", "psycopg", "httpx")


@dataclass
class Entry:
    """One figure: ``ratio`` is figure / floor when a floor was measured.

    ``met`` is None when the measurement has no goal (a floor, a growth ratio's inputs) or
    could not be taken; ``note`` says what ran (e.g. a fallback when a flow is missing).
    """

    name: str
    figure: float | None
    unit: str
    database: str
    dataset_size: int
    floor: float | None = None
    ratio: float | None = None
    goal: str = ""
    met: bool | None = None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def at_most(entry: Entry, limit: float) -> Entry:
    """Set the goal "figure <= limit" and whether it was met."""
    entry.goal = f"<= {limit:g} {entry.unit}"
    entry.met = entry.figure is not None and entry.figure <= limit
    return entry


def with_floor(entry: Entry, floor: float | None) -> Entry:
    entry.floor = floor
    if floor and entry.figure is not None:
        entry.ratio = round(entry.figure / floor, 3)
    return entry


def reference_work_seconds() -> float:
    """CPU seconds this machine takes for a fixed piece of pure-Python work, best of three.

    The same code on the same dataset runs at different speeds on different machines, and
    on shared ones from hour to hour (seen here: twice as slow from one day to the next).
    Taken at the end of a run, it lets two runs' figures be compared.
    """
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        total = 0
        for number in range(3_000_000):
            total += number * number % 7
        best = min(best, time.process_time() - started)
    return round(best, 3)


def environment() -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"python": sys.version.split()[0], "platform": platform.platform(),
            "cpu_count": usable_cpus(), "packages": versions,
            "reference_work_cpu_s": reference_work_seconds()}


def write_json(path: Path, entries: list[Entry], options: dict[str, Any]) -> None:
    env = environment()
    document = {
        "environment": env, "options": options,
        "entries": [{**asdict(e), "python": env["python"], "cpu_count": env["cpu_count"],
                     "packages": env["packages"]} for e in entries],
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"


def table(entries: list[Entry]) -> Any:
    """The entries as a Rich table."""
    from rich.table import Table

    out = Table(title="board-appraisal benchmark")
    for heading in ("measurement", "db", "N", "figure", "unit", "floor", "ratio", "goal",
                    "met", "note"):
        out.add_column(heading, overflow="fold")
    for e in entries:
        met = {True: "[green]yes[/]", False: "[red]NO[/]", None: ""}[e.met]
        out.add_row(e.name, e.database, str(e.dataset_size), _fmt(e.figure), e.unit,
                    _fmt(e.floor), _fmt(e.ratio), e.goal, met, e.note)
    return out
