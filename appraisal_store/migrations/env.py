"""Alembic environment: run with the connection that ``appraisal_store.schema`` hands in."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from appraisal_store import models  # noqa: F401 - registers the tables on the metadata

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        from appraisal_store.engines import engine

        with engine().connect() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
