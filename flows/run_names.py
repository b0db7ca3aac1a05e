"""Readable names for flow runs, so that Prefect's UI lists ``route-appraisal-APR-13`` and
``daily-reminders-2026-02-02`` rather than generated names like ``able-unicorn``.

Each function is a flow's ``flow_run_name``: Prefect calls it as the run starts, and it
reads the run's parameters; a parameter left to its default (today, now) is named by the
day in England.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

ENGLAND = ZoneInfo("Europe/London")


def _parameters() -> dict[str, object]:
    from prefect.runtime import flow_run

    return dict(flow_run.parameters or {})


def _day(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(ENGLAND).date().isoformat() if value.tzinfo else \
            value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value:
        return value[:10]
    return datetime.now(ENGLAND).date().isoformat()


def _moment() -> str:
    return datetime.now(ENGLAND).strftime("%Y-%m-%d-%H%M%S")


def daily_reminders_run() -> str:
    return f"daily-reminders-{_day(_parameters().get('today'))}"


def route_appraisal_run() -> str:
    return f"route-appraisal-APR-{_parameters().get('appraisal_id')}"


def send_outbox_run() -> str:
    parameters = _parameters()
    if parameters.get("appraisal_id") is not None:
        return f"send-outbox-APR-{parameters['appraisal_id']}"
    return f"send-outbox-{_moment()}"


def open_cycle_run() -> str:
    return f"open-cycle-{_year_and_organisations()}"


def close_cycle_run() -> str:
    return f"close-cycle-{_year_and_organisations()}"


def _year_and_organisations() -> str:
    parameters = _parameters()
    codes = list(parameters.get("organisation_codes") or [])  # type: ignore[call-overload]  # Prefect: objects
    which = codes[0] if len(codes) == 1 else f"{len(codes)}-organisations"
    return f"{str(parameters.get('year', '')).replace('/', '-')}-{which}"


def seal_records_run() -> str:
    return f"seal-records-{_moment()}"


def seal_batches_run() -> str:
    chunks = _parameters().get("chunks") or []
    return f"seal-batches-{len(list(chunks))}"  # type: ignore[call-overload]  # Prefect: objects
