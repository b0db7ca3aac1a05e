"""A portal worker starts without the sealing stack: ReportLab and pyHanko load only in a
process that seals something (a record, a reference, the FPPT submission), so that each
of the portal's worker processes stays small."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SEALING_STACK = ("reportlab", "pyhanko", "prefect", "distributed")


def test_the_served_portal_starts_without_the_sealing_stack(home: Path) -> None:
    probe = ("import sys\n"
             "from portal.server import create_served_app\n"
             "create_served_app()\n"
             f"print(sorted(m for m in {SEALING_STACK!r} if m in sys.modules))\n")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[2])
    assert loaded.stdout.strip() == "[]", loaded.stderr[-2000:]
