"""The engine's care of its connections."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

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
