"""Measurements 1, 2 and the flows' half of 5 at one size on one database, in a process of
its own.

The process is the "flow process" of measurement 5: it fills the store, runs the opening
and the sweep, and its peak resident set is read from the kernel afterwards. The store is
kept for the portal's load (``bench.portal_bench.measure_portal_at_sizes``), which runs once
every size is ready.
"""

from __future__ import annotations

import resource
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from .results import Entry, at_most, with_floor

if TYPE_CHECKING:
    from .dataset import Dataset
    from .stores import Store

OPEN_GOAL_S = 5.0
SWEEP_GOAL_S = 2.0
RSS_GOAL_MB = 300.0
PREFECT_SETTLE_S = 2.0
GOAL_SIZE = 10_000  # the time goals are stated for the national headroom size


def measure_flows(store: Store, size: int, settle_seconds: float = PREFECT_SETTLE_S
                  ) -> tuple[list[dict[str, Any]], Dataset]:
    """Fill ``store`` with ``size`` appraisals' boards and measure the opening and the sweep.

    Returns the entries as plain dicts, and the dataset for the portal's load.

    Args:
        settle_seconds: the untimed pause before each of the two flows (see below).
    """
    from appraisal_store.engines import engine
    from appraisal_store.models import Appraisal, OutboxMessage

    from . import cycle, dataset
    from .stores import store_in_use

    database = store.database

    entries: list[Entry] = []

    def entry(name: str, figure: float | None, unit: str, **kw: Any) -> Entry:
        made = Entry(name, None if figure is None else round(figure, 4), unit, database, size,
                     **kw)
        entries.append(made)
        return made

    with store_in_use(store):
        bind = engine()
        started = time.perf_counter()
        data = dataset.load(bind, size)
        entry("dataset load (Core bulk insert)", time.perf_counter() - started, "s",
              details={"organisations": len(data.organisations), "people": data.people})
        cycle.warm_up_prefect()

        first = cycle.last_event_id(bind) + 1
        time.sleep(settle_seconds)
        started = time.perf_counter()
        what = cycle.open_national_cycle(data.organisations)
        opened = time.perf_counter() - started
        last = cycle.last_event_id(bind)
        appraisals = cycle.count(bind, Appraisal)
        invitations = cycle.count(bind, OutboxMessage)

        # Untimed: let Prefect's temporary server finish recording the opening's runs. A flow
        # started while it still writes them can meet its SQLite lock and get a 503, which
        # Prefect's client retries after about two seconds (seen in runs back to back).
        time.sleep(settle_seconds)
        started = time.perf_counter()
        queued, sweep_what = cycle.sweep_reminders()
        swept = time.perf_counter() - started
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        floor, floor_rows = cycle.floor_of_open(bind, first, last)
        open_entry = with_floor(entry(
            "1 open national cycle", opened, "s", note=what,
            details={"appraisals": appraisals, "invitations": invitations,
                     "floor_rows": floor_rows,
                     "per_appraisal_ms": round(opened / max(appraisals, 1) * 1000, 4)}),
            round(floor, 4))
        sweep_entry = entry(
            "2 daily reminder sweep", None if queued is None else swept, "s", note=sweep_what,
            details={"open_appraisals": appraisals, "queued": queued,
                     "per_appraisal_ms": round(swept / max(appraisals, 1) * 1000, 4)})
        if size >= GOAL_SIZE:
            at_most(open_entry, OPEN_GOAL_S)
            if queued is not None:
                at_most(sweep_entry, SWEEP_GOAL_S)
        at_most(entry("5 flow process peak RSS", peak_kb / 1024, "MB",
                      note="open + sweep process (includes generating the dataset)"),
                RSS_GOAL_MB)
    return [asdict(e) for e in entries], data
