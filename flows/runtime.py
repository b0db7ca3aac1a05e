"""How our flows run under Prefect: no heartbeat, no persisted results, and fault points.

The default flow heartbeat delays the end of every synchronous flow and only code can
turn it off; persisting results by default made mapped work erratic (bench/FINDINGS.md).
``flow_settings()`` turns both off.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")
FAULT_VARIABLE = "APPRAISAL_FAULT"
_reached: Counter[str] = Counter()
_progress: ContextVar[Callable[[int], None] | None] = ContextVar("progress", default=None)


@contextmanager
def progress_to(advance: Callable[[int], None]) -> Iterator[None]:
    """Send the enclosed flows' progress (units of work done) to ``advance``, e.g. a bar."""
    token = _progress.set(advance)
    try:
        yield
    finally:
        _progress.reset(token)


def report_progress(done: int) -> None:
    """Tell the caller's progress display that ``done`` more units are finished."""
    advance = _progress.get()
    if advance is not None:
        advance(done)


@contextmanager
def flow_settings() -> Iterator[None]:
    """Run the enclosed flows without the heartbeat and without persisting results."""
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_RESULTS_PERSIST_BY_DEFAULT,
        temporary_settings,
    )

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
                                     PREFECT_RESULTS_PERSIST_BY_DEFAULT: False}):
        yield


def fault_point(name: str) -> None:
    """Kill this process with SIGKILL when ``APPRAISAL_FAULT`` asks for it at this point.

    ``APPRAISAL_FAULT=kill-after-send:3`` kills the process the third time it reaches
    ``fault_point("kill-after-send")``. Used only by the fault tests, to prove a re-run
    finishes the job; unset, this costs one environment lookup.
    """
    wanted = os.environ.get(FAULT_VARIABLE)
    if not wanted:
        return
    point, _, count = wanted.partition(":")
    if point != name:
        return
    _reached[name] += 1
    if _reached[name] >= int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def batches(items: list[T], *, most_batches: int = 20, least_size: int = 100) -> list[list[T]]:
    """Split ``items`` into at most ``most_batches`` batches of at least ``least_size``.

    Keeps Prefect task runs per flow run to tens whatever the number of appraisals (the
    SQLite-backed server records task runs slowly; bench/FINDINGS.md).
    """
    if not items:
        return []
    size = max(least_size, -(-len(items) // most_batches))
    return [items[start:start + size] for start in range(0, len(items), size)]
