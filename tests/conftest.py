"""Shared fixtures: a real store (SQLite file, or PostgreSQL in a schema of its own), a
seeded board, and the actors who act on it.

The store is migrated once a session (under pytest-xdist, once a worker), not once a test:
a SQLite test gets a copy of a migrated template file, a PostgreSQL test the worker's
migrated schema emptied back to what the migration left. The migrations themselves run
from empty in tests/appraisal_store/test_database.py.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Generic, TypeVar

import pytest
from sqlalchemy import MetaData, Table, create_engine, inspect, make_url, text
from sqlalchemy.engine import Connection, Engine

from appraisal_store import config, engines, sessions
from appraisal_store.actors import Actor
from appraisal_store.schema import upgrade

Kept = TypeVar("Kept")
# Prefect's INFO lines would go to streams pytest closes between tests; warnings still show.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

POSTGRES_ADMIN_URL = os.environ.get(
    "APPRAISAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        probe = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with probe.connect() as connection:
            connection.execute(text("select 1"))
        probe.dispose()
        return None
    except Exception as error:  # noqa: BLE001 - any failure means "not here"
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} does not answer: {error.__class__.__name__}"


def require_postgres() -> None:
    reason = postgres_available()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (under CI=true the PostgreSQL tests must run)")
        pytest.skip(reason)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``pytest -n ... --dist loadgroup`` (``make test``), the tests that use Prefect
    run on one worker, so one Prefect test server starts for the run instead of one a
    worker (each costs seconds of both cores at its start)."""
    for item in items:
        if "prefect_harness" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("prefect"))


@pytest.fixture(scope="session", name="prefect_harness")
def prefect_harness_fixture() -> Iterator[None]:
    """Prefect's test harness, started once for the session (it takes seconds to start)."""
    from prefect.testing.utilities import prefect_test_harness

    from flows.prefect_settings import flow_settings

    with prefect_test_harness(server_startup_timeout=90), flow_settings():
        yield


@pytest.fixture(name="home")
def home_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh APPRAISAL_HOME with the SQLite default."""
    home = tmp_path / "home"
    monkeypatch.setenv("APPRAISAL_HOME", str(home))
    monkeypatch.delenv("APPRAISAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("APPRAISAL_SMTP_URL", raising=False)
    config.settings.cache_clear()
    engines.reset_engines()
    yield home
    config.settings.cache_clear()
    engines.reset_engines()


@pytest.fixture(name="postgres_url")
def postgres_url_fixture() -> Iterator[str]:
    """A PostgreSQL URL whose search path is an empty schema of this test's own, dropped
    after (for tests of the migrations and of the connections themselves)."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session", name="sqlite_template")
def sqlite_template_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store migrated to head once for the session, which each test copies.

    The copy is the main file alone: the template is checkpointed and closed first, so
    everything the migration wrote is in it and no write-ahead log goes with it.
    """
    path = tmp_path_factory.mktemp("sqlite-template") / "appraisal.db"
    engine = engines.make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the template's log was not emptied"
    return path


def copy_sqlite_template(template: Path) -> Engine:
    """Put a copy of the migrated template where the settings keep the SQLite store."""
    target = Path(make_url(config.settings().database).database or "")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return engines.engine()


@dataclass(frozen=True)
class SchemaContents:
    """What a PostgreSQL schema held: its tables' rows, in the foreign keys' order, and the
    statement that sets its sequences back to where they stood."""

    rows: list[tuple[Table, list[dict[str, Any]]]]
    positions: str


class PostgresTemplate:
    """A schema migrated to head once a worker, emptied back to that state for each test.

    Emptying is DELETE in the foreign keys' order and the sequences set back, then the rows
    the migration seeded (the audit head) put back as they were: all read from the schema
    after the migration, so a later migration's seeds are kept without naming them here.
    DELETE, not TRUNCATE: TRUNCATE makes new files for every table and index, and takes
    longer than migrating a fresh schema; deleting a test's few rows does not.
    """

    def __init__(self, admin_url: str) -> None:
        self.schema = f"w_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:8]}"
        self.url = f"{admin_url}?options=-csearch_path%3D{self.schema}"
        self.admin = create_engine(admin_url)
        with self.admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        engine = engines.make_engine(self.url)
        try:
            upgrade(engine)
            self._read_state(engine)
        finally:
            engine.dispose()
        self.engine = create_engine(self.url)

    def _read_state(self, engine: Engine) -> None:
        metadata = MetaData()
        metadata.reflect(engine)
        kept = {"alembic_version"}
        ordered = [name for name, _ in inspect(engine).get_sorted_table_and_fkc_names()
                   if name is not None and name not in kept]
        self.tables = [metadata.tables[name] for name in ordered]
        with engine.connect() as connection:
            self.seeds = self.contents(connection)
        deletes = "; ".join(f'DELETE FROM "{table.name}"' for table in reversed(self.tables))
        self.emptying = deletes

    def contents(self, connection: Connection) -> SchemaContents:
        """Every row of the schema's tables and where its sequences stand."""
        rows = {table: [dict(row._mapping) for row in connection.execute(table.select())]
                for table in self.tables}
        sequences = connection.execute(text(
            "SELECT sequencename, last_value, last_value IS NOT NULL FROM pg_sequences "
            "WHERE schemaname = current_schema()")).all()
        setvals = [f"setval('\"{name}\"', {last if called else 1}, {str(called).lower()})"
                   for name, last, called in sequences]
        return SchemaContents([(table, rows[table]) for table in self.tables if rows[table]],
                              f"SELECT {', '.join(setvals) or '1'}")

    def reset(self, to: SchemaContents | None = None) -> None:
        """Empty the schema back to what the migration left, or to ``to``."""
        with self.engine.begin() as connection:
            # A test that left a transaction open would otherwise hang the next one here.
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.exec_driver_sql(self.emptying)
            wanted = to or self.seeds
            for table, rows in wanted.rows:
                connection.execute(table.insert(), rows)
            connection.exec_driver_sql(wanted.positions)

    def snapshot(self) -> SchemaContents:
        with self.engine.connect() as connection:
            return self.contents(connection)

    def drop(self) -> None:
        self.engine.dispose()
        with self.admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
        self.admin.dispose()


