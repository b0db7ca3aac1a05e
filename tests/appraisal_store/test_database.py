"""The engine's care of its connections."""

from __future__ import annotations

import gc
import multiprocessing
import threading

import pytest
from sqlalchemy import Engine, create_engine, text

from appraisal_store import database


@pytest.mark.postgres
def test_a_pooled_connection_that_died_while_idle_is_replaced(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = database.make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            first = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        admin = create_engine(postgres_url)
        with admin.connect() as connection:  # as a restart of the server would
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"),
                                      {"pid": first}).scalar_one()
        admin.dispose()
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)  # idle long enough
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
    engine = database.make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        last_use = _last_statement_at(postgres_url, pid)
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", idle_window)
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

    engine = database.make_engine(postgres_url)
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
    with database.read_session(database.pooled_engine()) as session:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        return id(connection.connection.driver_connection)


def _child_session_and_write_turn() -> tuple[int | str, int, bool]:
    """In the forked child: the child's backend, the engines it inherited in use, and
    whether it can take the write queue's in-process lock (held in the parent)."""
    inherited_in_use = len(database._engines)
    backend = _backend_of_a_session()
    got_turn = database._turn_in_process.acquire(timeout=5)
    if got_turn:
        database._turn_in_process.release()
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
        with database._turn_in_process:
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
