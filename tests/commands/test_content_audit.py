"""The command line's doors to content: each record it writes out is audited as the portal
audits a view; an export it refuses is logged instead."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from appraisal_store import sessions
from appraisal_store.audit_verification import verify_chain
from appraisal_store.models import Appraisal, AuditEvent
from appraisal_store.services.content_views import ACCESS_LOGGER
from records.configured_seal import ensure_deployment_seal
from tests.commands.test_operator_commands import invoke
from tests.conftest import Board
from tests.records.appraisals import NED1, SID, agree, complete

OPERATOR_LABEL = "operator (command line)"


@pytest.fixture(name="board")
def board_fixture(sqlite_board: Board) -> Board:
    ensure_deployment_seal()
    return sqlite_board


def _views() -> list[AuditEvent]:
    with sessions.read_session() as session:
        return list(session.execute(select(AuditEvent).where(
            AuditEvent.action == "content_viewed").order_by(AuditEvent.id)).scalars())


def _revision(appraisal_id: int) -> int:
    with sessions.read_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal is not None
        return appraisal.revision


def test_records_export_writes_the_content_viewed_event_as_the_operator(
        board: Board, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    appraisal_id = complete(board, NED1)
    assert invoke(capsys, "records", "seal")[0] == 0
    before = _views()
    code, out, err = invoke(capsys, "records", "export", str(appraisal_id),
                            "-o", str(tmp_path / "record.pdf"))
    assert code == 0, err
    [event] = _views()[len(before):]
    assert (event.action, event.subject_type, event.subject_id) == (
        "content_viewed", "appraisal", str(appraisal_id))
    assert (event.actor_id, event.actor_label) == (None, OPERATOR_LABEL)
    assert event.organisation_id == board.organisation_id
    # The details of the portal's view event ({"page": ..., "revision": ...}).
    assert event.details == {"page": "records export", "revision": _revision(appraisal_id)}
    with sessions.read_session() as session:
        assert verify_chain(session).ok


def test_records_export_all_writes_one_event_per_record(
        board: Board, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = sorted([complete(board, NED1), complete(board, SID)])
    assert invoke(capsys, "records", "seal")[0] == 0
    before = len(_views())
    code, out, err = invoke(capsys, "records", "export-all", "--to", str(tmp_path / "all"))
    assert code == 0, err
    added = _views()[before:]
    assert sorted(int(e.subject_id) for e in added) == ids
    assert {(e.actor_label, e.details["page"]) for e in added} == {
        (OPERATOR_LABEL, "records export-all")}


def test_a_refused_export_is_logged_and_not_audited(
        board: Board, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture, home: Path) -> None:
    appraisal_id = agree(board, NED1)  # agreed, not signed: there is no record to export
    with sessions.read_session() as session:
        before = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        code, _, err = invoke(capsys, "records", "export", str(appraisal_id),
                              "-o", str(tmp_path / "x.pdf"))
    assert code == 1 and "no sealed record" in err
    with sessions.read_session() as session:
        assert session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() \
            == before
    [record] = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert (record.actor_id, record.actor_label) == (None, OPERATOR_LABEL)  # type: ignore[attr-defined]
    assert record.what == "the command 'records export'"  # type: ignore[attr-defined]
    assert record.appraisal_id == appraisal_id  # type: ignore[attr-defined]
    assert f"tried the command 'records export' of appraisal {appraisal_id}" in (
        home / "logs" / "access.log").read_text(encoding="utf-8")
