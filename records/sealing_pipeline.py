"""Seal many appraisals: one writer thread stores each while this thread makes the next.

Each appraisal is sealed as ``records.record_sealing`` seals one (its own transaction and
row lock); a sweep overlaps the store's round trips with the rendering and signing.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from appraisal_store.sessions import read_session
from records.configured_seal import deployment_seal
from records.errors import RecordError, SealingFailed
from records.record_lookup import pending_seals
from records.record_sealing import (
    SealedRecord,
    UnstoredRecords,
    make_records,
    seal_appraisal,
    store_made_records,
)
from records.seal import Seal

__all__ = ["seal_appraisals", "seal_pending_records"]

log = logging.getLogger(__name__)


@dataclass
class _Sweep:
    """What a sweep sealed and what it could not, in the order of its appraisals."""

    seal: Seal
    sealed: list[int] = field(default_factory=list)
    failures: dict[int, str] = field(default_factory=dict)

    def failed(self, appraisal_id: int, error: RecordError) -> None:
        log.error("Could not seal the record of appraisal %s: %s", appraisal_id, error)
        self.failures[appraisal_id] = error.message

    def settle(self, made: UnstoredRecords, storing: Future[list[SealedRecord] | None]) -> None:
        """Wait for the store of ``made``; make it again here if the appraisal changed."""
        try:
            stored = storing.result()
            if stored is None:
                stored = seal_appraisal(made.appraisal_id, seal=self.seal)
        except RecordError as error:
            self.failed(made.appraisal_id, error)
            return
        if stored:
            self.sealed.append(made.appraisal_id)


def seal_appraisals(appraisal_ids: list[int], *, seal: Seal | None = None) -> list[int]:
    """Seal each of ``appraisal_ids`` (see :func:`seal_appraisal`), each in its own turn.

    One writer thread stores each appraisal (its own transaction and row lock, as
    :func:`seal_appraisal`) while this thread reads, renders and signs the next one, so
    the store's round trips and SQLite's write queue overlap the CPU work. At most one
    record is being stored and one made at a time. An appraisal that changed between its
    reading and its storing is made again, after the store before it.

    One record that cannot be made does not stop the others; the failures are reported
    together at the end. Any other error stops the sweep once the store in hand has
    finished. A crash loses at most the two appraisals in hand; a re-run seals them.

    Args:
        appraisal_ids: The appraisals, e.g. a batch of :func:`pending_seals`.
        seal: The seal to sign with; the deployment's by default (loaded once per process).

    Returns:
        The appraisal ids for which a record was stored.

    Raises:
        SealError: No seal is configured (nothing was sealed).
        SealingFailed: Some records could not be made; ``sealed`` holds the ids that were.
    """
    if not appraisal_ids:
        return []
    sweep = _Sweep(seal or deployment_seal())
    in_hand: tuple[UnstoredRecords, Future[list[SealedRecord] | None]] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="record-store") as writer:
        try:
            for appraisal_id in appraisal_ids:
                made: UnstoredRecords | None = None
                error: RecordError | None = None
                try:
                    made = make_records(appraisal_id, sweep.seal)
                except RecordError as not_made:
                    error = not_made
                if in_hand is not None:
                    held, in_hand = in_hand, None
                    sweep.settle(*held)
                if error is not None:
                    sweep.failed(appraisal_id, error)
                elif made is not None:
                    in_hand = made, writer.submit(store_made_records, made)
            if in_hand is not None:
                held, in_hand = in_hand, None
                sweep.settle(*held)
        finally:
            if in_hand is not None:  # this thread failed: the store in hand finishes first
                lost = in_hand[1].exception()
                if lost is not None:
                    log.error("Storing the record of appraisal %s failed as well",
                              in_hand[0].appraisal_id, exc_info=lost)
    if sweep.failures:
        raise SealingFailed(sweep.sealed, sweep.failures)
    return sweep.sealed


def seal_pending_records(*, limit: int | None = None, seal: Seal | None = None) -> list[int]:
    """Seal every appraisal :func:`pending_seals` finds, each in its own transaction.

    Idempotent: a re-run seals nothing new. One record that cannot be made does not stop
    the others; the failures are reported together at the end.

    Args:
        limit: Seal at most this many appraisals in this run.
        seal: The seal to sign with; the deployment's by default.

    Returns:
        The appraisal ids for which a record was stored.

    Raises:
        SealError: No seal is configured (nothing was sealed).
        SealingFailed: Some records could not be made; ``sealed`` holds the ids that were.
    """
    with read_session() as session:
        pending = pending_seals(session, limit=limit)
    return seal_appraisals(pending, seal=seal)

