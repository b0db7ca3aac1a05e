"""Prefect's log lines and tracebacks stay off the operator's console unless ``--verbose``.

A command says what happened in its own words (and the CLI turns errors into one line);
Prefect's INFO lines, its events worker's warnings and a failed flow run's traceback would
drown that. The flow runs' logs still reach the Prefect server (its UI shows them): only
the console handlers are raised to CRITICAL. Before Prefect is imported that is done
through its logging settings in the environment (read when it configures logging, here
and in any process the command starts); once imported, on its handlers directly.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

# Prefect's logging.yml: "console" carries the root, uvicorn and fastapi loggers, "debug"
# the internal ones.
_ENVIRONMENT = ("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "PREFECT_LOGGING_HANDLERS_DEBUG_LEVEL")
_LOGGERS = ("", "uvicorn", "fastapi", "prefect._internal")
_undo: list[Callable[[], None]] = []


def _prefect_handlers() -> list[logging.Handler]:
    if "prefect.logging.handlers" not in sys.modules:
        return []
    from prefect.logging.handlers import PrefectConsoleHandler

    found: list[logging.Handler] = []
    for name in _LOGGERS:
        for handler in logging.getLogger(name).handlers:
            if handler not in found and (isinstance(handler, PrefectConsoleHandler) or
                                         type(handler).__module__.startswith("prefect.")):
                found.append(handler)
    return found


def quiet_prefect_console() -> None:
    """Raise Prefect's console handlers to CRITICAL until ``restore_prefect_console``."""
    if _undo:
        return
    previous_environment = {name: os.environ.get(name) for name in _ENVIRONMENT}
    for name in _ENVIRONMENT:
        os.environ.setdefault(name, "CRITICAL")
    handlers = _prefect_handlers()
    previous_levels = [handler.level for handler in handlers]
    for handler in handlers:
        handler.setLevel(logging.CRITICAL)

    def undo() -> None:
        for name, value in previous_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for handler, level in zip(handlers, previous_levels, strict=True):
            handler.setLevel(level)
        # Handlers Prefect made after the quieting read the environment: give them back
        # the level its logging.yml gives them (all records).
        if previous_environment[_ENVIRONMENT[0]] is None:
            for handler in _prefect_handlers():
                if handler not in handlers and handler.level == logging.CRITICAL:
                    handler.setLevel(logging.NOTSET)

    _undo.append(undo)


def restore_prefect_console() -> None:
    """Prefect's console logging as it was (long-running servers keep theirs)."""
    while _undo:
        _undo.pop()()
