"""Throw-away stores for a benchmark: a SQLite file, or a PostgreSQL schema dropped after."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get("APPRAISAL_BENCH_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class Store:
    database: str  # "sqlite" or "postgres"
    url: str
    home: Path
    schema: str | None = None  # PostgreSQL: the schema that holds it, dropped with it


def postgres_answers() -> bool:
    try:
        probe = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with probe.connect() as connection:
            connection.execute(text("select 1"))
        probe.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


_STORE_SETTINGS = ("APPRAISAL_HOME", "APPRAISAL_DATABASE_URL")  # what ``use_store`` sets


def use_store(store: Store) -> None:
    """Point this process's settings and engines at ``store``."""
    from appraisal_store import config, engines

    os.environ["APPRAISAL_HOME"] = str(store.home)
    os.environ["APPRAISAL_DATABASE_URL"] = store.url
    config.settings.cache_clear()
    engines.reset_engines()


def create_store(database: str, workdir: Path, label: str) -> Store:
    """A migrated, empty store of ``database`` kind; ``drop_store`` removes it.

    Nothing in this process is pointed at it (``use_store`` does that), so a store can be
    made here and filled and measured in other processes.
    """
    from appraisal_store.engines import make_engine
    from appraisal_store.schema import upgrade

    home = workdir / f"{database}-{label}"
    home.mkdir(parents=True, exist_ok=True)
    schema = None
    if database == "sqlite":
        path = home / "appraisal.db"
        for leftover in home.glob("appraisal.db*"):
            leftover.unlink()
        url = f"sqlite:///{path}"
    else:
        schema = f"bench_{label}_{uuid.uuid4().hex[:8]}"
        _as_admin(f'CREATE SCHEMA "{schema}"')
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    migrating = make_engine(url)
    try:
        upgrade(migrating)
    except BaseException:
        migrating.dispose()
        drop_store(Store(database, url, home, schema))
        raise
    migrating.dispose()
    return Store(database, url, home, schema)


def drop_store(store: Store) -> None:
    """Remove what ``create_store`` made (a SQLite file stays in its folder, which the
    benchmark's work folder takes away)."""
    if store.schema:
        _as_admin(f'DROP SCHEMA IF EXISTS "{store.schema}" CASCADE')


def _as_admin(statement: str) -> None:
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


@contextmanager
def store_in_use(store: Store) -> Iterator[Store]:
    """This process pointed at ``store`` for the block, and afterwards at what it used
    before (its settings and engines as they were)."""
    from appraisal_store import config, engines

    saved = {key: os.environ.get(key) for key in _STORE_SETTINGS}
    use_store(store)
    try:
        yield store
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        config.settings.cache_clear()
        engines.reset_engines()


@contextmanager
def fresh_store(database: str, workdir: Path, label: str) -> Iterator[Store]:
    """A migrated, empty store of ``database`` kind that this process uses; removed on exit."""
    store = create_store(database, workdir, label)
    try:
        with store_in_use(store):
            yield store
    finally:
        drop_store(store)
