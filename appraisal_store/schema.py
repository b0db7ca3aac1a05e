"""Creating and upgrading the schema with Alembic: ``appraisal init`` is safe to run twice,
and from several processes at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session

from .audit import start_chain
from .config import settings
from .engines import engine as default_engine
from .environment import (
    StoreFromNewerRelease,
    StoreNotMadeByAlembic,
    StoreNotReady,
    database_place,
    os_failure,
)

try:
    import fcntl
except ImportError:  # not on a POSIX system: SQLite's own lock alone
    fcntl = None  # type: ignore[assignment]  # the module or None, tested before each use

MIGRATIONS = Path(__file__).parent / "migrations"

# Any fixed number: the key of the PostgreSQL advisory lock that migrations queue on.
_MIGRATION_LOCK_KEY = 0x61707072  # "appr"


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


def _known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(
        alembic_config()).walk_revisions()}


def _check_revision(connection: Connection, place: str) -> str | None:
    """The store's revision, or None for an empty database.

    Raises:
        StoreFromNewerRelease: The revision is none this release knows.
        StoreNotMadeByAlembic: The tables are there without a revision.
    """
    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is not None and revision not in _known_revisions():
        raise StoreFromNewerRelease(
            f"{place} was migrated by a newer release of board-appraisal (schema "
            f"{revision}; this release knows up to {head_revision()}): install that release "
            "or a newer one; this one will not change the store.")
    if revision is None and "appraisal" in inspect(connection).get_table_names():
        raise StoreNotMadeByAlembic(
            f"{place} holds the appraisal tables but no schema revision (they were made "
            "without `appraisal init`): move them aside, or restore the store from a backup, "
            "and run `appraisal init`.")
    return revision


def require_current_store(bind: Engine | None = None) -> str:
    """Check that the store exists and is at this release's schema, before a command
    uses it; nothing is created (a missing SQLite file stays missing).

    Returns:
        The schema revision.

    Raises:
        StoreNotReady: No store yet, or one at an older schema (run ``appraisal init``).
        StoreFromNewerRelease, StoreNotMadeByAlembic: See ``_check_revision``.
    """
    # The file is looked for before an engine is made: making one creates its folder.
    url = bind.url if bind is not None else make_url(settings().database)
    place = database_place(url.render_as_string(hide_password=True))
    database = url.database
    if (url.get_backend_name() == "sqlite" and database and database != ":memory:"
            and not Path(database).is_file()):
        raise StoreNotReady(f"There is no store yet ({place} does not exist): run "
                            "`appraisal init` to create it (set APPRAISAL_HOME or "
                            "APPRAISAL_DATABASE_URL first if it lives elsewhere).")
    with (bind or default_engine()).connect() as connection:
        revision = _check_revision(connection, place)
    if revision is None:
        raise StoreNotReady(f"{place} holds no appraisal store yet: run `appraisal init` "
                            "to create it.")
    if revision != head_revision():
        raise StoreNotReady(f"{place} is at schema {revision}, older than this release's "
                            f"{head_revision()}: run `appraisal init` to upgrade it.")
    return revision


@contextmanager
def _sqlite_migration_lock(bind: Engine) -> Iterator[None]:
    """One SQLite migration at a time: a file lock beside the database file (taken before
    the database's transaction begins)."""
    database = bind.url.database
    if (bind.url.get_backend_name() != "sqlite" or fcntl is None or not database
            or database == ":memory:"):
        yield
        return
    path = Path(f"{database}.migrating")
    try:
        handle = path.open("ab")
    except OSError as error:
        failure = os_failure(error, path)
        if failure is None:
            raise
        raise failure from error
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _postgres_migration_lock(connection: Connection) -> None:
    """One PostgreSQL migration at a time: an advisory lock held to the transaction's end
    (two at once on an empty database would both create the tables, and one fail)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": _MIGRATION_LOCK_KEY})


def take_setup_turn(session: Session) -> None:
    """Queue ``session``'s transaction behind any other setup on PostgreSQL (the migration
    lock, to the transaction's end): several `appraisal init` at once would otherwise each
    find no framework stored and each store it, and all but one fail on its unique key.
    SQLite's writers already take turns."""
    _postgres_migration_lock(session.connection())


def upgrade(bind: Engine | None = None) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (revision before, revision after).

    Safe to run from several processes at once (they take turns); refuses a store from a
    newer release or tables made without Alembic, changing nothing.
    """
    bind = bind or default_engine()
    place = database_place(bind.url.render_as_string(hide_password=True))
    config = alembic_config()
    # Several `appraisal init` at once take turns; each after the first finds the schema
    # current and changes nothing.
    with _sqlite_migration_lock(bind), bind.begin() as connection:
        _postgres_migration_lock(connection)
        before = _check_revision(connection, place)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        start_chain(connection)
    return before, head_revision()
