"""The seal-records flow fans the pending appraisals out to worker processes (Dask)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from appraisal_store.models import OutboxMessage, Record
from appraisal_store.sessions import read_session
from appraisal_store.vocabulary import RecordStage
from flows import sealing
from flows.sealing import seal_records
from records.configured_seal import ensure_deployment_seal, trusted_seal_certificates
from records.record_lookup import known_record
from records.verify import verify_record
from tests.conftest import Board
from tests.records.appraisals import NED1, SID, agree, complete, sign

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

FINANCE = "finance@rx1.nhs.uk"
CEO = "ceo@rx1.nhs.uk"


def stored(stage: RecordStage) -> dict[int, bytes]:
    with read_session() as session:
        return dict(session.execute(
            select(Record.appraisal_id, Record.pdf).where(Record.stage == stage)).all())


@pytest.fixture(name="board")
def board_fixture(sqlite_board: Board) -> Board:
    ensure_deployment_seal()
    return sqlite_board


def test_two_workers_seal_every_signed_appraisal_once(
    board: Board, monkeypatch: pytest.MonkeyPatch
) -> None:
    completed = sorted(complete(board, who) for who in (NED1, SID, FINANCE))
    signed_by_appraisee = agree(board, CEO)
    sign(board, CEO, by_appraiser=False)
    monkeypatch.setattr(sealing, "FAN_OUT_FROM", 1)  # fan out even this small board

    sealed = seal_records(limit=100, workers=2)

    assert sorted(sealed) == sorted([*completed, signed_by_appraisee])
    first, final = stored(RecordStage.SIGNED_BY_APPRAISEE), stored(RecordStage.COMPLETE)
    assert sorted(first) == sorted(sealed) and sorted(final) == completed
    for appraisal_id in completed:
        verdict = verify_record(final[appraisal_id], trusted_certs=trusted_seal_certificates(),
                                known_record=known_record)
        assert verdict.ok, verdict.failures
        assert [s.field for s in verdict.signatures] == ["Appraisee", "Appraiser"]
        assert final[appraisal_id].startswith(first[appraisal_id])
    with read_session() as session:
        announced = session.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.template == "record_complete")).scalar_one()
    assert announced == 3 * len(completed)  # appraisee, appraiser and company secretary

    # The workers ran without Dask's profiler; this process's Dask configuration is intact.
    import dask

    assert dask.config.get("distributed.worker.profile.enabled") is True
    assert dask.config.get("distributed.comm.timeouts.connect")

    assert seal_records(limit=100, workers=2) == []
    with read_session() as session:
        assert session.execute(select(func.count()).select_from(Record)).scalar_one() == (
            len(sealed) + len(completed))


def test_an_existing_dask_cluster_seals_every_run_whatever_its_size(
    board: Board, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import LocalCluster

    from appraisal_store import config

    completed = sorted(complete(board, who) for who in (NED1, SID))
    # A cluster the flow did not start, of two worker processes, as `dask scheduler` and
    # `dask worker` on other machines would be; they see this store and seal through the
    # environment they were started in.
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                      dashboard_address=None) as cluster:
        monkeypatch.setenv("APPRAISAL_DASK_ADDRESS", cluster.scheduler_address)
        config.settings.cache_clear()
        assert sealing.cluster_threads(cluster.scheduler_address) == 2

        sealed = seal_records(limit=100)  # two records: far below FAN_OUT_FROM

        assert sorted(sealed) == completed
        assert seal_records(limit=100) == []
    final = stored(RecordStage.COMPLETE)
    assert sorted(final) == completed
    for appraisal_id in completed:
        verdict = verify_record(final[appraisal_id], trusted_certs=trusted_seal_certificates(),
                                known_record=known_record)
        assert verdict.ok, verdict.failures


def test_a_dask_scheduler_that_does_not_answer_is_one_sentence(
    board: Board, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from appraisal_store import config
    from commands.main import run
    from commands.prefect_console import restore_prefect_console
    from tests.flows.conftest import free_port

    complete(board, NED1)
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("APPRAISAL_DASK_ADDRESS", address)
    monkeypatch.setattr(sealing, "SCHEDULER_ANSWERS_WITHIN", "1s")  # nothing will answer
    config.settings.cache_clear()
    with pytest.raises(sealing.DaskSchedulerUnreachable,
                       match=f"The Dask scheduler at {address} "
                             r"\(APPRAISAL_DASK_ADDRESS\) does not answer"):
        seal_records(limit=100)
    try:
        with pytest.raises(SystemExit) as exited:
            run(["flows", "seal"])
    finally:
        restore_prefect_console()
    said = capsys.readouterr().err
    assert exited.value.code == 1 and "Traceback" not in said
    assert " ".join(said.split()).startswith(f"Error: The Dask scheduler at {address}")
    assert stored(RecordStage.COMPLETE) == {}


def test_one_worker_seals_in_process(board: Board) -> None:
    appraisal_id = complete(board, NED1)

    assert seal_records(limit=100, workers=1) == [appraisal_id]
    assert seal_records(limit=100, workers=1) == []


def test_only_a_dask_worker_freezes_what_it_has_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from distributed import Client, LocalCluster

    monkeypatch.setattr(sealing, "_frozen", False)
    sealing._freeze_what_is_loaded()  # the flow's own process (e.g. `appraisal serve`)
    assert gc.get_freeze_count() == 0 and not sealing._frozen

    def freeze_in_worker() -> int:
        sealing._freeze_what_is_loaded()
        return gc.get_freeze_count()

    try:
        with LocalCluster(processes=False, n_workers=1, threads_per_worker=1,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            assert client.submit(freeze_in_worker).result() > 0
        assert sealing._frozen
    finally:
        gc.unfreeze()  # the worker was a thread of this process
