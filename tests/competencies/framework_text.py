"""A small valid framework file for loader tests, a way to find a line in it, and the
problems a file is refused with."""

from __future__ import annotations

from pathlib import Path

import pytest

from competencies.errors import FrameworkError, FrameworkProblem
from competencies.loader import load_framework

OFFICIAL_NAMES = (
    "Driving high quality and sustainable outcomes",
    "Setting strategy and delivering long term transformation",
    "Promoting equality and inclusion, and reducing health and workforce inequalities",
    "Providing robust governance and assurance",
    "Creating a compassionate, just and positive culture",
    "Building a trusted relationship with partners and communities",
)

LABELS = (
    "Almost always",
    "Frequently",
    "Occasionally",
    "Rarely or never",
    "No chance to demonstrate",
)


def domain_block(number: int, name: str | None = None) -> str:
    """One domain with two statements, ids ``dN``, ``dN.s1`` and ``dN.s2``."""
    return (
        f"  - id: d{number}\n"
        f"    number: {number}\n"
        f"    name: {name or OFFICIAL_NAMES[number - 1]}\n"
        f"    what_good_looks_like: Good looks like domain {number}.\n"
        f"    statements:\n"
        f"      - id: d{number}.s1\n"
        f"        text: I do the first thing in domain {number}.\n"
        f"      - id: d{number}.s2\n"
        f"        text: I do the second thing in domain {number}.\n"
    )


def framework_text(domain_count: int = 6) -> str:
    """A valid framework file (when ``domain_count`` is 6)."""
    scale = "".join(f"  - {label}\n" for label in LABELS)
    domains = "".join(domain_block(number) for number in range(1, domain_count + 1))
    return (
        "framework_id: test-framework\n"
        "version: '1.0'\n"
        "name: Framework for tests\n"
        "source_note: Written for the tests.\n"
        f"scale:\n{scale}"
        f"domains:\n{domains}"
    )


def line_of(text: str, fragment: str, occurrence: int = 1, *, whole: bool = False) -> int:
    """1-based line of the ``occurrence``-th line containing ``fragment``.

    With ``whole``, the line (stripped) must be exactly ``fragment``.
    """
    found = [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if (line.strip() == fragment if whole else fragment in line)
    ]
    assert len(found) >= occurrence, f"{fragment!r} occurs {len(found)} times"
    return found[occurrence - 1]


def write(tmp_path: Path, text: str, name: str = "framework.yaml") -> Path:
    """Write ``text`` to a real file and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[FrameworkProblem]:
    """Load ``text`` from a real file and return the problems it is refused with."""
    with pytest.raises(FrameworkError) as caught:
        load_framework(write(tmp_path, text))
    return caught.value.problems


def only_problem(tmp_path: Path, text: str) -> FrameworkProblem:
    problems = problems_of(tmp_path, text)
    assert len(problems) == 1, problems
    return problems[0]
