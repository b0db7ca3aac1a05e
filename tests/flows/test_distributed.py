"""The scaled-out deployment, for real on loopback: a Prefect server on PostgreSQL with API
auth, two process workers in separate homes, an external Dask cluster, two portals on one
PostgreSQL store and an SMTP sink (``tests/flows/scale_stack.py``; ``make scale-demo``).

A worker is killed mid-seal and the Prefect server once; nothing is sealed or sent twice,
nothing is lost, the dead worker's run is rescheduled and finished elsewhere, and stopping
a worker leaves every schedule active.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from appraisal_store import config, engines
from tests.conftest import require_postgres
from tests.flows import scale_stack
from tests.flows.conftest import SmtpServer, free_port

pytestmark = [pytest.mark.distributed, pytest.mark.postgres, pytest.mark.slow]
# Enough for the worker to be killed with batches still to seal (it is killed once ten are
# sealed); `make scale-demo` seals its own larger number.
SIGNED = 60


@pytest.fixture(name="stack")
def stack_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    require_postgres()
    smtp = SmtpServer(free_port())
    smtp.start()
    stack = scale_stack.ScaleStack(tmp_path / "scale")
    try:
        stack.up(smtp=smtp)
        for key, value in stack.machine_env(tmp_path / "test-home").items():
            if key.startswith("APPRAISAL_"):
                monkeypatch.setenv(key, value)
        config.settings.cache_clear()
        engines.reset_engines()
        with temporary_settings(updates={PREFECT_API_URL: stack.api_url,
                                         PREFECT_API_AUTH_STRING: stack.auth}):
            yield stack
    finally:
        engines.reset_engines()
        stack.down()
        smtp.stop()
        config.settings.cache_clear()


def test_the_year_runs_through_the_deployments_across_a_lost_worker_and_server(stack) -> None:
    from appraisal_store.models import OutboxMessage, Record
    from appraisal_store.sessions import read_session
    from appraisal_store.vocabulary import RecordStage
    from records.configured_seal import trusted_seal_certificates
    from records.record_lookup import known_record
    from records.verify import verify_record

    outcome = scale_stack.run_scenario(stack, signed=SIGNED)

    # Every signed appraisal sealed exactly once, and every record verifies with the one
    # organisation seal every machine was given.
    with read_session() as session:
        complete = session.execute(select(Record.appraisal_id, Record.pdf).where(
            Record.stage == RecordStage.COMPLETE)).all()
        messages = session.execute(select(OutboxMessage.idempotency_key,
                                          OutboxMessage.sent_at)).all()
    assert sorted(appraisal_id for appraisal_id, _ in complete) == sorted(outcome.sealed_ids)
    assert len(outcome.sealed_ids) == SIGNED
    trusted = trusted_seal_certificates()
    for appraisal_id, pdf in complete:
        verdict = verify_record(pdf, trusted_certs=trusted, known_record=known_record)
        assert verdict.ok, (appraisal_id, verdict.failures)

    # Every message delivered exactly once: invitations, reminders, record-complete notes.
    # A long header is folded on the wire; the key itself has no white space.
    delivered = Counter(re.sub(r"\s", "", key) for key in stack.smtp.mailbox.keys())
    assert outcome.reminders_queued > 0
    assert [key for key, times in delivered.items() if times > 1] == []
    assert sorted(delivered) == sorted(key for key, _ in messages)
    assert all(sent_at is not None for _, sent_at in messages)
    with read_session() as session:
        announced = session.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.template == "record_complete")).scalar_one()
    assert announced >= 2 * SIGNED  # the appraisee, the appraiser (and cosec)

    # The dead worker's run was put back on the schedule and finished by the other one;
    # the two sealing runs never ran at once (one slot for the deployment).
    assert "Rescheduled" in outcome.killed_run_states
    assert outcome.killed_run_states[-1] == "Completed"
    assert outcome.seal_run_final == ["COMPLETED", "COMPLETED"]
    spans = sorted(span for run in outcome.seal_runs_running for span in run)
    for (_, ended), (started, _) in zip(spans, spans[1:], strict=False):
        assert ended <= started

    # A worker's shutdown leaves every schedule active; both portals answer on one store.
    assert outcome.schedules_after_shutdown == dict.fromkeys(
        ["daily-reminders/daily-reminders", "send-outbox/send-outbox",
         "seal-records/seal-records"], True)
    assert outcome.portal_statuses == [200, 200]
