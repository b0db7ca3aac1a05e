"""How our flows run under Prefect: no heartbeat, no persisted results.

The default flow heartbeat delays the end of every synchronous flow and only code can
turn it off; persisting results by default made mapped work erratic (bench/FINDINGS.md).
``flow_settings()`` turns both off.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


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
