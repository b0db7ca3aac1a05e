"""Sealing signed appraisals into the store, exporting them and looking them up."""

from __future__ import annotations

import hashlib
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from appraisal_store import engines, sessions
from appraisal_store.actors import Actor
from appraisal_store.audit_verification import verify_chain
from appraisal_store.models import AuditEvent, OutboxMessage, Record
from appraisal_store.services.appraisers import register_external_appraiser
from appraisal_store.vocabulary import RecordStage
from records.configured_seal import ensure_deployment_seal, trusted_seal_certificates
from records.errors import RecordNotSealed, SealingFailed
from records.pdf_export import export_all_complete, export_record
from records.record_lookup import known_record, pending_seals
from records.record_sealing import seal_appraisal
from records.sealing_pipeline import seal_appraisals, seal_pending_records
from records.verify import verify_record
from tests.conftest import Board, seed_board
from tests.records.appraisals import (
    CHAIR,
    NED1,
    NED2,
    SID,
    agree,
    complete,
    reassign,
    reopen,
    resume,
    sign,
)

OPERATOR = Actor.operator()


@pytest.fixture(name="board")
def board_fixture(sqlite_board: Board) -> Board:
    """The seeded board with this deployment's seal created, as `appraisal init` does."""
    ensure_deployment_seal()
    return sqlite_board


def records_of(appraisal_id: int) -> list[Record]:
    with sessions.read_session() as session:
        return list(session.execute(
            select(Record).where(Record.appraisal_id == appraisal_id)
            .order_by(Record.version, Record.id)).scalars())


def pending() -> list[int]:
    with sessions.read_session() as session:
        return pending_seals(session)


def test_a_completed_appraisal_is_sealed_in_both_stages(board: Board) -> None:
    appraisal_id = complete(board, NED1)
    assert pending() == [appraisal_id]

    assert seal_pending_records() == [appraisal_id]

    first, final = records_of(appraisal_id)
    assert (first.stage, final.stage) == (RecordStage.SIGNED_BY_APPRAISEE, RecordStage.COMPLETE)
    assert (first.version, final.version) == (1, 1)
    for record in (first, final):
        assert record.sha256 == hashlib.sha256(record.pdf).hexdigest()
    assert final.pdf.startswith(first.pdf)  # the appraiser's signature is an incremental update
    verdict = verify_record(final.pdf, trusted_certs=trusted_seal_certificates(),
                            known_record=known_record)
    assert verdict.ok, verdict.failures
    assert verdict.record is not None and verdict.record.record_id == f"APR-{appraisal_id}-v1"
    assert [(s.field, s.signer_name, s.role) for s in verdict.signatures] == [
        ("Appraisee", "Zoë Łukasiewicz", "Non-executive director"),
        ("Appraiser", "Margaret Okafor", "Chair"),
    ]
    assert pending() == []


def test_sealing_queues_the_record_complete_messages_and_audits(board: Board) -> None:
    appraisal_id = complete(board, NED1)

    seal_pending_records()

    with sessions.read_session() as session:
        keys = set(session.execute(select(OutboxMessage.idempotency_key).where(
            OutboxMessage.template == "record_complete")).scalars())
        sealed_events = session.execute(select(AuditEvent.details).where(
            AuditEvent.action == "record_sealed")).scalars().all()
        assert verify_chain(session).ok
    assert keys == {f"record_complete:{appraisal_id}:1:{email}"
                    for email in ("ned1@rx1.nhs.uk", "chair@rx1.nhs.uk", "cosec@rx1.nhs.uk")}
    assert sorted(e["stage"] for e in sealed_events) == ["complete", "signed_by_appraisee"]


