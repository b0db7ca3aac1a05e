"""How a SQLite connection of ours is set up: WAL, foreign keys, a busy timeout, and
transactions begun by SQLAlchemy (``BEGIN IMMEDIATE`` for writers)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

# Writers on SQLite take the write lock at BEGIN, so that a transaction which reads the audit
# head and then writes never fails half-way with "database is locked" (a deferred transaction
# cannot be retried by the busy timeout once it has read).
IMMEDIATE = "appraisal_immediate"


def configure_sqlite(engine: Engine) -> None:
    """Set every new connection's pragmas; begin a transaction marked :data:`IMMEDIATE`
    with ``BEGIN IMMEDIATE``."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        # Straight to the driver: every session begins here, and SQLAlchemy's statement
        # machinery (context, events) cost more than SQLite takes to run BEGIN.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