@pytest.fixture(scope="session", name="postgres_template")
def postgres_template_fixture() -> Iterator[PostgresTemplate]:
    require_postgres()
    template = PostgresTemplate(POSTGRES_ADMIN_URL)
    yield template
    template.drop()


@pytest.fixture(name="store",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_fixture(request: pytest.FixtureRequest, home: Path,
                  monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The configured store, migrated to head, on SQLite and on PostgreSQL."""
    if request.param == "postgres":
        template: PostgresTemplate = request.getfixturevalue("postgres_template")
        template.reset()
        monkeypatch.setenv("APPRAISAL_DATABASE_URL", template.url)
        config.settings.cache_clear()
        engines.reset_engines()
        return engines.engine()
    return copy_sqlite_template(request.getfixturevalue("sqlite_template"))


@pytest.fixture(name="sqlite_store")
def sqlite_store_fixture(home: Path, sqlite_template: Path) -> Engine:
    """The SQLite store only (for tests whose subject is not the database)."""
    return copy_sqlite_template(sqlite_template)


@pytest.fixture(name="operator")
def operator_fixture() -> Actor:
    return Actor.operator()


BOARD_CSV = """org_code,name,email,role,start_date,end_date,interim
RX1,Margaret Okafor,chair@rx1.nhs.uk,chair,2021-04-01,,no
RX1,Daniel Price,ceo@rx1.nhs.uk,chief-executive,2020-09-01,,no
RX1,Priya Shah,finance@rx1.nhs.uk,executive-director,2022-01-10,,no
RX1,Tom Evans,nursing@rx1.nhs.uk,executive-director,2023-05-01,,yes
RX1,Siân Ŵyn ap Gruffydd,sid@rx1.nhs.uk,senior-independent-director,2019-07-01,,no
RX1,Zoë Łukasiewicz,ned1@rx1.nhs.uk,non-executive-director,2022-11-01,,no
RX1,Nguyễn Thị Hoa,ned2@rx1.nhs.uk,non-executive-director,2025-11-01,,no
RX1,Alan Leaver,leaver@rx1.nhs.uk,non-executive-director,2018-01-01,2025-06-30,no
RX1,Ruth Clarke,cosec@rx1.nhs.uk,company-secretary,2019-01-01,,no
"""


@dataclass(frozen=True)
class Board:
    """The seeded board of organisation RX1 (an NHS trust), with the 2025/26 cycle open."""

    organisation_id: int
    people: dict[str, int]  # email -> person id
    appraisals: dict[str, int]  # appraisee email -> appraisal id

    def actor(self, email: str) -> Actor:
        return Actor.person(self.people[email], email)


@pytest.fixture(name="board")
def board_fixture(request: pytest.FixtureRequest, store: Engine, operator: Actor) -> Board:
    boards = "sqlite_boards" if store.dialect.name == "sqlite" else "postgres_boards"
    seeded: SeededBoards[Any] = request.getfixturevalue(boards)
    return seeded.board(operator)


@pytest.fixture(name="sqlite_board")
def sqlite_board_fixture(sqlite_store: Engine, sqlite_boards: SQLiteBoards,
                         operator: Actor) -> Board:
    return sqlite_boards.board(operator)


class SeededBoards(Generic[Kept]):
    """The seeded board, seeded once a session (once a worker) for each set of settings
    and put into each test's store as it was, like the migrated store: seeding goes
    through the services (people imported, a cycle opened, FPPT years), which costs far
    more than putting rows back.

    The settings are the key: a test that changed one before asking for its board gets a
    board seeded under it. The rows were written when they were first seeded, not when
    the test began; the seeded day is fixed (1 December 2025) either way.
    """

    def __init__(self) -> None:
        self.seeded: dict[str, tuple[Kept, Board]] = {}

    def board(self, operator: Actor) -> Board:
        values = config.settings().model_dump()
        home = str(config.settings().home)
        key = repr(sorted((name, str(value).replace(home, "<home>"))
                          for name, value in values.items()))
        found = self.seeded.get(key)
        if found is None:
            board = seed_board(operator)
            found = self.seeded[key] = (self.keep(), board)
        else:
            self.put_back(found[0])
        board = found[1]
        return Board(board.organisation_id, dict(board.people), dict(board.appraisals))

    def keep(self) -> Kept:
        """What the store holds just after seeding."""
        raise NotImplementedError

    def put_back(self, kept: Kept) -> None:
        """The test's store made what ``keep`` kept."""
        raise NotImplementedError


class SQLiteBoards(SeededBoards[Path]):
    """Kept as a copy of the store's file (checkpointed first, so it is all in the file)."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    @staticmethod
    def _store_file() -> Path:
        return Path(make_url(config.settings().database).database or "")

    def keep(self) -> Path:
        with engines.engine().connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engines.reset_engines()
        copy = self.folder / f"board-{len(self.seeded)}.db"
        shutil.copyfile(self._store_file(), copy)
        return copy

    def put_back(self, kept: Path) -> None:
        target = self._store_file()
        engines.reset_engines()  # no connection may stay open on the file replaced
        for log in (target.with_name(target.name + "-wal"),
                    target.with_name(target.name + "-shm")):
            log.unlink(missing_ok=True)
        shutil.copyfile(kept, target)


class PostgresBoards(SeededBoards[SchemaContents]):
    """Kept as the worker's schema's rows, put back in place of the migrated ones."""

    def __init__(self, template: PostgresTemplate) -> None:
        super().__init__()
        self.template = template

    def keep(self) -> SchemaContents:
        return self.template.snapshot()

    def put_back(self, kept: SchemaContents) -> None:
        self.template.reset(to=kept)


@pytest.fixture(scope="session", name="sqlite_boards")
def sqlite_boards_fixture(tmp_path_factory: pytest.TempPathFactory) -> SQLiteBoards:
    return SQLiteBoards(tmp_path_factory.mktemp("sqlite-boards"))


@pytest.fixture(scope="session", name="postgres_boards")
def postgres_boards_fixture(postgres_template: PostgresTemplate) -> PostgresBoards:
    return PostgresBoards(postgres_template)


def seed_board(operator: Actor) -> Board:
    from sqlalchemy import select

    from appraisal_store.models import Appraisal, Person
    from appraisal_store.services.cycles import open_cycles, resolve_dates
    from appraisal_store.services.organisations import add_organisation
    from appraisal_store.services.people import import_people

    with sessions.write_session() as session:
        org = add_organisation(session=session, actor=operator, code="RX1",
                               name="Riverside Hospitals NHS Trust", org_type="nhs-trust",
                               region="North West")
        import_people(session=session, actor=operator, csv_text=BOARD_CSV)
        open_cycles(session=session, actor=operator, year="2025/26", organisation_codes=["RX1"],
                    dates=resolve_dates("2025/26"), today=date(2025, 12, 1))
    with sessions.read_session() as session:
        people = {p.email: p.id for p in session.execute(select(Person)).scalars()}
        by_person = {v: k for k, v in people.items()}
        appraisals = {by_person[a.appraisee_id]: a.id
                      for a in session.execute(select(Appraisal)).scalars()}
    return Board(org.id or 0, people, appraisals)  # type: ignore[arg-type]
