"""The regional endorsement: asked for by email once both have signed, given only by the
registered endorser, signed into the record as a third signature (pyHanko validates all
three, the earlier two intact), audited, and reminded of near the deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import func, select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from appraisal_store.models import AuditEvent, OutboxMessage, Record
from appraisal_store.nhse_tables import Endorsement
from appraisal_store.services.endorsement import endorse, queue_endorsement_reminders
from appraisal_store.vocabulary import RecordStage
from records.configured_seal import trusted_seal_certificates
from records.endorsement import pending_endorsement_seals, seal_endorsement
from records.verify import verify_record
from tests.conftest import Board
from tests.nhse.endorsing import (
    DELEGATE,
    REGIONAL,
    people_id,
    register_regional_director,
    sealed_complete,
)
from tests.records.appraisals import NED1

NOW = datetime(2026, 4, 20, 10, 0, tzinfo=UTC)
EXEC = "finance@rx1.nhs.uk"


def _endorse(board: Board, email: str, appraisal_id: int, comment: str = "") -> None:
    with sessions.write_session() as session:
        endorse(session=session, actor=Actor.person(people_id(board, email), email),
                appraisal_id=appraisal_id, comment=comment, now=NOW)


def _count(model: type, *where: object) -> int:
    with sessions.read_session() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)
                               ).scalar_one()


def test_the_endorser_is_asked_endorses_and_the_record_carries_three_signatures(
        board: Board) -> None:
    register_regional_director()
    appraisal_id = sealed_complete(board, NED1)
    with sessions.read_session() as session:
        asked = session.execute(select(OutboxMessage).where(
            OutboxMessage.template == "endorsement_requested")).scalars().all()
    assert [m.recipient_email for m in asked] == [REGIONAL]
    assert asked[0].payload["page"] == "endorsement"

    _endorse(board, REGIONAL, appraisal_id, "Endorsed: a thorough appraisal.")
    with sessions.read_session() as session:
        assert pending_endorsement_seals(session) == [appraisal_id]
    sha = seal_endorsement(appraisal_id)
    assert seal_endorsement(appraisal_id) is None  # idempotent
    with sessions.read_session() as session:
        records = {r.stage: r for r in session.execute(select(Record).where(
            Record.appraisal_id == appraisal_id)).scalars()}
        assert pending_endorsement_seals(session) == []
    endorsed = records[RecordStage.ENDORSED]
    assert endorsed.sha256 == sha and endorsed.pdf.startswith(records[RecordStage.COMPLETE].pdf)

    certificates = trusted_seal_certificates()
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(c.public_bytes(Encoding.DER))
                     for c in certificates], allow_fetching=False)
    signatures = PdfFileReader(BytesIO(endorsed.pdf)).embedded_signatures
    assert [s.field_name for s in signatures] == ["Appraisee", "Appraiser", "Endorsement"]
    statuses = [validate_pdf_signature(s, context) for s in signatures]
    assert all(s.bottom_line and s.intact and s.valid and s.trusted for s in statuses)
    assert [s.coverage for s in statuses] == [SignatureCoverageLevel.ENTIRE_REVISION] * 2 + [
        SignatureCoverageLevel.ENTIRE_FILE]
    verdict = verify_record(endorsed.pdf, trusted_certs=certificates,
                            known_record=lambda _: None)
    assert {s.field for s in verdict.signatures} == {"Appraisee", "Appraiser", "Endorsement"}
    assert all(s.ok for s in verdict.signatures)
    assert _count(AuditEvent, AuditEvent.action == "appraisal_endorsed") == 1
    assert _count(OutboxMessage, OutboxMessage.template == "appraisal_endorsed") == 1


def test_only_the_registered_endorser_endorses_and_nothing_is_written(board: Board) -> None:
    register_regional_director()
    appraisal_id = sealed_complete(board, NED1)
    with pytest.raises(NotFound):  # the chair is not the endorser
        _endorse(board, "chair@rx1.nhs.uk", appraisal_id)
    with pytest.raises(ValidationFailed):
        _endorse(board, REGIONAL, appraisal_id, "bad\x00comment")
    assert _count(Endorsement) == 0
    assert _count(AuditEvent, AuditEvent.action == "appraisal_endorsed") == 0
    _endorse(board, REGIONAL, appraisal_id)
    with pytest.raises(InvalidTransition, match="already endorsed"):
        _endorse(board, REGIONAL, appraisal_id)


def test_a_delegate_may_endorse_but_not_before_both_have_signed(board: Board) -> None:
    register_regional_director()
    register_regional_director(email=DELEGATE, part="endorsement-delegate",
                               name="Kofi Mensah")
    from tests.records.appraisals import agree
    appraisal_id = agree(board, NED1)
    with pytest.raises(InvalidTransition, match="once both"):
        _endorse(board, DELEGATE, appraisal_id)
    assert _count(Endorsement) == 0


def test_a_held_locally_appraisal_is_not_endorsed(board: Board) -> None:
    register_regional_director()
    with sessions.write_session() as session:
        from appraisal_store.services.contributors import register_contributor
        register_contributor(session=session, actor=Actor.operator(), organisation_code="RX1",
                             email=REGIONAL, part="endorsement-delegate",
                             roles=["executive-director"], reason="Covers all roles")
    appraisal_id = sealed_complete(board, EXEC)
    with pytest.raises(NotAllowed, match="held locally"):
        _endorse(board, REGIONAL, appraisal_id)
    assert _count(Endorsement) == 0


def test_the_endorser_is_reminded_as_the_deadline_approaches(board: Board) -> None:
    register_regional_director()
    sealed_complete(board, NED1)  # due to NHS England by 30 September 2026

    def remind(day: date) -> int:
        with sessions.write_session() as session:
            return queue_endorsement_reminders(session=session, today=day)

    assert remind(date(2026, 8, 1)) == 0
    assert remind(date(2026, 9, 9)) == 1  # within three weeks
    assert remind(date(2026, 9, 10)) == 0  # the same window: not again
    assert remind(date(2026, 9, 23)) == 1  # within a week
    assert remind(date(2026, 10, 1)) == 1  # the deadline has passed
    assert _count(OutboxMessage, OutboxMessage.template == "endorsement_reminder") == 3


def test_the_sealing_sweep_signs_an_endorsement_left_unsealed(board: Board) -> None:
    from flows.endorsement_sealing import seal_pending_endorsements

    register_regional_director()
    appraisal_id = sealed_complete(board, NED1)
    _endorse(board, REGIONAL, appraisal_id)  # as if the portal's process stopped here
    assert seal_pending_endorsements.fn() == [appraisal_id]
    assert seal_pending_endorsements.fn() == []
    assert _count(Record, Record.stage == RecordStage.ENDORSED) == 1
