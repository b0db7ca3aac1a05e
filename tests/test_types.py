"""The code type-checks: mypy, as pyproject.toml configures it, finds nothing.

The configuration ([tool.mypy]) names the packages and how strict each is, so a plain
``python -m mypy`` from the project's root is the whole check. Its incremental cache lives
in ``.mypy_cache`` (ignored by git), which keeps a second run to a few seconds.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_mypy_finds_no_errors() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(ROOT / ".mypy_cache")],
        cwd=ROOT, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"mypy found errors:\n{output}"
    # Every module of the six packages was read, not an empty selection.
    checked = re.search(r"no issues found in (\d+) source files", output)
    assert checked is not None, output
    assert int(checked.group(1)) > 100, output
