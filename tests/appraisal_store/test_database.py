"""The engine's care of its connections."""

from __future__ import annotations

import gc
import multiprocessing
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlmodel import SQLModel

from appraisal_store import config, engines, sessions, sqlite_write_queue
from appraisal_store.audit_hashing import GENESIS_HASH
from appraisal_store.models import AuditHead
from appraisal_store.schema import current_revision, head_revision, upgrade
from tests.conftest import PostgresTemplate


@pytest.fixture(name="empty_store",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_store_fixture(request: pytest.FixtureRequest, home: Path,
                        monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The configured store with nothing in it, not even the migrations' table."""
    if request.param == "postgres":
        monkeypatch.setenv("APPRAISAL_DATABASE_URL", request.getfixturevalue("postgres_url"))
        config.settings.cache_clear()
        engines.reset_engines()
    return engines.engine()


def _shape(engine: Engine) -> dict[str, Any]:
    """What the schema holds: each table's columns, keys and indexes, and every row."""
    inspector = inspect(engine)
    shape: dict[str, Any] = {}
    with engine.connect() as connection:
        for table in sorted(inspector.get_table_names()):
            shape[table] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"])
                            for c in inspector.get_columns(table)],
                "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
                "foreign keys": sorted((tuple(k["constrained_columns"]), k["referred_table"])
                                       for k in inspector.get_foreign_keys(table)),
                "unique": sorted(tuple(u["column_names"])
                                 for u in inspector.get_unique_constraints(table)),
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                  for i in inspector.get_indexes(table)),
                "rows": sorted(map(tuple, connection.execute(text(f'SELECT * FROM "{table}"')))),
            }
    return shape