def test_the_appraisee_signature_alone_is_sealed_and_the_appraiser_one_added_later(
    board: Board,
) -> None:
    appraisal_id = agree(board, SID)
    sign(board, SID, by_appraiser=False)

    assert seal_pending_records() == [appraisal_id]
    [first] = records_of(appraisal_id)
    assert first.stage is RecordStage.SIGNED_BY_APPRAISEE

    with sessions.write_session() as session:
        from appraisal_store.services import signing

        signing.sign(session=session, actor=board.actor(CHAIR), appraisal_id=appraisal_id)
    assert seal_pending_records() == [appraisal_id]

    again_first, final = records_of(appraisal_id)
    assert again_first.pdf == first.pdf  # the stored first stage is signed on, not re-rendered
    assert final.pdf.startswith(first.pdf)


def test_sealing_again_seals_nothing_new(board: Board) -> None:
    appraisal_id = complete(board, NED1)
    seal_pending_records()
    before = records_of(appraisal_id)

    assert seal_pending_records() == []
    assert seal_appraisal(appraisal_id) == []
    assert [r.sha256 for r in records_of(appraisal_id)] == [r.sha256 for r in before]
    with sessions.read_session() as session:
        assert session.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "record_sealed")).scalar() == 2


def test_the_limit_bounds_one_sweep(board: Board) -> None:
    ids = [complete(board, NED1), complete(board, SID)]

    assert seal_pending_records(limit=1) == ids[:1]
    assert seal_pending_records(limit=1) == ids[1:]
    assert seal_pending_records() == []


def test_a_correction_makes_version_2_and_keeps_version_1(board: Board, tmp_path: Path) -> None:
    appraisal_id = complete(board, NED1)
    seal_pending_records()
    [_, version_1] = records_of(appraisal_id)

    reopen(board, NED1)
    assert pending() == []  # nobody has signed version 2 yet
    sign(board, NED1)
    assert seal_pending_records() == [appraisal_id]

    stored = records_of(appraisal_id)
    assert [(r.version, r.stage) for r in stored] == [
        (1, RecordStage.SIGNED_BY_APPRAISEE), (1, RecordStage.COMPLETE),
        (2, RecordStage.SIGNED_BY_APPRAISEE), (2, RecordStage.COMPLETE)]
    assert stored[1].pdf == version_1.pdf
    assert "corrects version 1: Wrong meeting date" in stored[3].reason
    latest = export_record(appraisal_id, tmp_path / "latest.pdf", viewer=OPERATOR)
    assert latest.read_bytes() == stored[3].pdf
    old = export_record(appraisal_id, tmp_path / "old.pdf", viewer=OPERATOR,
                        version=1)
    assert old.read_bytes() == version_1.pdf
    assert known_record(stored[3].sha256).record_id == f"APR-{appraisal_id}-v2"  # type: ignore[union-attr]
    assert known_record(version_1.sha256).version == 1  # type: ignore[union-attr]
    text = PdfReader(BytesIO(stored[3].pdf)).pages[0].extract_text()
    assert f"APR-{appraisal_id}-v2" in text


def test_unicode_names_are_extracted_back_from_the_sealed_record(board: Board) -> None:
    resume(board, NED2)  # new in post, so deferred at the cycle's opening
    # A non-executive director appraises a peer only once registered for it.
    with sessions.write_session() as session:
        register_external_appraiser(session=session, actor=Actor.operator(),
                                    organisation_code="RX1", email=NED1,
                                    roles=["non-executive-director"],
                                    reason="Deputy chair, while the chair is conflicted")
    reassign(board, NED2, NED1)  # Nguyễn Thị Hoa, appraised by Zoë Łukasiewicz
    ids = [complete(board, NED2), complete(board, CHAIR)]  # Margaret, by Siân Ŵyn ap Gruffydd
    seal_pending_records()

    texts = []
    for appraisal_id in ids:
        final = records_of(appraisal_id)[-1]
        reader = PdfReader(BytesIO(final.pdf))
        texts.append("\n".join(page.extract_text() for page in reader.pages))
    assert "Nguyễn Thị Hoa" in texts[0] and "Zoë Łukasiewicz" in texts[0]
    assert "Siân Ŵyn ap Gruffydd" in texts[1]
    assert "My reflection on" in texts[0] and "<b>&amp;</b>" in texts[0]


