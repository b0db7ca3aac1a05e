"""Measurements 1 and 2: opening the national cycle (against its floor) and the reminder sweep.

Each measurement goes through one small adapter, so that a change in ``flows`` touches one
function here.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Engine

from appraisal_store.models import Appraisal, AuditEvent, Cycle, OutboxMessage

from .dataset import OPENED_ON, REMINDER_DAY, YEAR


def open_national_cycle(codes: list[str]) -> str:
    """Open ``YEAR`` for every organisation through the real flow; returns what ran."""
    from flows.cycle import run_open_cycle

    run_open_cycle(year=YEAR, organisation_codes=codes, today=OPENED_ON)
    return "flow flows.cycle.run_open_cycle"


def sweep_reminders(today: date = REMINDER_DAY) -> tuple[int | None, str]:
    """Run the daily reminder sweep; returns (messages queued, what ran)."""
    from flows.reminder_sweep import run_daily_reminders

    return run_daily_reminders(today=today), "flow flows.reminder_sweep.daily_reminders"


def warm_up_prefect() -> None:
    """Pay the imports (Prefect's, the flows' modules) and Prefect's first API round trips
    outside any timing: a weekend sweep, and the open flow's module imported once."""
    sweep_reminders(date(2026, 1, 31))
    import flows.cycle  # noqa: F401


def count(bind: Engine, table: Any) -> int:
    with bind.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


_OPENED_TABLES = (Cycle, Appraisal, AuditEvent, OutboxMessage)


def floor_of_open(bind: Engine, first_event_id: int, last_event_id: int) -> tuple[float, int]:
    """The rows the opening wrote, deleted and written again by a plain batched insert.

    The opening's rows are the cycles, the appraisals, the audit events from
    ``first_event_id`` to ``last_event_id`` and the invitations. Rows written since (the
    reminder sweep's) are put back untimed. Returns (seconds of the insert, rows written);
    the store ends as it was.
    """
    tables = {t: t.__table__ for t in _OPENED_TABLES}  # type: ignore[attr-defined]
    opened_event = AuditEvent.id.between(first_event_id, last_event_id)  # type: ignore[union-attr]
    invitation = OutboxMessage.template == "invitation"
    with bind.connect() as connection:
        def rows(statement: Any) -> list[dict[str, Any]]:
            return [dict(r._mapping) for r in connection.execute(statement)]

        opened = {
            Cycle: rows(select(tables[Cycle])),
            Appraisal: rows(select(tables[Appraisal])),
            AuditEvent: rows(select(tables[AuditEvent]).where(opened_event)),
            OutboxMessage: rows(select(tables[OutboxMessage]).where(invitation)),
        }
        later = {
            AuditEvent: rows(select(tables[AuditEvent]).where(AuditEvent.id > last_event_id)),
            OutboxMessage: rows(select(tables[OutboxMessage]).where(~invitation)),
        }
    with bind.begin() as connection:
        connection.execute(delete(OutboxMessage))
        connection.execute(delete(AuditEvent).where(AuditEvent.id >= first_event_id))  # type: ignore[arg-type]
        connection.execute(delete(Appraisal))
        connection.execute(delete(Cycle))

    def write(batches: dict[Any, list[dict[str, Any]]]) -> int:
        with bind.begin() as connection:
            for table in _OPENED_TABLES:
                batch = batches.get(table, [])
                for start in range(0, len(batch), 2000):
                    connection.execute(insert(tables[table]), batch[start:start + 2000])
        return sum(len(b) for b in batches.values())

    started = time.perf_counter()
    written = write(opened)
    seconds = time.perf_counter() - started
    write(later)
    return seconds, written


def last_event_id(bind: Engine) -> int:
    with bind.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.max(AuditEvent.id), 0)))
                   .scalar_one())


