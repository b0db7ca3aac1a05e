"""How every process of ours logs: the portal, the commands and the flows' processes.

With ``APPRAISAL_LOG_FORMAT=json`` each log record is one JSON object on one line of
standard error, with ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, and when
known the portal request's ``request_id``, the signed-in person's ``person_id`` (their
id only: never a name, an email or anything they wrote) and the Prefect ``flow_run_id``.
Otherwise the handlers are left as Prefect and uvicorn set them (console text).

The request's context is one mutable object in a context variable: FastAPI runs each
dependency and page in a thread with a copy of the context, so a value set there would not
be seen by the next; the object they all share is.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["JsonLines", "LogContext", "begin_request", "configure_logging", "end_request",
           "note_person"]

# Loggers that frameworks give handlers of their own (and stop from propagating).
_FRAMEWORK_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "fastapi", "prefect")


@dataclass
class LogContext:
    """What the log lines of one portal request carry."""

    request_id: str
    person_id: int | None = None


_request: ContextVar[LogContext | None] = ContextVar("appraisal_log_request", default=None)


def begin_request(request_id: str) -> Token[LogContext | None]:
    """Start the log context of a request (the portal's middleware)."""
    return _request.set(LogContext(request_id))


def end_request(token: Token[LogContext | None]) -> None:
    _request.reset(token)


def note_person(person_id: int) -> None:
    """The request is a signed-in person's: their id goes on its log lines from now on."""
    context = _request.get()
    if context is not None:
        context.person_id = person_id


def _flow_run_id() -> str | None:
    if "prefect.context" in sys.modules:  # never import Prefect for a log line
        from prefect.context import FlowRunContext

        context = FlowRunContext.get()
        if context is not None and context.flow_run is not None:
            return str(context.flow_run.id)
    # A worker starts each flow run in a process of its own, named in the environment.
    return os.environ.get("PREFECT__FLOW_RUN_ID")


class JsonLines(logging.Formatter):
    """One JSON object a log record (see the module's docstring for the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = _request.get()
        if context is not None:
            line["request_id"] = context.request_id
            if context.person_id is not None:
                line["person_id"] = context.person_id
        flow_run_id = _flow_run_id()
        if flow_run_id:
            line["flow_run_id"] = flow_run_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _JsonHandler(logging.StreamHandler):  # type: ignore[type-arg]  # generic in the stubs only
    """Ours, so that configuring twice adds no second one (and Prefect leaves it be).

    Writes to whatever ``sys.stderr`` is when the record comes (a service manager's, or
    a test's capture), not the stream there was when logging was configured.
    """

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _console(handler: logging.Handler) -> bool:
    """uvicorn's and Prefect's text handlers (not Prefect's API handler, nor a test's)."""
    return isinstance(handler, logging.StreamHandler) and not isinstance(
        handler, _JsonHandler) and (type(handler) is logging.StreamHandler
                                    or type(handler).__module__.startswith("prefect."))


def _wants_json() -> bool:
    # Read directly: this runs when ``flows`` is imported, before any settings are loaded.
    return os.environ.get("APPRAISAL_LOG_FORMAT", "").strip().lower() == "json"


def configure_logging(*, level: int = logging.INFO) -> None:
    """Send every log record to standard error as JSON lines when ``APPRAISAL_LOG_FORMAT``
    is ``json``; otherwise do nothing. Idempotent; call it after uvicorn or Prefect have
    set up their logging (they replace the root's handlers when they do).

    Prefect's handlers that send flow-run logs to its server are kept; only the console
    handlers (text) are replaced.
    """
    if not _wants_json():
        return
    root = logging.getLogger()
    ours = next((h for h in root.handlers if isinstance(h, _JsonHandler)), None)
    for handler in list(root.handlers):
        if _console(handler):
            root.removeHandler(handler)
    if ours is None:
        ours = _JsonHandler(sys.stderr)
        ours.setFormatter(JsonLines())
        root.addHandler(ours)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    for name in _FRAMEWORK_LOGGERS:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if _console(handler):
                logger.removeHandler(handler)
        logger.propagate = True
