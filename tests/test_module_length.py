"""No module of ours runs past about 400 lines unless its docstring says why.

A file past that length is usually two jobs in one file (STYLE.md). The few that are not
say so in their docstring with a paragraph that begins ``Kept in one module:`` and gives
the reason, so a reader learns it where they meet the length.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("competencies", "appraisal_store", "records", "flows", "portal", "commands",
            "templates", "bench", "tests")
LONGEST = 400
REASON = "Kept in one module:"


def _modules() -> list[Path]:
    # A migration is the record of one change to the schema, never edited once shipped.
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
                  if not {"static", "versions"} & set(path.relative_to(ROOT / package).parts))


def _reason(path: Path) -> str:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    _, marker, reason = f"\n{docstring}".partition(f"\n{REASON}")
    return reason.strip() if marker else ""


def test_every_long_module_says_why_it_is_long() -> None:
    modules = _modules()
    assert len(modules) > 100  # the walk found our modules
    unexplained = []
    for path in modules:
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > LONGEST and len(_reason(path).split()) < 5:
            unexplained.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert unexplained == [], (
        f"Split these along their jobs, or say why not in the module docstring with a "
        f"paragraph beginning {REASON!r}:\n" + "\n".join(unexplained))


def test_a_reason_is_given_only_where_a_module_is_long() -> None:
    # A reason left behind after a module was split would excuse its next growth unread.
    stale = [str(path.relative_to(ROOT)) for path in _modules()
             if _reason(path) and len(path.read_text(encoding="utf-8").splitlines()) <= LONGEST]
    assert stale == []
