"""Measurement 9: opening multi-source feedback rounds at national scale, against its floor.

The national dataset is loaded and its cycle opened (untimed); then the real
``open_feedback_rounds`` flow opens a round for every appraisal with 8 respondents each
(their board colleagues), through the services: rounds, respondents with hashed links, the
audit events and one invitation per respondent. The floor is a plain batched insert of the
same rows (Core ``executemany`` in batches of 2,000, in one transaction), after the flow's
rows have been deleted. Goal: the flow within 3 times its floor, on each store.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from .results import Entry, with_floor
from .scale import PREFECT_SETTLE_S

if TYPE_CHECKING:
    from .stores import Store

RATIO_GOAL = 3.0
RESPONDENTS = 8


def _tables() -> list[Any]:
    from appraisal_store.feedback_tables import FeedbackRespondent, FeedbackRound
    from appraisal_store.models import AuditEvent, OutboxMessage

    return [FeedbackRound, FeedbackRespondent, AuditEvent, OutboxMessage]


def floor_of_opening(bind: Engine, first_event_id: int) -> tuple[float, int]:
    """The rows the opening wrote, deleted and written again by a plain batched insert;
    returns (seconds of the insert, rows written). The store ends as it was."""
    from appraisal_store.models import AuditEvent, OutboxMessage

    rounds, respondents, events, messages = _tables()
    ours = {rounds: None, respondents: None,
            events: AuditEvent.id >= first_event_id,  # type: ignore[operator]
            messages: OutboxMessage.template == "feedback_invitation"}
    with bind.connect() as connection:
        rows = {table: [dict(r._mapping) for r in connection.execute(
            select(table.__table__) if where is None
            else select(table.__table__).where(where))]
            for table, where in ours.items()}
    with bind.begin() as connection:
        for table in reversed(list(ours)):
            where = ours[table]
            connection.execute(delete(table) if where is None else delete(table).where(where))
    started = time.perf_counter()
    with bind.begin() as connection:
        for table in ours:
            batch = rows[table]
            for start in range(0, len(batch), 2000):
                connection.execute(insert(table.__table__), batch[start:start + 2000])
    return time.perf_counter() - started, sum(len(r) for r in rows.values())


def measure_feedback(store: Store, size: int, settle_seconds: float = PREFECT_SETTLE_S
                     ) -> list[dict[str, Any]]:
    """Fill ``store`` with ``size`` appraisals, open their cycle, then time the flow that
    opens every feedback round, and its floor (after ``settle_seconds`` untimed)."""
    from appraisal_store.engines import engine
    from appraisal_store.feedback_tables import FeedbackRespondent, FeedbackRound
    from appraisal_store.models import OutboxMessage
    from flows.feedback import cycle_appraisal_ids, run_open_feedback_rounds

    from . import cycle, dataset
    from .stores import store_in_use

    with store_in_use(store):
        bind = engine()
        data = dataset.load(bind, size)
        cycle.warm_up_prefect()
        cycle.open_national_cycle(data.organisations)
        ids = cycle_appraisal_ids(year=dataset.YEAR, organisation_codes=None)
        first = cycle.last_event_id(bind) + 1
        time.sleep(settle_seconds)  # untimed: let Prefect record the opening's runs
        started = time.perf_counter()
        opened = run_open_feedback_rounds(appraisal_ids=ids, today=dataset.OPENED_ON,
                                          most_respondents=RESPONDENTS)
        seconds = time.perf_counter() - started
        counts = {"rounds": cycle.count(bind, FeedbackRound),
                  "respondents": cycle.count(bind, FeedbackRespondent),
                  "messages": cycle.count(bind, OutboxMessage)}
        floor, floor_rows = floor_of_opening(bind, first)
    entry = with_floor(Entry("9 open feedback rounds", round(seconds, 4), "s", store.database,
                             size, note="flow flows.feedback.run_open_feedback_rounds",
                             details={**counts, "invited": opened.invited,
                                      "floor_rows": floor_rows}), round(floor, 4))
    entry.goal = f"ratio <= {RATIO_GOAL:g}"
    entry.met = entry.ratio is not None and entry.ratio <= RATIO_GOAL
    return [asdict(entry)]