def test_the_migrations_run_from_empty_to_the_models_and_to_the_store_tests_start_from(
        empty_store: Engine, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The one test of the migrations from an empty store on each database: every other
    test starts from a store migrated once for the session (a copy of a SQLite file, or
    the worker's PostgreSQL schema emptied), which must be what this migration makes."""
    assert current_revision(empty_store) is None
    assert upgrade() == (None, head_revision())
    assert current_revision(empty_store) == head_revision()
    migrated = _shape(empty_store)
    assert set(migrated) == set(SQLModel.metadata.tables) | {"alembic_version"}
    for name, table in SQLModel.metadata.tables.items():
        assert [c[0] for c in migrated[name]["columns"]] == [c.name for c in table.columns]
    with sessions.read_session() as session:
        head = session.execute(select(AuditHead)).scalars().all()
    assert [(h.id, h.last_event_id, h.last_hash) for h in head] == [(1, 0, GENESIS_HASH)]
    assert {name for name, table in migrated.items() if table["rows"]} == {
        "alembic_version", "audithead"}

    assert upgrade() == (head_revision(), head_revision())
    assert _shape(empty_store) == migrated

    if empty_store.dialect.name == "sqlite":
        copy = tmp_path / "copy.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), copy)
        template = engines.make_engine(f"sqlite:///{copy}")
    else:
        shared: PostgresTemplate = request.getfixturevalue("postgres_template")
        shared.reset()
        template = engines.make_engine(shared.url)
    try:
        assert _shape(template) == migrated
    finally:
        template.dispose()


_LEFT_OVER = text("INSERT INTO organisation (code, name, type) VALUES ('RX9', 'Left over', "
                  "'nhs-trust') RETURNING id")


@pytest.mark.postgres
def test_the_postgresql_schema_the_tests_share_is_emptied_back_to_its_migrated_state(
        postgres_template: PostgresTemplate) -> None:
    """What a test wrote goes, the migration's seeds come back and the ids start again."""
    shared = engines.make_engine(postgres_template.url)
    try:
        postgres_template.reset()
        migrated = _shape(shared)
        with shared.begin() as connection:
            first = connection.execute(_LEFT_OVER).scalar_one()
            connection.execute(text("UPDATE audithead SET last_event_id = 9"))
        assert _shape(shared) != migrated
        postgres_template.reset()
        assert _shape(shared) == migrated
        with shared.begin() as connection:
            assert connection.execute(_LEFT_OVER).scalar_one() == first
    finally:
        shared.dispose()
        postgres_template.reset()


@pytest.mark.postgres
def test_a_pooled_connection_that_died_while_idle_is_replaced(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = engines.make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            first = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        admin = create_engine(postgres_url)
        with admin.connect() as connection:  # as a restart of the server would
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"),
                                      {"pid": first}).scalar_one()
        admin.dispose()
        monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 0.0)  # idle long enough
        with engine.connect() as connection:
            second = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert second != first
    finally:
        engine.dispose()


def _last_statement_at(admin_url: str, pid: int) -> object:
    """When the backend ``pid`` last received a statement."""
    admin = create_engine(admin_url)
    try:
        with admin.connect() as connection:
            return connection.execute(text(
                "SELECT query_start FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid}).scalar_one()
    finally:
        admin.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize(("idle_window", "pinged"), [(3600.0, False), (0.0, True)])
def test_a_connection_is_pinged_only_after_the_idle_window(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch, idle_window: float,
        pinged: bool) -> None:
    """Within the window the pool trusts a connection (no round trip before use); after it,
    the checkout pings (the backend then has received a statement since)."""
    engine = engines.make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        last_use = _last_statement_at(postgres_url, pid)
        monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", idle_window)
        with engine.connect() as connection:
            assert connection.connection.driver_connection.info.backend_pid == pid
            assert (_last_statement_at(postgres_url, pid) != last_use) is pinged
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgresql_stores_a_sealed_pdf_without_compressing_it_again(
        postgres_url: str) -> None:
    # The PDF's streams are compressed already; pglz spent the server's CPU on every
    # record for nothing (the stored size equalled the file's).
    from appraisal_store.schema import upgrade

    engine = engines.make_engine(postgres_url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            storage = connection.execute(text(
                "SELECT attstorage FROM pg_attribute WHERE attrelid = 'record'::regclass "
                "AND attname = 'pdf'")).scalar_one()
        assert storage == "e"  # EXTERNAL: out of line, never compressed
    finally:
        engine.dispose()


def _backend_of_a_session() -> int | str:
    """This process's store, through ``pooled_engine()``: PostgreSQL's backend pid, or on
    SQLite the address of the driver connection (a connection a child opens cannot have
    the address of the inherited one, which the child keeps)."""
    with sessions.read_session(engines.pooled_engine()) as session:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        return id(connection.connection.driver_connection)


def _child_session_and_write_turn() -> tuple[int | str, int, bool]:
    """In the forked child: the child's backend, the engines it inherited in use, and
    whether it can take the write queue's in-process lock (held in the parent)."""
    inherited_in_use = len(engines._engines)
    backend = _backend_of_a_session()
    got_turn = sqlite_write_queue._turn_in_process.acquire(timeout=5)
    if got_turn:
        sqlite_write_queue._turn_in_process.release()
    gc.collect()  # what was inherited and dropped would be closed now, ending the parent's
    return backend, inherited_in_use, got_turn


def test_a_forked_child_opens_its_own_connections_and_leaves_the_parents_open(
        store: Engine) -> None:
    """A child forked from a process using the store (``multiprocessing``'s default on
    Linux) must neither talk on the parent's connection nor close it, and must not wait on
    a lock the parent held."""
    parent_backend = _backend_of_a_session()
    held = threading.Event()
    release = threading.Event()

    def hold_the_write_turn() -> None:  # a parent thread mid-write at the fork
        with sqlite_write_queue._turn_in_process:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_write_turn)
    holder.start()
    held.wait(5)
    try:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            child_backend, inherited_in_use, got_turn = pool.apply(
                _child_session_and_write_turn)
    finally:
        release.set()
        holder.join()

    assert inherited_in_use == 0
    assert got_turn
    assert child_backend != parent_backend
    assert _backend_of_a_session() == parent_backend  # the parent's connection lives on
