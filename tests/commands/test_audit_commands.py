"""``appraisal audit verify`` names the record whose anchor a tamper contradicts;
``audit anchor`` prints the head for a witness and ``verify --anchor`` checks it;
``audit repair-head`` mends only an intact trail."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from appraisal_store import engines, sessions
from appraisal_store.models import AuditEvent, AuditHead
from records.configured_seal import ensure_deployment_seal
from records.record_sealing import seal_appraisal
from tests.commands.test_environment_failures import failure, succeeds
from tests.conftest import Board
from tests.records.appraisals import NED1, complete


@pytest.fixture(name="sealed")
def sealed_fixture(sqlite_board: Board) -> int:
    ensure_deployment_seal()
    appraisal_id = complete(sqlite_board, NED1)
    seal_appraisal(appraisal_id)
    return appraisal_id


def test_verify_passes_on_an_untouched_store_and_counts_the_anchors(
        sealed: int, capsys: pytest.CaptureFixture[str]) -> None:
    said = succeeds(capsys, "audit", "verify")
    assert said.startswith("Audit trail intact:")
    assert "2 anchor(s) of sealed records hold" in said


def test_verify_names_the_record_a_truncation_contradicts(
        sealed: int, capsys: pytest.CaptureFixture[str]) -> None:
    with engines.engine().begin() as connection:
        connection.execute(delete(AuditEvent).where(AuditEvent.id > 3))
        kept = connection.execute(select(AuditEvent.hash).where(AuditEvent.id == 3)
                                  ).scalar_one()
        connection.execute(update(AuditHead).values(last_event_id=3, last_hash=kept))
    said = failure(capsys, "audit", "verify")
    assert "no longer passes through what was anchored" in said
    assert f"record of appraisal {sealed} (version 1) was sealed at event" in said


def test_a_lost_head_is_reported_and_repaired_only_by_repair_head(
        sealed: int, capsys: pytest.CaptureFixture[str]) -> None:
    with engines.engine().begin() as connection:
        connection.execute(delete(AuditHead))
    said = failure(capsys, "audit", "verify")
    assert "head row is missing" in said and "appraisal audit repair-head" in said
    # An audited command refuses with the same sentence instead of an IntegrityError.
    said = failure(capsys, "org", "add", "RX2", "--name", "Elsewhere", "--type", "nhs-trust")
    assert "head row is missing" in said
    assert "Repaired the audit trail's head to " in succeeds(capsys, "audit", "repair-head")
    assert succeeds(capsys, "audit", "verify").startswith("Audit trail intact:")
    assert "nothing to repair" in succeeds(capsys, "audit", "repair-head")


def test_repair_head_refuses_a_broken_trail(sealed: int,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    with engines.engine().begin() as connection:
        connection.execute(delete(AuditHead))
        connection.execute(update(AuditEvent).where(AuditEvent.id == 2)
                           .values(action="nothing_happened"))
    said = failure(capsys, "audit", "repair-head")
    assert "broken at event 2" in said and "left as it is" in said
    with sessions.read_session() as session:
        assert session.get(AuditHead, 1) is None


def test_the_anchor_printed_for_a_witness_is_checked_by_verify(
        sealed: int, capsys: pytest.CaptureFixture[str]) -> None:
    printed = succeeds(capsys, "audit", "anchor").strip()
    digest, number = printed.split("@")
    with sessions.read_session() as session:
        assert int(number) == session.execute(select(func.max(AuditEvent.id))).scalar_one()
    said = succeeds(capsys, "audit", "verify", "--anchor", printed)
    assert "and the one given hold" in said
    wrong = f"{'0' * 64}@{number}"
    said = failure(capsys, "audit", "verify", "--anchor", wrong)
    assert f"the anchor given was taken when event {number} had hash" in said
    said = failure(capsys, "audit", "verify", "--anchor", "not-an-anchor")
    assert "--anchor:" in said and "HASH@N" in said
