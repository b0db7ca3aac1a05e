"""``appraisal submissions download`` writes the stored pack, by number or the newest for an
organisation and deadline; its files match the manifest and the manifest the stored
records; the download is audited; no pack, or misuse, is refused in one sentence."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.models import AuditEvent, Record
from appraisal_store.services.organisations import add_organisation
from appraisal_store.vocabulary import RecordStage
from tests.commands.test_operator_commands import invoke
from tests.conftest import Board
from tests.nhse.endorsing import register_regional_director
from tests.nhse.test_submission_pack import _build, _endorsed
from tests.records.appraisals import NED1


def _downloads() -> list[tuple[str, str]]:
    with sessions.read_session() as session:
        return [(e.subject_id, e.actor_label) for e in session.execute(
            select(AuditEvent).where(AuditEvent.action == "content_viewed")).scalars()
            if e.details.get("page") == "submission pack"]


def test_the_stored_pack_is_written_and_its_hashes_hold(
        capsys: pytest.CaptureFixture[str], board: Board, tmp_path: Path) -> None:
    target = tmp_path / "pack.zip"
    with sessions.write_session() as session:
        add_organisation(session=session, actor=Actor.operator(), code="RYF",
                         name="Ryefield NHS Foundation Trust", org_type="foundation-trust")
    code, out, err = invoke(capsys, "submissions", "download", "--org", "RX1", "--deadline",
                            "2026-09-30", "-o", str(target))
    assert code == 1 and not target.exists()
    assert ("There is no submission pack of RX1 for the deadline 30 September 2026: build "
            "one first") in " ".join((out + err).split())

    register_regional_director()
    ned = _endorsed(board, NED1)
    first = _build(board)
    newest = _build(board)
    code, out, _ = invoke(capsys, "submissions", "download", "--org", "rx1", "--deadline",
                          "2026-09-30", "-o", str(target), "--json")
    assert code == 0
    written = json.loads(out)
    assert written["pack"] == newest.id and written["sha256"] == newest.sha256
    content = target.read_bytes()
    assert hashlib.sha256(content).hexdigest() == newest.sha256
    archive = zipfile.ZipFile(io.BytesIO(content))
    manifest = json.loads(archive.read("manifest.json"))
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    with sessions.read_session() as session:
        endorsed = session.execute(select(Record.sha256).where(
            Record.appraisal_id == ned, Record.stage == RecordStage.ENDORSED)).scalar_one()
    listed = {f["name"]: f["sha256"] for f in manifest["files"]}
    assert listed[f"records/RX1-APR-{ned}-v1.pdf"] == endorsed
    assert _downloads() == [(str(ned), "operator (command line)")]

    by_number = tmp_path / "first.zip"
    code, out, _ = invoke(capsys, "submissions", "download", str(first.id), "-o",
                          str(by_number))
    assert code == 0 and f"Pack {first.id}" in out
    assert hashlib.sha256(by_number.read_bytes()).hexdigest() == first.sha256

    code, out, err = invoke(capsys, "submissions", "download", "999", "-o",
                            str(tmp_path / "none.zip"))
    assert code == 1 and "There is no submission pack 999" in out + err
    code, out, err = invoke(capsys, "submissions", "download", "--org", "RX1", "-o",
                            str(tmp_path / "half.zip"))
    assert code == 2 and "--org and --deadline" in out + err
    code, out, err = invoke(capsys, "submissions", "download", "--org", "NOPE", "--deadline",
                            "2026-09-30", "-o", str(tmp_path / "nope.zip"))
    assert code == 1 and "no organisation with the code 'NOPE'" in out + err
    code, out, err = invoke(capsys, "submissions", "download", "--org", "RYF", "--deadline",
                            "2026-06-30", "-o", str(tmp_path / "ryf.zip"))
    assert code == 1 and "RYF (NHS foundation trust) holds its appraisals locally" in " ".join(
        (out + err).split())
    assert not any((tmp_path / n).exists() for n in ("none.zip", "half.zip", "nope.zip", "ryf.zip"))
    assert len(_downloads()) == 2
