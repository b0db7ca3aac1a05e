"""Fixtures of the benchmark's smoke tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from appraisal_store import config, engines


@pytest.fixture(name="isolated_env")
def isolated_env_fixture(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The benchmark points the settings at its own store: put everything back after."""
    monkeypatch.setenv("APPRAISAL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("APPRAISAL_DATABASE_URL", raising=False)
    yield tmp_path
    config.settings.cache_clear()
    engines.reset_engines()
