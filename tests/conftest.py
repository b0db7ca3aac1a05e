"""Shared fixtures: a real store (SQLite file, or PostgreSQL in a schema of its own), a
seeded board, and the actors who act on it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from appraisal_store import config, database
from appraisal_store.actors import Actor
from appraisal_store.schema import upgrade

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


@pytest.fixture(scope="session", name="prefect_harness")
def prefect_harness_fixture() -> Iterator[None]:
    """Prefect's test harness, started once for the session (it takes seconds to start)."""
    from prefect.testing.utilities import prefect_test_harness

    from flows.runtime import flow_settings

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
    database.reset_engines()
    yield home
    config.settings.cache_clear()
    database.reset_engines()


@pytest.fixture(name="postgres_url")
def postgres_url_fixture() -> Iterator[str]:
    """A PostgreSQL URL whose search path is a schema of this test's own, dropped after."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(name="store",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_fixture(request: pytest.FixtureRequest, home: Path,
                  monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The configured store, migrated to head, on SQLite and on PostgreSQL."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        monkeypatch.setenv("APPRAISAL_DATABASE_URL", url)
        config.settings.cache_clear()
        database.reset_engines()
    upgrade()
    return database.engine()


@pytest.fixture(name="sqlite_store")
def sqlite_store_fixture(home: Path) -> Engine:
    """The SQLite store only (for tests whose subject is not the database)."""
    upgrade()
    return database.engine()


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
def board_fixture(store: Engine, operator: Actor) -> Board:
    return seed_board(operator)


@pytest.fixture(name="sqlite_board")
def sqlite_board_fixture(sqlite_store: Engine, operator: Actor) -> Board:
    return seed_board(operator)


def seed_board(operator: Actor) -> Board:
    from sqlalchemy import select

    from appraisal_store.models import Appraisal, Person
    from appraisal_store.services.cycles import open_cycles, resolve_dates
    from appraisal_store.services.organisations import add_organisation
    from appraisal_store.services.people import import_people

    with database.write_session() as session:
        org = add_organisation(session=session, actor=operator, code="RX1",
                               name="Riverside Hospitals NHS Trust", org_type="nhs-trust",
                               region="North West")
        import_people(session=session, actor=operator, csv_text=BOARD_CSV)
        open_cycles(session=session, actor=operator, year="2025/26", organisation_codes=["RX1"],
                    dates=resolve_dates("2025/26"), today=date(2025, 12, 1))
    with database.read_session() as session:
        people = {p.email: p.id for p in session.execute(select(Person)).scalars()}
        by_person = {v: k for k, v in people.items()}
        appraisals = {by_person[a.appraisee_id]: a.id
                      for a in session.execute(select(Appraisal)).scalars()}
    return Board(org.id or 0, people, appraisals)  # type: ignore[arg-type]
