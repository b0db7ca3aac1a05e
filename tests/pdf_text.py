"""A PDF's text as poppler's pdftotext reads it: what a reader of the document would see."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def pdf_text(pdf: bytes, folder: Path) -> str:
    """The text of ``pdf``, its white space collapsed. Skips without poppler, except under
    CI=true, where the test must run."""
    if shutil.which("pdftotext") is None:
        reason = "pdftotext is not installed (Debian: apt-get install poppler-utils)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; under CI=true this test must run")
        pytest.skip(reason)
    source = folder / "document.pdf"
    source.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(source), "-"],
                          capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())
