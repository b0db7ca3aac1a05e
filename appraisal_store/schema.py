"""Creating and upgrading the schema with Alembic: ``appraisal init`` is safe to run twice."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlalchemy.engine import Engine

from .database import engine as default_engine
from .models import AuditHead

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(bind: Engine) -> str | None:
    with bind.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(bind: Engine | None = None) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (revision before, revision after)."""
    bind = bind or default_engine()
    before = current_revision(bind)
    config = alembic_config()
    with bind.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        if connection.execute(select(AuditHead.id)).first() is None:
            connection.execute(AuditHead.__table__.insert().values(  # type: ignore[attr-defined]
                id=1, last_event_id=0, last_hash="0" * 64))
    return before, head_revision()
