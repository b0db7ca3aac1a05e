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


def postgres_answers() -> bool:
    try:
        probe = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with probe.connect() as connection:
            connection.execute(text("select 1"))
        probe.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


def use_store(store: Store) -> None:
    """Point this process's settings and engines at ``store``."""
    from appraisal_store import config, database

    os.environ["APPRAISAL_HOME"] = str(store.home)
    os.environ["APPRAISAL_DATABASE_URL"] = store.url
    config.settings.cache_clear()
    database.reset_engines()


@contextmanager
def fresh_store(database: str, workdir: Path, label: str) -> Iterator[Store]:
    """A migrated, empty store of ``database`` kind; removed on exit."""
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
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    store = Store(database, url, home)
    use_store(store)
    from appraisal_store import database as store_database

    upgrade(store_database.engine())
    try:
        yield store
    finally:
        store_database.reset_engines()
        if schema:
            admin = create_engine(POSTGRES_URL)
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
