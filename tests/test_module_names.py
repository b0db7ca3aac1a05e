"""No module of ours may take a standard-library module's name.

Prefect loads a served flow by file path and puts that file's folder on ``sys.path``; a
process it spawns (a Dask worker) inherits the path, and a module of ours named like the
standard library's then wins every ``import`` of that name in the process. A
``flows/calendar.py`` once made every Dask worker fail to start.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("competencies", "appraisal_store", "flows", "records", "portal", "commands",
            "templates", "bench", "samples", "tests")


def _module_names(package: Path) -> list[tuple[str, Path]]:
    """Every module and subpackage under ``package``, by the name an import would use."""
    found = []
    for path in package.rglob("*"):
        if "static" in path.relative_to(package).parts:
            continue
        if path.suffix == ".py" and path.stem != "__init__":
            found.append((path.stem, path))
        elif path.is_dir() and (path / "__init__.py").exists():
            found.append((path.name, path))
    return found


def test_no_module_is_named_like_a_standard_library_module() -> None:
    every = [(package, ROOT / package) for package in PACKAGES]
    every += [(name, path) for package in PACKAGES for name, path in _module_names(ROOT / package)]
    assert len(every) > 50  # the walk found the packages' modules
    shadowing = sorted(str(path.relative_to(ROOT)) for name, path in every
                       if name in sys.stdlib_module_names)
    assert shadowing == []

