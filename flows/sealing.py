"""Seal what both parties signed, fanned out over processes so every core renders and signs.

``APPRAISAL_DASK_ADDRESS`` names an existing Dask cluster to fan out to instead of a local
one; its workers need the same database URL and seal settings as the flow's machine.

``seal_records`` finds the pending appraisals (``records.record_lookup.pending_seals``), splits
them into a few batches (tens of task runs at most, whatever the number of appraisals:
the SQLite-backed Prefect server records task runs slowly) and seals each
batch in a task. With more than one worker and enough work, the batches run on a
temporary Dask cluster of worker processes (``prefect-dask``): rendering (ReportLab) and
signing (pyHanko) are CPU-bound, so threads would share one core. With one worker or a
few appraisals the batches run here, because starting the cluster costs seconds.

Every appraisal is sealed in its own short transaction
(``records.sealing_pipeline.seal_appraisals``): a crash loses at most the two appraisals
in hand (one being stored while the next is made), and a re-run seals only what is left;
the unique (appraisal, version, stage) of a record is the backstop against a repeat. The
rendering and signing run outside any write transaction, so the workers overlap even on
SQLite, whose write lock covers the whole database.
"""

from __future__ import annotations

import gc
import logging
import sys
from dataclasses import dataclass, field
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from appraisal_store.environment import EnvironmentFailure
from appraisal_store.sessions import read_session
from records.errors import SealError

from . import run_names
from .batching import batches
from .endorsement_sealing import seal_pending_endorsements
from .failures import fails_with_a_sentence
from .prefect_settings import flow_settings
from .progress import report_progress

__all__ = [
    "FAN_OUT_FROM",
    "BatchOutcome",
    "DaskSchedulerUnreachable",
    "default_workers",
    "run_seal_records",
    "seal_batch",
    "seal_records",
]

log = logging.getLogger(__name__)

# Below this many pending appraisals the batches are sealed in this process: a Dask
# cluster of worker processes takes a few seconds to start (each worker imports Prefect,
# ReportLab and pyHanko), about what 100 records cost on one core.
FAN_OUT_FROM = 100
# Eight batches a worker keep the workers busy to the end (the last batch, which may run
# alone, is an eighth of a share) without many task runs.
BATCHES_PER_WORKER = 8
LEAST_BATCH = 10
# How long a Dask scheduler has to answer before the run stops with the sentence that says
# so: long enough for a scheduler across a network, short enough not to look hung.
SCHEDULER_ANSWERS_WITHIN = "10s"


@dataclass(frozen=True)
class BatchOutcome:
    """What one batch sealed, and why the others in it could not be."""

    sealed: list[int] = field(default_factory=list)
    failures: dict[int, str] = field(default_factory=dict)


def default_workers() -> int:
    """The number of worker processes when none is asked for: one a CPU this process may
    use (affinity and cgroup quota)."""
    from appraisal_store.cpus import usable_cpus

    return usable_cpus()


def pending_appraisals(limit: int | None) -> list[int]:
    """The appraisal ids whose signatures have no sealed record yet, in id order."""
    from records.record_lookup import pending_seals

    with read_session() as session:
        return pending_seals(session, limit=limit)


_frozen = False


def _freeze_what_is_loaded() -> None:
    """In a Dask worker, keep the objects loaded so far (modules, Prefect's and Dask's
    settings and models) out of the garbage collector's full passes, once per process.

    Rendering and signing allocate fast enough to trigger a full collection every few
    dozen records, and each one walks every object in the process: in a Dask worker, which
    also holds Prefect and distributed, far more than in a bare loop. Frozen, a record's
    share of collection falls markedly (bench/FINDINGS.md). A worker lives
    for one run; a long-lived process (``appraisal serve``) is not frozen, since what is
    frozen is never collected.
    """
    global _frozen
    if _frozen or "distributed" not in sys.modules:
        return
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:  # not in a Dask worker
        return
    gc.freeze()
    _frozen = True


@task(name="seal-batch", cache_policy=NO_CACHE, persist_result=False)
def seal_batch(appraisal_ids: list[int]) -> BatchOutcome:
    """Render, sign and store the records of a batch of appraisals, one transaction each.

    Runs in a Dask worker process when the flow fans out: the process opens its own
    database engine and loads the seal once (both are cached per process), and nothing
    is shared with the flow's process but the ids.

    Returns:
        The ids sealed and the failures; a record that cannot be made does not stop the
        others in the batch.

    Raises:
        SealError: No seal is configured (run ``appraisal init``).
    """
    from records.errors import SealingFailed
    from records.sealing_pipeline import seal_appraisals

    _freeze_what_is_loaded()
    try:
        return BatchOutcome(sealed=seal_appraisals(appraisal_ids))
    except SealingFailed as failed:
        return BatchOutcome(sealed=failed.sealed, failures=failed.failures)