def test_export_all_writes_the_latest_complete_record_of_each(
    board: Board, tmp_path: Path
) -> None:
    ned, sid = complete(board, NED1), complete(board, SID)
    agree(board, CHAIR)
    sign(board, CHAIR, by_appraiser=False)  # half-signed: not exported
    seal_pending_records()

    written = export_all_complete(tmp_path / "records", viewer=OPERATOR)

    assert [p.name for p in written] == [
        f"RX1-zoe-lukasiewicz-2025-26-APR-{ned}-v1.pdf",
        f"RX1-sian-wyn-ap-gruffydd-2025-26-APR-{sid}-v1.pdf",
    ]
    assert written[0].read_bytes() == records_of(ned)[-1].pdf
    # a re-run changes nothing
    assert export_all_complete(tmp_path / "records", viewer=OPERATOR) == written


def test_export_without_a_sealed_record_says_so(board: Board, tmp_path: Path) -> None:
    appraisal_id = agree(board, NED1)
    with pytest.raises(RecordNotSealed, match=f"no sealed record of appraisal {appraisal_id}"):
        export_record(appraisal_id, tmp_path / "x.pdf", viewer=OPERATOR)
    assert not (tmp_path / "x.pdf").exists()


def test_one_record_that_cannot_be_made_does_not_stop_the_others(
    board: Board, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, fine = complete(board, NED1), complete(board, SID)
    from records import record_sealing
    from records.errors import RenderError

    real = record_sealing.render_record

    def render(content):  # type: ignore[no-untyped-def]
        if content.record_id == f"APR-{broken}-v1":
            raise RenderError("Could not lay out record")
        return real(content)

    monkeypatch.setattr(record_sealing, "render_record", render)
    with pytest.raises(SealingFailed) as raised:
        seal_pending_records()

    assert raised.value.sealed == [fine]
    assert list(raised.value.failures) == [broken]
    assert records_of(broken) == []  # nothing half-stored
    assert pending() == [broken]


def test_two_sweeps_at_once_store_each_record_once(board: Board) -> None:
    from concurrent.futures import ThreadPoolExecutor

    appraisal_id = complete(board, NED1)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: seal_appraisal(appraisal_id), range(2)))

    assert sorted(len(r) for r in results) == [0, 2]  # one sealed both stages, one found them
    assert len(records_of(appraisal_id)) == 2


# --- The sweep stores each appraisal on a writer thread while it makes the next one.


@pytest.fixture(name="any_board")
def any_board_fixture(store: Engine, operator: Actor) -> Board:
    """The seeded board with a seal, on SQLite and on PostgreSQL."""
    ensure_deployment_seal()
    return seed_board(operator)


