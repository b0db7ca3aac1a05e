"""The wall clock is read at the edge only, so time is injectable end to end.

The store's services act at the moment their caller gives (``write_session(now=...)``,
``moment_of(session)``, ``day_of(session)``); the portal's requests act at the ``Now``
dependency (``portal.deps.clock_of``, which a test overrides) through ``SessionDep`` /
``request_store``. These tests find a clock read by its shape in the source, so one cannot
come back unnoticed.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sqlmodel import SQLModel

import appraisal_store.models  # noqa: F401  (every table module, for the stamped fields)
from appraisal_store.clock import utcnow

ROOT = Path(__file__).resolve().parent.parent

# Where the clock may be read: the clock itself.
CLOCK = {"appraisal_store/clock.py"}
# Runs on a thread of its own after the request has answered (sealing, then delivering what
# the seal queued): like a flow, it acts when it runs.
BACKGROUND = {"portal/follow_ups.py"}


def _modules(*packages: str) -> dict[str, ast.Module]:
    return {str(path.relative_to(ROOT)): ast.parse(path.read_text(encoding="utf-8"))
            for package in packages for path in sorted((ROOT / package).rglob("*.py"))
            if "versions" not in path.parts}


def _clock_reads(tree: ast.Module) -> list[int]:
    """Lines calling ``utcnow()``, ``date.today()`` or ``datetime.now()``/``.today()``."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func
        if isinstance(called, ast.Name) and called.id == "utcnow":
            found.append(node.lineno)
        elif (isinstance(called, ast.Attribute) and isinstance(called.value, ast.Name)
              and (called.value.id, called.attr) in {("date", "today"), ("datetime", "now"),
                                                     ("datetime", "today"),
                                                     ("datetime", "utcnow")}):
            found.append(node.lineno)
    return found


def _sessions_at_the_wall_clock(tree: ast.Module) -> list[int]:
    """Lines opening a portal session without saying when it acts (so: the wall clock's)."""
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in {"read_session", "unit_of_work", "write_session"}
            and not any(keyword.arg == "now" for keyword in node.keywords)]


def test_the_store_never_reads_the_clock() -> None:
    reads = {name: lines for name, tree in _modules("appraisal_store").items()
             if name not in CLOCK and (lines := _clock_reads(tree))}
    assert reads == {}


def test_the_portal_acts_at_the_requests_clock() -> None:
    modules = _modules("portal")
    assert "portal/routers/review.py" in modules  # the scan sees the routers
    reads = {name: lines for name, tree in modules.items()
             if name not in BACKGROUND and (lines := _clock_reads(tree))}
    implicit = {name: lines for name, tree in modules.items()
                if (lines := _sessions_at_the_wall_clock(tree))}
    assert reads == {}
    assert implicit == {}
    # The background set names only modules that do read the clock.
    assert {name for name in BACKGROUND if _clock_reads(modules[name])} == BACKGROUND


def _stamped_fields() -> dict[str, set[str]]:
    """Each table's fields whose default is the wall clock (a safety net, never relied on)."""
    stamped: dict[str, set[str]] = {}
    for mapper in SQLModel._sa_registry.mappers:
        table = mapper.class_
        fields = {name for name, info in table.model_fields.items()
                  if info.default_factory is utcnow}
        if fields:
            stamped[table.__name__] = fields
    return stamped


def test_the_services_stamp_new_rows_with_their_moment() -> None:
    stamped = _stamped_fields()
    assert {"created_at", "updated_at"} <= stamped["Appraisal"]  # the scan sees the tables
    unstamped = []
    for name, tree in _modules("appraisal_store").items():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in stamped):
                given = {keyword.arg for keyword in node.keywords}
                missing = stamped[node.func.id] - given
                if missing and None not in given:  # **fields: the caller's to say
                    unstamped.append(f"{name}:{node.lineno} {node.func.id} {sorted(missing)}")
    assert unstamped == []
