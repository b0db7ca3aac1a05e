"""The submission pack: the sealed records due (endorsed where required), an index in CSV
and XLSX, and a manifest whose hashes are those of the stored records; marked sent with
its date, channel and sender, the appraisals then submitted; refusals write nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.errors import ValidationFailed
from appraisal_store.exports import SUBMISSION_INDEX_COLUMNS
from appraisal_store.models import Appraisal, AuditEvent, Record
from appraisal_store.nhse_tables import SubmissionPack
from appraisal_store.services import administration
from appraisal_store.services.endorsement import endorse
from appraisal_store.services.organisations import add_organisation
from appraisal_store.services.submissions import (
    build_submission_pack,
    deadline_statuses,
    mark_pack_sent,
)
from appraisal_store.vocabulary import AppraisalState, RecordStage
from records.endorsement import seal_endorsement
from tests.conftest import Board
from tests.nhse.endorsing import (
    REGIONAL,
    people_id,
    register_regional_director,
    sealed_complete,
)
from tests.records.appraisals import NED1, SID

COSEC = "cosec@rx1.nhs.uk"
NEDS_DUE = date(2026, 9, 30)
NOW = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def _cosec(board: Board) -> Actor:
    return board.actor(COSEC)


def _endorsed(board: Board, appraisee: str) -> int:
    appraisal_id = sealed_complete(board, appraisee)
    with sessions.write_session() as session:
        endorse(session=session, actor=Actor.person(people_id(board, REGIONAL), REGIONAL),
                appraisal_id=appraisal_id, comment="", now=NOW)
    seal_endorsement(appraisal_id)
    return appraisal_id


def _build(board: Board, deadline: date = NEDS_DUE) -> SubmissionPack:
    with sessions.write_session() as session:
        pack = build_submission_pack(session=session, actor=_cosec(board),
                                     organisation_id=board.organisation_id,
                                     deadline=deadline, now=NOW)
        session.expunge(pack)
        return pack


def _packs() -> int:
    with sessions.read_session() as session:
        return session.execute(select(func.count()).select_from(SubmissionPack)).scalar_one()


def test_the_index_gives_the_signed_off_fppt_year_over_the_appraisers_confirmation(
        board: Board) -> None:
    from appraisal_store.services.fppt import sign_off
    from tests.appraisal_store.fppt_steps import attest_clear, record_applicable, year_of

    register_regional_director()
    _endorsed(board, NED1)
    attest_clear(board, NED1)
    record_applicable(board, NED1)
    with sessions.write_session() as session:
        sign_off(session=session, actor=board.actor("chair@rx1.nhs.uk"),
                 fppt_year_id=year_of(board, NED1).id or 0,
                 outcome="fit_and_proper_with_mitigation", now=NOW)
    archive = zipfile.ZipFile(io.BytesIO(_build(board).content))
    index = list(csv.reader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    line = dict(zip(index[0], index[1], strict=True))
    assert line["FPPT outcome"] == "Fit and proper, with mitigation recorded"


def test_the_pack_holds_the_endorsed_records_its_manifest_hashes_and_an_index(
        board: Board) -> None:
    register_regional_director()
    ned = _endorsed(board, NED1)
    pack = _build(board)
    archive = zipfile.ZipFile(io.BytesIO(pack.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert hashlib.sha256(pack.content).hexdigest() == pack.sha256
    with sessions.read_session() as session:
        endorsed = session.execute(select(Record).where(
            Record.appraisal_id == ned, Record.stage == RecordStage.ENDORSED)).scalar_one()
    listed = {f["name"]: f["sha256"] for f in manifest["files"]}
    record_file = f"records/RX1-APR-{ned}-v1.pdf"
    assert listed[record_file] == endorsed.sha256
    for name, sha in listed.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == sha, name
    # The SID's appraisal, due by the same deadline, is not signed yet: outstanding.
    assert [o["person"] for o in manifest["outstanding"]] == ["Siân Ŵyn ap Gruffydd"]
    index = list(csv.reader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert index[0] == list(SUBMISSION_INDEX_COLUMNS)
    line = dict(zip(index[0], index[1], strict=True))
    assert line["Person"] == "Zoë Łukasiewicz" and line["Organisation code"] == "RX1"
    assert line["SHA-256"] == endorsed.sha256 and line["Record id"] == f"APR-{ned}-v1"
    assert line["FPPT outcome"] == "Fit and proper" and line["Endorsement date"] == "2026-09-01"
    sheet = load_workbook(io.BytesIO(archive.read("index.xlsx")))["Submission"]
    assert [c.value for c in sheet[1]] == list(SUBMISSION_INDEX_COLUMNS)

    with sessions.write_session() as session:
        mark_pack_sent(session=session, actor=_cosec(board), pack_id=pack.id or 0,
                       sent_on=date(2026, 9, 2), channel="NHS England secure upload",
                       today=date(2026, 9, 2), now=NOW)
    with sessions.read_session() as session:
        assert session.get(Appraisal, ned).state is AppraisalState.SUBMITTED_TO_NHSE  # type: ignore[union-attr]
        sent = session.get(SubmissionPack, pack.id)
        assert sent is not None and (sent.sent_on, sent.channel, sent.sent_by) == (
            date(2026, 9, 2), "NHS England secure upload", COSEC)
        status = deadline_statuses(session, [board.organisation_id])
    by_deadline = {s.deadline: s for s in status}
    neds = by_deadline[NEDS_DUE]
    assert (len(neds.due), neds.endorsed, neds.in_pack, neds.sent) == (2, 1, 1, 1)
    with pytest.raises(ValidationFailed, match="not recorded as sent"), \
            sessions.write_session() as session:
        mark_pack_sent(session=session, actor=_cosec(board), pack_id=pack.id or 0,
                       sent_on=date(2026, 9, 2), channel="again", today=date(2026, 9, 2),
                       now=NOW)


def test_a_signed_record_not_yet_endorsed_is_refused_and_nothing_written(
        board: Board) -> None:
    register_regional_director()
    sealed_complete(board, NED1)
    with pytest.raises(ValidationFailed) as raised:
        _build(board)
    assert raised.value.problems == [
        "Zoë Łukasiewicz (non-executive director): signed, awaiting the regional endorsement"]
    assert _packs() == 0
    with sessions.read_session() as session:
        assert session.execute(select(AuditEvent).where(
            AuditEvent.action == "submission_pack_built")).first() is None


def test_an_organisation_that_submits_nothing_is_refused(board: Board) -> None:
    with sessions.write_session() as session:
        trust = add_organisation(session=session, actor=Actor.operator(), code="RYF",
                                 name="Ryefield NHS Foundation Trust",
                                 org_type="foundation-trust")
        with pytest.raises(ValidationFailed, match="held locally, so it submits nothing"):
            build_submission_pack(session=session, actor=Actor.operator(),
                                  organisation_id=trust.id or 0, deadline=NEDS_DUE, now=NOW)
    assert _packs() == 0


def test_a_withdrawn_appraisal_is_never_due(board: Board) -> None:
    with sessions.write_session() as session:
        administration.withdraw(session=session, actor=_cosec(board),
                                appraisal_id=board.appraisals[SID], reason="Left the board")
    with sessions.read_session() as session:
        statuses = deadline_statuses(session, [board.organisation_id])
    names = {d.person for s in statuses for d in s.due}
    assert "Siân Ŵyn ap Gruffydd" not in names and "Nguyễn Thị Hoa" not in names
    assert "Zoë Łukasiewicz" in names and "Margaret Okafor" in names
