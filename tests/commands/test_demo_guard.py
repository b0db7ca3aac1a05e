"""The demo never touches a database it did not create."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.commands.test_operator_commands import invoke


def test_the_demo_refuses_a_database_that_is_not_a_demo(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(capsys, "init")[0] == 0
    database = home / "appraisal.db"
    before = database.read_bytes()
    code, _, err = invoke(capsys, "demo")
    assert code == 1 and "did not create" in err
    assert database.read_bytes() == before


def test_the_demo_refuses_a_configured_database(
        home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from appraisal_store import config

    monkeypatch.setenv("APPRAISAL_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1/none")
    config.settings.cache_clear()
    code, _, err = invoke(capsys, "demo")
    assert code == 1 and "only on the embedded SQLite store" in err
