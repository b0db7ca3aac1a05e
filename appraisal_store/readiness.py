"""Is this machine ready to do its part: the checks behind ``/readyz`` and ``appraisal health``.

Each check answers with one :class:`Check`: a name, whether it passed, and one sentence
(what was found, or what is wrong and where). None raises: a failure of the machine
around us is the answer, not an error.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url

__all__ = ["Check", "database_check", "head_revision", "migrations_check", "prefect_check",
           "run_check", "smtp_check"]


@dataclass(frozen=True)
class Check:
    """One check's verdict; ``detail`` is a sentence a person can act on."""

    name: str
    ok: bool
    detail: str


def run_check(name: str, check: Callable[[], str]) -> Check:
    """Run ``check`` (which returns what it found or raises): its sentence, or the failure's."""
    try:
        return Check(name, True, check())
    except Exception as error:  # noqa: BLE001 - a health check reports, never raises
        message = getattr(error, "message", None) or str(error) or error.__class__.__name__
        return Check(name, False, message.splitlines()[0])


def _where(bind: Engine) -> str:
    url = make_url(str(bind.url))
    if url.get_backend_name() == "sqlite":
        return f"the SQLite store {url.database}"
    return f"the database {url.database or ''} on {url.host or 'localhost'}:{url.port or 5432}"


def database_check(bind: Engine) -> Check:
    """The store answers a trivial query."""
    def check() -> str:
        try:
            with bind.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:
            cause = str(getattr(error, "orig", error)).strip().splitlines()
            raise RuntimeError(f"{_where(bind)} does not answer: "
                               f"{cause[0] if cause else error.__class__.__name__}") from error
        return f"{_where(bind)} answers."
    return run_check("database", check)


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration this release ships (read once: the files do not change)."""
    from .schema import head_revision as newest

    return newest()


def migrations_check(bind: Engine) -> Check:
    """The store's schema is this release's newest."""
    def check() -> str:
        from .schema import current_revision

        current, newest = current_revision(bind), head_revision()
        if current is None:
            raise RuntimeError(f"{_where(bind)} has no schema: run `appraisal init`.")
        if current != newest:
            raise RuntimeError(f"{_where(bind)} is at schema {current}, this release needs "
                               f"{newest}: run `appraisal init`.")
        return f"The schema is current ({current})."
    return run_check("migrations", check)


def smtp_check(url: str | None, *, required: bool, timeout: float = 5.0) -> Check:
    """The mail server at ``url`` greets us and answers NOOP (nothing is sent)."""
    def check() -> str:
        if not url:
            if required:
                raise RuntimeError("APPRAISAL_SMTP_URL is not set: in production email goes "
                                   "by SMTP only.")
            return "APPRAISAL_SMTP_URL is not set: messages are written as .eml files."
        parts = urlsplit(url)
        host, port = parts.hostname or "localhost", parts.port or 25
        try:
            with smtplib.SMTP(host, port, timeout=timeout) as server:
                code, answer = server.noop()
        except (OSError, smtplib.SMTPException) as error:
            raise RuntimeError(f"The mail server {host}:{port} does not answer: "
                               f"{error}") from error
        if code != 250:
            raise RuntimeError(f"The mail server {host}:{port} answered NOOP with {code} "
                               f"{answer.decode(errors='replace')}.")
        user = f" (as {unquote(parts.username)})" if parts.username else ""
        return f"The mail server {host}:{port} answers{user}."
    return run_check("smtp", check)


def prefect_check(*, required: bool) -> Check:
    """The Prefect API at ``PREFECT_API_URL`` answers an authenticated request."""
    def check() -> str:
        from prefect.settings import PREFECT_API_URL

        api_url = PREFECT_API_URL.value()
        if not api_url:
            if required:
                raise RuntimeError("PREFECT_API_URL is not set: a worker needs the shared "
                                   "Prefect server.")
            return "PREFECT_API_URL is not set: flows run on a temporary local Prefect server."
        from prefect.client.orchestration import get_client

        try:
            with get_client(sync_client=True) as client:
                # /health answers without credentials; /hello needs them.
                client.hello()
        except Exception as error:
            status = getattr(getattr(error, "response", None), "status_code", None)
            if status == 401:
                raise RuntimeError(f"The Prefect API at {api_url} refused the credentials: "
                                   "check PREFECT_API_AUTH_STRING.") from error
            raise RuntimeError(f"The Prefect API at {api_url} does not answer: "
                               f"{error}") from error
        return f"The Prefect API at {api_url} answers."
    return run_check("prefect", check)
