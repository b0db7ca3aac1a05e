"""A flow run Prefect starts itself (a served or deployed deployment's) that the machine
around it fails ends Failed with the failure's one sentence, and neither its process's
output nor the run's logs in Prefect hold a traceback.

Each run is a real deployment's run, executed as Prefect's runner and process worker
execute one: ``python -m prefect.engine`` in a process of its own, with the settings in
its environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from appraisal_store import config
from tests.flows.conftest import free_port

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


def run_as_prefect_does(flow: Any, name: str, parameters: dict[str, Any],
                        env: dict[str, str]) -> tuple[Any, str, list[str]]:
    """Register ``flow`` as the deployment ``name``, ask for a run and execute it in its own
    process as a worker would; returns the finished run, the process's output and the
    messages of the run's logs in Prefect."""
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.deployments import run_deployment
    from prefect.settings import get_current_settings
    from prefect.types.entrypoint import EntrypointType

    flow.to_deployment(name=name, entrypoint_type=EntrypointType.MODULE_PATH).apply()
    run = run_deployment(f"{flow.name}/{name}", parameters=parameters, timeout=0)
    environment = {**os.environ,
                   **get_current_settings().to_environment_variables(exclude_unset=True),
                   **env, "PREFECT__FLOW_RUN_ID": str(run.id)}
    done = subprocess.run([sys.executable, "-m", "prefect.engine"], env=environment,
                          capture_output=True, text=True, timeout=240)
    with get_client(sync_client=True) as client:
        finished = client.read_flow_run(run.id)
        logs = client.read_logs(log_filter=LogFilter(
            flow_run_id=LogFilterFlowRunId(any_=[run.id])))
    return finished, done.stdout + done.stderr, [entry.message for entry in logs]


def assert_one_sentence(finished: Any, output: str, logs: list[str], sentence: str) -> None:
    assert finished.state.is_failed(), finished.state
    assert finished.state.message == sentence
    for text in (output, *logs):
        assert "Traceback" not in text, text
    assert any(sentence in message for message in logs), logs


def test_a_deployed_sealing_run_without_its_database_fails_with_the_sentence(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.sealing import seal_records

    port = free_port()  # nothing listens there
    url = f"postgresql+psycopg://appraisal@127.0.0.1:{port}/appraisal"
    finished, output, logs = run_as_prefect_does(
        seal_records, "without-its-database", {"limit": 5},
        {"APPRAISAL_DATABASE_URL": url, "APPRAISAL_HOME": str(home)})
    assert_one_sentence(finished, output, logs, _sentence_for(url))


def _sentence_for(url: str) -> str:
    from appraisal_store.environment import DatabaseUnreachable, environment_failure

    try:
        from sqlalchemy import create_engine, text

        with create_engine(url).connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:  # noqa: BLE001 - the failure to compare with
        failure = environment_failure(error, database_url=url)
        assert isinstance(failure, DatabaseUnreachable)
        return str(failure)
    raise AssertionError(f"{url} answered")


def test_a_served_reminder_sweep_on_a_store_never_made_fails_with_the_sentence(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.reminder_sweep import daily_reminders

    config.settings.cache_clear()  # a home with no store in it: `appraisal init` never ran
    finished, output, logs = run_as_prefect_does(
        daily_reminders, "on-no-store", {}, {"APPRAISAL_HOME": str(home)})
    assert finished.state.is_failed(), finished.state
    assert "appraisal init" in (finished.state.message or ""), finished.state.message
    assert_one_sentence(finished, output, logs, finished.state.message or "")
