"""The import contract (``.importlinter``), checked by import-linter on every test run.

Imports point down the layers (commands, portal, flows, records, appraisal_store,
competencies), and nothing outside the store imports the audit chain's or the outbox's
writers: records, flows, the portal and the command line change the record only through
``appraisal_store.services`` (tests/test_one_writer.py checks the calls themselves).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contract_is_kept() -> None:
    linted = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command;"
         " sys.exit(lint_imports_command())", "--no-cache", str(ROOT / ".importlinter")],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    report = linted.stdout + linted.stderr
    assert linted.returncode == 0, report
    assert "Contracts: 2 kept, 0 broken." in report, report
