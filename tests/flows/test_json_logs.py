"""In a flow run, each JSON log line names the flow run (APPRAISAL_LOG_FORMAT=json)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from prefect import flow

from appraisal_store.logs import configure_logging


@flow(name="log-a-line", persist_result=False)
def log_a_line() -> str:
    from prefect.runtime import flow_run

    logging.getLogger("flows.test").info("Sealing %s records", 3)
    return str(flow_run.id)


@pytest.fixture(name="json_logs")
def json_logs_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("APPRAISAL_LOG_FORMAT", "json")
    loggers = [logging.getLogger(n) for n in ("", "uvicorn", "uvicorn.error", "uvicorn.access",
                                              "fastapi", "prefect")]
    saved = [(logger, list(logger.handlers), logger.propagate, logger.level)
             for logger in loggers]
    configure_logging()
    yield
    for logger, handlers, propagate, level in saved:
        logger.handlers[:] = handlers
        logger.propagate, logger.level = propagate, level


def test_a_flow_runs_log_lines_carry_its_id(prefect_harness: None, json_logs: None,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    run_id = log_a_line()

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()
             if line.startswith("{")]
    [line] = [line for line in lines if line["logger"] == "flows.test"]
    assert line["message"] == "Sealing 3 records"
    assert line["flow_run_id"] == run_id
    assert line["level"] == "INFO" and "request_id" not in line
