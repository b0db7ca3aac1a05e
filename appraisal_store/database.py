"""The engine and sessions: SQLite (WAL) by default, PostgreSQL when configured."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cache
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Executable, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, Result, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import NullPool, QueuePool
from sqlmodel import Session, create_engine

from .config import settings

try:
    import fcntl
except ImportError:  # not on a POSIX system: the in-process queue alone
    fcntl = None  # type: ignore[assignment]

# Writers on SQLite take the write lock at BEGIN, so that a transaction which reads the audit
# head and then writes never fails half-way with "database is locked" (a deferred transaction
# cannot be retried by the busy timeout once it has read).
_IMMEDIATE = "appraisal_immediate"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with the settings this project relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=kwargs.pop("poolclass", NullPool),
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


# A pooled connection used within this many seconds is taken as alive without a ping.
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it has been idle a while.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip per session, a
    quarter of a portal page's on PostgreSQL. A connection checked in moments ago is
    almost surely alive; one idle for longer (a restart of the server, a dropped
    connection) is pinged, and replaced if the ping fails. A connection that dies within
    the idle window fails its next statement once; SQLAlchemy then discards the pool.
    """

    @event.listens_for(engine, "checkin")
    def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is not None and (
                time.monotonic() - checked_in_at < PING_AFTER_IDLE_SECONDS):
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute(";")
            cursor.close()
            dbapi_connection.rollback()  # the driver began a transaction for the ping
        except Exception as error:  # noqa: BLE001 - any failure: the pool opens a new one
            raise DisconnectionError(str(error)) from error


def _configure_sqlite(engine: Engine) -> None:
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
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        # Straight to the driver: every session begins here, and SQLAlchemy's statement
        # machinery (context, events) cost more than SQLite takes to run BEGIN.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


_engines: dict[str, Engine] = {}

# A check of the store run once, before the first engine of this process is made: the
# command line sets it (``check_store_before_use``) so a command on a missing, old or
# foreign store fails with one sentence before it starts, and after its arguments parsed.
_store_check: list[Callable[[], object]] = []


def check_store_before_use(check: Callable[[], object] | None) -> None:
    """Run ``check`` (it raises to refuse) before the first engine is made; None: none."""
    _store_check.clear()
    if check is not None:
        _store_check.append(check)


def _run_store_check() -> None:
    if _store_check:
        _store_check.pop()()  # cleared first: the check itself may make the engine


def engine() -> Engine:
    """The process-wide engine for the configured database."""
    url = settings().database
    if url not in _engines:
        _run_store_check()
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def pooled_engine() -> Engine:
    """The process-wide engine for a long-lived process that opens many short sessions
    (the portal, a sealing worker).

    On SQLite the default engine opens a connection per session (no connection ever outlives
    a short command or crosses a fork); opening one and setting its pragmas costs about a
    millisecond, a large share of a page. This engine keeps its connections. Elsewhere it is
    ``engine()``, which pools already.
    """
    url = settings().database
    key = f"pooled:{url}"
    if key not in _engines:
        _run_store_check()
    if key not in _engines:
        _engines[key] = (make_engine(url, poolclass=QueuePool, pool_size=10, max_overflow=30)
                         if make_url(url).get_backend_name() == "sqlite" else engine())
    return _engines[key]


def reset_engines() -> None:
    """Forget cached engines (after the configuration changed, e.g. in tests)."""
    for cached in _engines.values():
        cached.dispose()
    _engines.clear()


# What a forked child inherited and must never use nor close (see _start_afresh_after_fork).
_inherited: list[Any] = []


def _start_afresh_after_fork() -> None:
    """In a child forked from this process, start with no engines and a write queue of
    its own (``multiprocessing`` forks by default on Linux before Python 3.14).

    The inherited connections belong to the parent, which goes on using them: a statement
    from the child would interleave with the parent's on the same socket or SQLite handle,
    and closing one would end the parent's PostgreSQL session (libpq says goodbye to the
    server). So they are kept referenced, never closed, for the child's life. The write
    queue's file handle shares its lock with the parent's (one open file), and the
    in-process lock may have been held by a thread that does not exist in the child.
    """
    global _turn_in_process
    _inherited.append((dict(_engines), dict(_turn_files)))
    _engines.clear()
    _turn_files.clear()
    _turn_in_process = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_start_afresh_after_fork)


@contextmanager
def write_session(bind: Engine | None = None) -> Iterator[Session]:
    """A transaction for changes: committed at the end, rolled back on any error."""
    bound = (bind or engine()).execution_options(**{_IMMEDIATE: True})
    with Session(bound, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# On SQLite a write session holds the database's single write lock. A writer that finds it
# taken is left to SQLite's busy handler, which sleeps in growing steps (up to 100 ms at a
# time) and polls, so under load a writer waits far longer than the lock is held. Writers
# that expect company (the portal's workers, the sealing workers) queue for their turn
# instead: a lock in the process and an advisory file lock across processes, each woken as
# soon as the one before it finishes. The queue is an optimisation, not what keeps the data
# safe: SQLite's own lock still does.
_turn_in_process = threading.Lock()
_turn_files: dict[Path, IO[bytes]] = {}


@contextmanager
def _sqlite_write_turn(path: Path) -> Iterator[None]:
    with _turn_in_process:
        if fcntl is None:
            yield
            return
        handle = _turn_files.get(path)
        if handle is None:
            handle = _turn_files[path] = path.open("ab")
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_turn(bind: Engine) -> AbstractContextManager[None]:
    url = bind.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return nullcontext()
    return _sqlite_write_turn(Path(f"{url.database}.writers"))


@contextmanager
def queued_write_session(bind: Engine | None = None) -> Iterator[Session]:
    """``write_session`` for a writer among many: on SQLite it waits for its turn in a
    queue instead of in SQLite's busy handler. Not to be nested in another write session
    of the same thread (nor can a write session on SQLite be)."""
    bound = bind or engine()
    with _write_turn(bound), write_session(bound) as session:
        yield session


@contextmanager
def read_session(bind: Engine | None = None) -> Iterator[Session]:
    """A session for reading; nothing it does is committed."""
    with Session(bind or engine(), expire_on_commit=False) as session:
        yield session


def run_columns(session: Session, statement: Executable,
                parameters: dict[str, Any] | None = None) -> Result[Any]:
    """Run a statement that loads no ORM entity on the session's connection.

    ``Session.execute`` takes every statement through the ORM's execution path, about a
    tenth of a millisecond a statement: more than SQLite takes to run a small indexed query,
    and paid on every page. A statement of plain columns gains nothing from it. Pending
    changes are flushed first, as the ORM's autoflush would.
    """
    session.flush()
    return session.connection().execute(statement, parameters or {})


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
