"""Sealed records anchor the audit chain: a truncation with the head moved back, a rewrite
with every hash recomputed, or a lost head row is caught once a record has been sealed."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from appraisal_store import engines, sessions
from appraisal_store.actors import Actor
from appraisal_store.audit import AuditHeadMissing, chain_head, record_event
from appraisal_store.audit_hashing import (
    GENESIS_HASH,
    AuditAnchor,
    event_hash,
    hashed_tail,
    server_event_hash,
)
from appraisal_store.audit_head_repair import ChainNotRepairable, repair_head
from appraisal_store.audit_verification import ChainReport, verify_chain
from appraisal_store.models import AuditEvent, AuditHead, Record
from records.configured_seal import ensure_deployment_seal
from records.record_sealing import seal_appraisal
from records.verify import audit_anchor_of
from tests.conftest import Board
from tests.records.appraisals import NED1, complete


def _verify(witness: AuditAnchor | None = None) -> ChainReport:
    with sessions.read_session() as session:
        return verify_chain(session, witness=witness)


@pytest.fixture(name="sealed")
def sealed_fixture(board: Board) -> int:
    """The board with one appraisal signed by both parties and sealed (two records)."""
    ensure_deployment_seal()
    appraisal_id = complete(board, NED1)
    assert len(seal_appraisal(appraisal_id)) == 2
    return appraisal_id


def _records(appraisal_id: int) -> list[Record]:
    with sessions.read_session() as session:
        return list(session.execute(select(Record).where(
            Record.appraisal_id == appraisal_id).order_by(Record.id)).scalars())


def _last_event() -> int:
    with sessions.read_session() as session:
        return int(session.execute(select(func.max(AuditEvent.id))).scalar_one())


def _rewrite_from(first: int, *, actor_label: str) -> None:
    """Edit event ``first`` and recompute its hash and every later one, and the head: the
    chain alone then verifies as intact."""
    with sessions.write_session() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == first)
                        .values(actor_label=actor_label))
        events = list(session.execute(select(AuditEvent).where(AuditEvent.id >= first - 1)
                                      .order_by(AuditEvent.id)).scalars())
        prev = events[0].hash if first > 1 else GENESIS_HASH
        for event in events if first == 1 else events[1:]:
            event.prev_hash = prev
            event.hash = prev = event_hash(
                event_id=event.id or 0, prev_hash=prev, occurred_at=event.occurred_at,
                actor_id=event.actor_id, actor_label=event.actor_label, action=event.action,
                subject_type=event.subject_type, subject_id=event.subject_id,
                organisation_id=event.organisation_id, details=event.details)
        session.flush()
        session.execute(update(AuditHead).values(last_event_id=events[-1].id, last_hash=prev))


def test_every_sealed_record_carries_the_head_inside_its_signed_bytes(sealed: int) -> None:
    first, complete_record = _records(sealed)
    with sessions.read_session() as session:
        for record in (first, complete_record):
            assert record.audit_anchor_event is not None and record.audit_anchor_hash
            event = session.get(AuditEvent, record.audit_anchor_event)
            assert event is not None and event.hash == record.audit_anchor_hash
            assert audit_anchor_of(record.pdf) == (
                f"{record.audit_anchor_hash}@{record.audit_anchor_event}")
            sealed_event = session.execute(
                select(func.min(AuditEvent.id)).where(AuditEvent.action == "record_sealed")
            ).scalar_one()
            assert record.audit_anchor_event < sealed_event
    report = _verify()
    assert report.ok and report.anchors_checked == 2


def test_a_truncation_with_the_head_moved_back_is_caught(sealed: int) -> None:
    anchored = _records(sealed)[0].audit_anchor_event
    assert anchored is not None
    keep = anchored - 2
    with engines.engine().begin() as connection:
        kept = connection.execute(select(AuditEvent.hash).where(AuditEvent.id == keep)).scalar_one()
        connection.execute(delete(AuditEvent).where(AuditEvent.id > keep))
        connection.execute(update(AuditHead).values(last_event_id=keep, last_hash=kept))
    report = _verify()
    assert report.broken_at is None  # the chain alone cannot tell
    assert not report.ok and len(report.anchor_problems) == 2
    assert f"record of appraisal {sealed} (version 1) was sealed at event {anchored}" in (
        report.anchor_problems[0])
    assert "events were removed" in report.anchor_problems[0]


def test_a_rewrite_with_every_hash_recomputed_is_caught(sealed: int) -> None:
    _rewrite_from(3, actor_label="someone else")
    report = _verify()
    assert report.broken_at is None and not report.head_missing
    assert not report.ok
    assert all("the trail was rewritten" in problem for problem in report.anchor_problems)
    assert f"signed by appraisee record of appraisal {sealed}" in report.anchor_problems[0]


def test_a_rewrite_after_every_anchor_is_not_blamed_on_the_records(sealed: int) -> None:
    # The anchors hold for what came before them: a record is named only when the trail
    # it was sealed on changed.
    _rewrite_from(_last_event(), actor_label="someone else")
    assert _verify().ok


def test_a_lost_head_row_is_detected_and_stops_writes_with_a_sentence(sealed: int) -> None:
    with engines.engine().begin() as connection:
        connection.execute(delete(AuditHead))
    report = _verify()
    assert report.head_missing and not report.ok and report.broken_at is None
    with pytest.raises(AuditHeadMissing, match="appraisal audit repair-head"), \
            sessions.write_session() as session:
        record_event(session, Actor.operator(), "probe", subject_type="probe", subject_id=1)
    with sessions.read_session() as session, pytest.raises(AuditHeadMissing):
        chain_head(session)


def test_repair_head_mends_an_intact_chain_and_is_audited(sealed: int) -> None:
    last = _last_event()
    with engines.engine().begin() as connection:
        connection.execute(delete(AuditHead))
    with sessions.write_session() as session:
        repaired = repair_head(session, Actor.operator())
    assert repaired is not None and repaired.before is None
    assert repaired.after.event_id == last
    with sessions.read_session() as session:
        newest = session.get(AuditEvent, last + 1)
        assert newest is not None and newest.action == "audit_head_repaired"
    assert _verify().ok
    with sessions.write_session() as session:
        assert repair_head(session, Actor.operator()) is None  # in place: nothing to do


def test_repair_head_is_refused_on_a_broken_chain(sealed: int) -> None:
    with engines.engine().begin() as connection:
        connection.execute(delete(AuditHead))
        connection.execute(update(AuditEvent).where(AuditEvent.id == 4)
                           .values(actor_label="someone else"))
    with pytest.raises(ChainNotRepairable, match="broken at event 4"), \
            sessions.write_session() as session:
        repair_head(session, Actor.operator())
    with sessions.read_session() as session:
        assert session.get(AuditHead, 1) is None


def test_repair_head_is_refused_when_a_record_contradicts_the_chain(sealed: int) -> None:
    _rewrite_from(2, actor_label="someone else")
    with engines.engine().begin() as connection:
        connection.execute(delete(AuditHead))
    with pytest.raises(ChainNotRepairable, match="sealed records were anchored to"), \
            sessions.write_session() as session:
        repair_head(session, Actor.operator())


def test_repair_head_will_not_move_a_head_back_over_removed_events(sealed: int) -> None:
    last = _last_event()
    with engines.engine().begin() as connection:
        connection.execute(delete(AuditEvent).where(AuditEvent.id == last))
    with pytest.raises(ChainNotRepairable, match="events after it were removed"), \
            sessions.write_session() as session:
        repair_head(session, Actor.operator())


def test_a_witness_anchor_is_checked_too(board: Board) -> None:
    with sessions.read_session() as session:
        witness = chain_head(session)
    with sessions.write_session() as session:
        record_event(session, Actor.operator(), "probe", subject_type="probe", subject_id=1)
    report = _verify(witness)
    assert report.ok and report.anchors_checked == 1
    _rewrite_from(witness.event_id - 1, actor_label="someone else")
    report = _verify(witness)
    assert report.broken_at is None and not report.ok
    assert report.anchor_problems[0].startswith(
        f"the anchor given was taken when event {witness.event_id} had hash")


def test_the_anchor_is_written_and_read_as_hash_at_number() -> None:
    anchor = AuditAnchor(12, "ab" * 32)
    assert AuditAnchor.parse(str(anchor).upper()) == anchor
    for wrong in ("ab@12", "ab" * 32, f"{'ab' * 32}@x", f"{'zz' * 32}@3"):
        with pytest.raises(ValueError, match="HASH@N"):
            AuditAnchor.parse(wrong)


@pytest.mark.postgres
def test_the_server_hashes_an_event_exactly_as_python_does(postgres_url: str) -> None:
    from datetime import UTC, datetime

    store = engines.make_engine(postgres_url)
    fields = {"occurred_at": datetime(2026, 12, 1, 9, 30, 0, 123456, tzinfo=UTC),
              "actor_id": 7, "actor_label": "Siân Ŵyn ap Gruffydd", "action": "probe",
              "subject_type": "appraisal", "subject_id": "42", "organisation_id": None,
              "details": {"name": "Łukasz Żółć", "quote": 'a "b" \\ c', "n": [1, 2.5]}}
    with store.connect() as connection:
        for event_id, prev in ((1, GENESIS_HASH), (123456789, "f" * 64)):
            on_server = server_event_hash(connection, event_id=event_id, prev_hash=prev,
                                          tail=hashed_tail(**fields))
            assert on_server == event_hash(event_id=event_id, prev_hash=prev, **fields)
    store.dispose()
