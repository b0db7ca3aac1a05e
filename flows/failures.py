"""A flow run that the machine around it fails ends Failed with one sentence, not a traceback.

The commands map the store's typed environment failures (``appraisal_store.environment``)
to a sentence and exit 1; a flow run that Prefect starts itself (a served or deployed
deployment) has no command around it, and Prefect's engine logs the traceback of whatever
the flow raises, twice (once as the flow fails, once as the run's process ends). Here
the flows' entry points do the same mapping:

- ``fails_with_a_sentence`` wraps a flow's function: an environment failure (or an
  ``OSError`` or database error behind one) is logged as its one sentence and the function
  returns a Failed state with that sentence as its message and the typed failure as its
  data, so the run ends Failed with the sentence, and a caller of the flow in its own
  process (the commands) still gets the typed failure raised;
- ``SentenceOnly``, a logging filter on Prefect's run and engine loggers, takes the
  traceback off the engine's records of such a failure (the failure itself is the message);
  the flows install it on import, in every process that runs them.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from appraisal_store.environment import EnvironmentFailure, environment_failure

__all__ = ["SentenceOnly", "fails_with_a_sentence", "install_sentence_filter"]

P = ParamSpec("P")
R = TypeVar("R")
log = logging.getLogger("flows")
# Prefect's loggers that record a flow's or task's exception with its traceback.
ENGINE_LOGGERS = ("prefect.flow_runs", "prefect.task_runs", "prefect.engine",
                  "prefect.flow_engine")


def _failure_of(error: BaseException) -> EnvironmentFailure | None:
    from appraisal_store.config import settings

    try:
        url: str | None = settings().database
    except Exception:  # noqa: BLE001 - the settings themselves may be what failed
        url = None
    return environment_failure(error, database_url=url)


def fails_with_a_sentence(function: Callable[P, R]) -> Callable[P, R]:
    """Wrap a flow's function so an environment failure ends its run Failed with the
    failure's sentence (see the module's docstring); anything else is raised as it was."""

    @functools.wraps(function)
    def entry_point(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except Exception as error:
            failure = _failure_of(error)
            if failure is None:
                raise
            from prefect.states import Failed

            log.error("%s", failure)
            # A flow may return its final state; the engine then raises ``data`` to a
            # caller in this process, as it would the exception.
            return Failed(message=str(failure), data=failure)  # type: ignore[return-value]  # a flow's function may return its final state

    # Prefect builds the parameters' model from the signature and resolves what is left as
    # text in this module's namespace, not the flow's: hand it the types themselves.
    entry_point.__signature__ = inspect.signature(function, eval_str=True)  # type: ignore[attr-defined]  # read by inspect.signature
    return entry_point


class SentenceOnly(logging.Filter):
    """Drop the traceback of a record whose exception is an environment failure, and say
    the failure's sentence instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info or record.exc_info[1] is None:
            return True
        failure = _failure_of(record.exc_info[1])
        if failure is None:
            return True
        record.msg, record.args = "%s", (str(failure),)
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


_installed = False


def install_sentence_filter() -> None:
    """Put ``SentenceOnly`` on Prefect's engine loggers, once per process."""
    global _installed
    if _installed:
        return
    sentence_only = SentenceOnly()
    for name in ENGINE_LOGGERS:
        logging.getLogger(name).addFilter(sentence_only)
    _installed = True
