"""What the deployments declare: module-path entrypoints, one run at a time, heartbeats for
workers only, and serving that never pauses the schedules."""

from __future__ import annotations

import inspect
from datetime import timedelta

import pytest

from appraisal_store.errors import DeploymentError
from flows import deployments as deployed


def test_worker_deployments_name_their_flows_by_module_and_run_one_at_a_time() -> None:
    made = {d.name: d for d in deployed.deployments(heartbeat_seconds=30)}
    assert {name: d.entrypoint for name, d in made.items()} == {
        "daily-reminders": "flows.reminder_sweep.daily_reminders",
        "send-outbox": "flows.outbox.send_outbox",
        "seal-records": "flows.sealing.seal_records",
    }
    for deployment in made.values():
        assert deployment.concurrency_limit == 1
        assert deployment.concurrency_options.collision_strategy == "ENQUEUE"
        assert deployment.tags == [deployed.TAG]
        assert deployment.job_variables["env"]["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == "30"
    assert made["daily-reminders"].schedules[0].schedule.cron == "0 8 * * *"


def test_served_deployments_carry_no_tag_the_rescheduling_automation_watches() -> None:
    for deployment in deployed.deployments():
        assert deployed.TAG not in deployment.tags
        assert not deployment.job_variables  # Prefect takes them only on a work pool
        assert ":" not in deployment.entrypoint and ".py" not in deployment.entrypoint


def test_the_served_deployments_register_with_a_runner(prefect_harness: None,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """What ``prefect.serve`` does first, against a real server: a deployment it refuses
    stops ``appraisal serve`` before the schedules or the portal start."""
    from prefect.runner import Runner

    monkeypatch.delenv("PREFECT_RESULTS_PERSIST_BY_DEFAULT", raising=False)
    runner = Runner(pause_on_shutdown=False)
    ids = [runner.add_deployment(deployment) for deployment in deployed.deployments()]
    assert len(set(ids)) == 3


def test_worker_runs_are_told_not_to_persist_results() -> None:
    for deployment in deployed.deployments(heartbeat_seconds=30):
        assert deployment.job_variables["env"]["PREFECT_RESULTS_PERSIST_BY_DEFAULT"] == "false"


def test_serving_never_pauses_the_schedules_on_shutdown() -> None:
    source = inspect.getsource(deployed.serve_deployments)
    assert "pause_on_shutdown=False" in source


def test_the_automation_reschedules_silent_runs_of_tagged_deployments_only() -> None:
    automation = deployed.reschedule_automation(timedelta(seconds=45))
    trigger = automation.trigger
    assert trigger.within == timedelta(seconds=45)
    assert trigger.after == {"prefect.flow-run.heartbeat"}
    assert "prefect.flow-run.Completed" in trigger.expect
    assert dict(trigger.match_related.items()) == {
        "prefect.resource.id": ["prefect.tag.appraisal"], "prefect.resource.role": ["tag"]}
    (action,) = automation.actions
    assert (action.state.value, action.name, action.force) == ("SCHEDULED", "Rescheduled", True)


def test_deploying_and_working_need_the_shared_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: None}):
        with pytest.raises(DeploymentError, match="PREFECT_API_URL is not set"):
            deployed.deploy_deployments()
        with pytest.raises(DeploymentError, match="PREFECT_API_URL is not set"):
            deployed.worker_environment()


def test_a_patience_shorter_than_the_heartbeat_is_refused_before_any_call() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        with pytest.raises(DeploymentError, match="must exceed the heartbeat interval"):
            deployed.deploy_deployments(heartbeat_seconds=30, dead_after=timedelta(seconds=30))


def test_the_worker_is_prefects_process_worker_on_our_pool(tmp_path, monkeypatch) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from appraisal_store import config

    command = deployed.worker_command(name="worker-a", limit=2)
    assert command[1:] == ["worker", "start", "--pool", "appraisal", "--type", "process",
                           "--name", "worker-a", "--limit", "2"]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("APPRAISAL_HOME", "relative-home")
    config.settings.cache_clear()
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        env = deployed.worker_environment()
    config.settings.cache_clear()
    assert env["APPRAISAL_HOME"] == str(tmp_path / "relative-home")
