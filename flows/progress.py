"""The flows' progress (units of work done), sent to whatever display the caller set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

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
