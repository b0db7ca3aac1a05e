"""Failures of the machine around us, each one sentence: what failed, where, what to do.

The store, the folders under ``APPRAISAL_HOME``, the database server and the seal are not
ours to fix; when one of them fails, the person running the service is told which file,
folder or server and what to do, never shown a traceback. The typed errors are raised
where the failure happens (a file write, the engine, the schema check) and
``environment_failure`` turns what the libraries raise (``OSError``, a driver's
``OperationalError``) into one of them at the edges: the commands, the flows and the
portal.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from .errors import AppraisalError


class EnvironmentFailure(AppraisalError):
    """Something the service runs on failed: a folder, the disk, the database, the seal."""


class StoreNotWritable(EnvironmentFailure):
    """A file or folder of the store cannot be written (read-only, or not ours)."""


class StoreNotReady(EnvironmentFailure):
    """There is no store yet, or it was never brought to this release's schema."""


class StoreFromNewerRelease(EnvironmentFailure):
    """The store was migrated by a newer release of the service than this one."""


class StoreNotMadeByAlembic(EnvironmentFailure):
    """The database holds the tables but no schema revision: made by hand, not ``init``."""


class DatabaseUnreachable(EnvironmentFailure):
    """The database server does not answer, or the database named does not exist."""


class DiskFull(EnvironmentFailure):
    """No space left where a file or the database is written."""


class SealUnavailable(EnvironmentFailure):
    """The seal's key or certificate is missing or cannot be read."""


def database_place(url: str) -> str:
    """How a person names the database of ``url``: its file, or server and database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite file {parsed.database}"
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    return f"the database {parsed.database!r} on the PostgreSQL server at {where}"


def _folder_of(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def os_failure(error: OSError, path: Path | str | None = None) -> EnvironmentFailure | None:
    """The typed failure for an ``OSError`` met on ``path``; None for one that is not the
    machine's (a bug, say)."""
    named = Path(path) if path is not None else (
        Path(error.filename) if error.filename else None)
    where = f"{named}" if named is not None else "the store's folder"
    if error.errno == errno.ENOSPC or error.errno == errno.EDQUOT:
        return DiskFull(f"There is no space left on the disk holding {where}: free some "
                        "space (or raise the quota) and run the command again; nothing "
                        "was left half-written.")
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        folder = _folder_of(named) if named is not None else where
        return StoreNotWritable(f"{where} cannot be written ({os.strerror(error.errno)}): "
                                f"make {folder} writable by this user, or point "
                                "APPRAISAL_HOME at a folder that is.")
    return None


def _database_failure(error: DBAPIError, url: str | None) -> EnvironmentFailure | None:
    text = str(error.orig or error).lower()
    place = database_place(url) if url else "the database"
    if "database or disk is full" in text or "could not extend file" in text or (
            "no space left" in text):
        return DiskFull(f"There is no space left for {place}: free some space on its disk "
                        "and run the command again; the change was not saved.")
    if "disk i/o error" in text:
        # What SQLite says when the disk fills under its write-ahead log or shared memory.
        return DiskFull(f"Writing {place} failed with a disk I/O error: its disk is full or "
                        "failing; free some space (or check the disk) and run the command "
                        "again; the change was not saved.")
    if "readonly database" in text or "read-only" in text or "unable to open database" in text:
        return StoreNotWritable(f"{place} cannot be written: make it and its folder "
                                "writable by this user, or point APPRAISAL_HOME at a "
                                "folder that is.")
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return StoreNotReady(f"{place} holds no appraisal store yet: run `appraisal init` "
                             "to create it.")
    if "does not exist" in text and "database" in text:
        return DatabaseUnreachable(f"{place} does not exist: create it (createdb) or "
                                   "correct APPRAISAL_DATABASE_URL, then run "
                                   "`appraisal init`.")
    if any(sign in text for sign in (
            "connection refused", "could not connect", "connection to server",
            "timeout expired", "could not translate host name", "server closed the connection",
            "name or service not known", "no route to host")):
        return DatabaseUnreachable(f"{place} does not answer: start the server or correct "
                                   "APPRAISAL_DATABASE_URL, and run the command again.")
    if "password authentication failed" in text or ("role" in text and "does not exist" in text):
        return DatabaseUnreachable(f"{place} refused the connection (wrong user or "
                                   "password): correct APPRAISAL_DATABASE_URL.")
    return None


def environment_failure(error: BaseException, *,
                        database_url: str | None = None) -> EnvironmentFailure | None:
    """The typed failure behind ``error`` (or anything it was raised from), if the
    machine around us caused it; None otherwise.

    Args:
        error: What was raised.
        database_url: The configured database, to name it in the sentence.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, EnvironmentFailure):
            return current
        if isinstance(current, DBAPIError):
            found = _database_failure(current, database_url)
            if found is not None:
                return found
        elif isinstance(current, OSError) and not isinstance(current, SQLAlchemyError):
            found = os_failure(current)
            if found is not None:
                return found
        current = current.__cause__ or current.__context__
    return None


def write_atomically(path: Path, content: bytes) -> Path:
    """Write ``content`` to ``path`` under a temporary name in the same folder, then
    rename it into place: a reader never sees half a file, and a failure (a full disk,
    a read-only folder) leaves no temporary file behind.

    Raises:
        DiskFull, StoreNotWritable: The file could not be written; nothing was left.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(content)
        os.replace(temporary, path)
    except OSError as error:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass  # the folder refuses even that: then nothing was written in it either
        failure = os_failure(error, path)
        if failure is None:
            raise
        raise failure from error
    return path