# Dask's statistical profiler samples every task thread's stack every 10 ms and folds it
# into a tree; on ReportLab's and pyHanko's deep stacks that is a noticeable share of a
# record's CPU (bench/FINDINGS.md), work no one reads here. Each
# nanny hands the configuration it was created under to its worker process.
_WORKER_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    # Every Dask process (the scheduler and nannies here, each worker) wakes its event loop
    # every 20 ms to check its own health, every 500 ms to sample the system and every
    # 100 ms to check each worker's memory; in a worker each wake takes the GIL from the
    # record being made. Batches of records need none of that at this pace.
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.disk": False,
    "distributed.worker.memory.monitor-interval": "1s",
    # Workers are spawned, not forked from this process, although a spawned worker imports
    # Prefect, Dask, ReportLab and pyHanko again, seconds of CPU a worker before its first
    # record (bench/FINDINGS.md). Forked, a worker inherits every lock the flow's
    # other threads held at that instant: in a benchmark run one worker hung for good in
    # Rich's console lock, taken by a log line being written when it was forked. A spawned
    # worker starts with nothing held. Dask's default today; said here so that it stays.
    "distributed.worker.multiprocessing-method": "spawn",
}


def dask_task_runner(workers: int, address: str | None = None) -> Any:
    """The Dask cluster the batches run on: the scheduler at ``address`` (an existing
    cluster, ``APPRAISAL_DASK_ADDRESS``), else a temporary local cluster of ``workers``
    single-threaded worker processes."""
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={
        "n_workers": workers, "processes": True, "threads_per_worker": 1,
        "dashboard_address": None,  # no web dashboard (and no port to collide on)
    })


class DaskSchedulerUnreachable(SealError, EnvironmentFailure):
    """The Dask scheduler of ``APPRAISAL_DASK_ADDRESS`` does not answer: a ``SealError`` to
    the sealing code, and to the commands and the flows' entry points a failure of the
    machine around us (one sentence, exit 1)."""


def cluster_threads(address: str) -> int:
    """How many tasks the Dask cluster at ``address`` runs at once (its workers' threads).

    Raises:
        DaskSchedulerUnreachable: The scheduler does not answer.
    """
    from distributed import Client

    try:
        with Client(address, timeout=SCHEDULER_ANSWERS_WITHIN, set_as_default=False) as client:
            return max(1, sum(client.nthreads().values()))
    except (OSError, TimeoutError) as error:
        raise DaskSchedulerUnreachable(
            f"The Dask scheduler at {address} (APPRAISAL_DASK_ADDRESS) does not answer "
            f"({error}): start it, or correct or unset APPRAISAL_DASK_ADDRESS, and run "
            "again.") from error


@flow(name="seal-batches", flow_run_name=run_names.seal_batches_run, persist_result=False)
@fails_with_a_sentence
def seal_batches(chunks: list[list[int]]) -> list[BatchOutcome]:
    """Seal the batches on the flow's task runner (the Dask cluster ``seal_records`` gives)."""
    futures = seal_batch.map(chunks)
    return [future.result() for future in futures]


@flow(name="seal-records", flow_run_name=run_names.seal_records_run, persist_result=False)
@fails_with_a_sentence
def seal_records(limit: int = 500, workers: int | None = None) -> list[int]:
    """Seal pending records (at most ``limit``) on ``workers`` processes and announce them.

    Safe to re-run: what is sealed is skipped. The record-complete messages (appraisee,
    appraiser, company secretaries) are queued in the same transaction as each complete
    record, so no crash can leave a sealed record unannounced.

    Args:
        limit: Seal at most this many appraisals in this run.
        workers: Worker processes of the local cluster; one a usable CPU by default. One
            worker, or fewer than ``FAN_OUT_FROM`` pending appraisals, seals in this
            process. With ``APPRAISAL_DASK_ADDRESS`` set every run goes to that cluster,
            whatever its size.

    Returns:
        The appraisal ids for which a record was stored.

    Raises:
        SealingFailed: Some records could not be made (the others were stored).
    """
    from appraisal_store.config import settings
    from records.errors import SealingFailed

    address = settings().dask_address
    pending = pending_appraisals(limit)
    if address and not pending:
        return []
    # An existing cluster is already running: every run fans out to it, in batches to
    # match its size rather than this machine's.
    workers = cluster_threads(address) if address else max(1, workers or default_workers())
    chunks = batches(pending, most_batches=BATCHES_PER_WORKER * workers,
                     least_size=LEAST_BATCH)
    if address or (workers > 1 and len(pending) >= FAN_OUT_FROM):
        log.info("Sealing %s records in %s batches on %s Dask workers%s", len(pending),
                 len(chunks), workers, f" at {address}" if address else "")
        import dask

        # The runner imports distributed first: setting a key of a configuration section
        # not loaded yet would drop the whole section when the ``set`` ends.
        runner = dask_task_runner(workers, address)
        with dask.config.set(_WORKER_CONFIG):
            outcomes = seal_batches.with_options(task_runner=runner)(chunks)
    else:
        outcomes = []
        for chunk in chunks:
            outcomes.append(seal_batch(chunk))
            report_progress(len(chunk))
    sealed = [appraisal_id for outcome in outcomes for appraisal_id in outcome.sealed]
    failures = {key: why for outcome in outcomes for key, why in outcome.failures.items()}
    # The regional endorsements go on top of complete records, so after them.
    sealed += [a for a in seal_pending_endorsements() if a not in sealed]
    if failures:
        raise SealingFailed(sealed, failures)
    return sealed


def run_seal_records(*, limit: int = 500, workers: int | None = None) -> list[int]:
    """Plain entry point: ``seal_records`` with our Prefect settings."""
    with flow_settings():
        return seal_records(limit, workers)