def sealed_counts(appraisal_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Per appraisal: records stored, record_sealed events, record_complete messages."""
    with sessions.read_session() as session:
        assert verify_chain(session).ok
        return {appraisal_id: (
            session.execute(select(func.count()).select_from(Record).where(
                Record.appraisal_id == appraisal_id)).scalar_one(),
            session.execute(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "record_sealed",
                AuditEvent.subject_id == str(appraisal_id))).scalar_one(),
            session.execute(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.template == "record_complete",
                OutboxMessage.appraisal_id == appraisal_id)).scalar_one(),
        ) for appraisal_id in appraisal_ids}


def test_a_sweep_stores_each_appraisal_once_in_order(any_board: Board) -> None:
    ids = sorted(complete(any_board, who) for who in (NED1, SID, "finance@rx1.nhs.uk"))

    assert seal_pending_records() == ids
    assert seal_appraisals(ids) == []

    assert sealed_counts(ids) == dict.fromkeys(ids, (2, 2, 3))


def test_a_store_that_fails_is_reported_and_the_others_stored(
    any_board: Board, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = sorted(complete(any_board, who) for who in (NED1, SID, "finance@rx1.nhs.uk"))
    broken = ids[1]
    from records import record_sealing
    from records.errors import SigningError

    real = record_sealing.store_sealed_records

    def store(*, session, appraisal, made):  # type: ignore[no-untyped-def]
        stored = real(session=session, appraisal=appraisal, made=made)  # rolled back later
        if appraisal.id == broken:
            raise SigningError("The seal refused this record")
        return stored

    monkeypatch.setattr(record_sealing, "store_sealed_records", store)
    with pytest.raises(SealingFailed) as raised:
        seal_pending_records()

    assert raised.value.sealed == [ids[0], ids[2]]
    assert raised.value.failures == {broken: "The seal refused this record"}
    assert sealed_counts(ids)[broken] == (0, 0, 0)
    assert pending() == [broken]
    monkeypatch.setattr(record_sealing, "store_sealed_records", real)
    assert seal_pending_records() == [broken]
    assert sealed_counts(ids) == dict.fromkeys(ids, (2, 2, 3))


def test_an_error_in_the_writer_stops_the_sweep_and_a_rerun_finishes_it(
    any_board: Board, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = sorted(complete(any_board, who) for who in (NED1, SID, "finance@rx1.nhs.uk"))
    from appraisal_store.services import records as record_store

    real = record_store.queue_messages

    def queue(session, messages):  # type: ignore[no-untyped-def]
        if messages[0].appraisal_id == ids[1]:
            raise ConnectionError("the store went away")
        return real(session, messages)

    monkeypatch.setattr(record_store, "queue_messages", queue)
    with pytest.raises(ConnectionError):
        seal_pending_records()

    counts = sealed_counts(ids)
    assert counts[ids[0]] == (2, 2, 3)
    assert counts[ids[1]] == counts[ids[2]] == (0, 0, 0)  # rolled back; made, never stored
    monkeypatch.setattr(record_store, "queue_messages", real)
    assert seal_pending_records() == ids[1:]
    assert sealed_counts(ids) == dict.fromkeys(ids, (2, 2, 3))


def test_an_appraisal_signed_while_its_record_is_made_is_made_again(
    any_board: Board, monkeypatch: pytest.MonkeyPatch
) -> None:
    changing = agree(any_board, SID)
    sign(any_board, SID, by_appraiser=False)
    steady = complete(any_board, NED1)
    from appraisal_store.services import signing
    from records import record_sealing

    real = record_sealing.render_record
    rendered: list[str] = []

    def render(content):  # type: ignore[no-untyped-def]
        rendered.append(content.record_id)
        if rendered == [f"APR-{changing}-v1"]:
            with sessions.write_session() as session:  # the chair signs meanwhile
                signing.sign(session=session, actor=any_board.actor(CHAIR),
                             appraisal_id=changing)
        return real(content)

    monkeypatch.setattr(record_sealing, "render_record", render)
    assert seal_appraisals([changing, steady]) == [changing, steady]

    assert rendered.count(f"APR-{changing}-v1") == 2  # its first making was not stored
    first, final = records_of(changing)
    assert (first.stage, final.stage) == (RecordStage.SIGNED_BY_APPRAISEE, RecordStage.COMPLETE)
    assert final.pdf.startswith(first.pdf)
    assert sealed_counts([changing, steady]) == {changing: (2, 2, 3), steady: (2, 2, 3)}


def test_a_sweep_on_sqlite_keeps_its_connections(board: Board) -> None:
    # Opening a SQLite connection per session, and closing it, made every record pay for
    # the pragmas and for a checkpoint of the write-ahead log when the last one closed.
    from sqlalchemy import event

    ids = sorted(complete(board, who) for who in (NED1, SID, "finance@rx1.nhs.uk"))
    opened: list[object] = []
    event.listen(engines.pooled_engine(), "connect", lambda *_: opened.append(1))
    event.listen(engines.engine(), "connect", lambda *_: opened.append(1))

    assert seal_appraisals(ids) == ids

    assert len(opened) <= 2  # the reader and the writer thread, each at most once
