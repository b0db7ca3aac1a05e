"""Insert-or-update in one statement, on SQLite and PostgreSQL alike (``ON CONFLICT``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def dialect_insert(dialect: str) -> Callable[[Any], Any]:
    """The INSERT of ``dialect`` ("sqlite" or "postgresql"): both know ``ON CONFLICT``."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


@cache
def _upsert_statement(dialect: str, table: Table, keys: tuple[str, ...],
                      changed: tuple[str, ...]) -> Executable:
    statement = dialect_insert(dialect)(table)
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]  # either dialect's Insert
        index_elements=list(keys),
        set_={name: statement.excluded[name] for name in changed})


def upsert(session: Session, table: Table, rows: list[dict[str, Any]], *,
           keys: tuple[str, ...], changed: tuple[str, ...]) -> None:
    """Insert ``rows``, or where one with the same ``keys`` (a unique constraint) exists,
    update its ``changed`` columns: one statement, instead of a read and a write per row.

    Both stores speak ``INSERT ... ON CONFLICT DO UPDATE``; the statement is built once.
    """
    if rows:
        session.flush()
        dialect = session.get_bind().dialect.name
        session.connection().execute(_upsert_statement(dialect, table, keys, changed), rows)
