"""``appraisal records seal | export | export-all | verify``, run as the console script runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from appraisal_store import sessions
from records.build import build_content
from records.configured_seal import deployment_seal, ensure_deployment_seal
from records.render import render_record
from records.seal import Seal, load_seal
from records.self_signed_seal import ensure_seal
from tests.commands.test_operator_commands import invoke
from tests.conftest import Board
from tests.records.appraisals import NED1, agree, complete
from tests.records.parties import sign_as_appraisee, sign_as_appraiser
from tests.records.tampering import add_a_page_with_pypdf, flip_a_signed_byte, stamp_a_page


@pytest.fixture(name="board")
def board_fixture(sqlite_board: Board) -> Board:
    ensure_deployment_seal()
    return sqlite_board


@pytest.fixture(name="exported")
def exported_fixture(board: Board, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The sealed record of the first NED's completed appraisal, exported to a file."""
    appraisal_id = complete(board, NED1)
    code, out, _ = invoke(capsys, "records", "seal")
    assert code == 0 and f"Sealed the records of 1 appraisals: {appraisal_id}." in out
    path = tmp_path / "record.pdf"
    code, out, _ = invoke(capsys, "records", "export", str(appraisal_id), "-o", str(path))
    assert code == 0 and "Wrote the sealed record" in out
    return path


def test_verify_accepts_the_exported_record(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = invoke(capsys, "records", "verify", str(exported))

    assert code == 0, err
    assert "Appraisee: signed by Zoë Łukasiewicz (Non-executive director) on 2026-" in out
    assert "Appraiser: signed by Margaret Okafor (Chair) on 2026-" in out
    assert "Held in the store as record APR-" in out
    assert "Verdict: VALID" in out


def test_sealing_again_has_nothing_to_do(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = invoke(capsys, "records", "seal")
    assert code == 0 and "Nothing to seal" in out


def _rejected(capsys: pytest.CaptureFixture[str], path: Path, expected: str) -> str:
    code, out, err = invoke(capsys, "records", "verify", str(path))
    assert code == 1
    assert "Verdict: NOT VALID" in err
    assert expected in err, err
    return out + err


def test_a_flipped_byte_in_the_signed_range_is_rejected(
    exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tampered = tmp_path / "flipped.pdf"
    tampered.write_bytes(flip_a_signed_byte(exported.read_bytes()))

    _rejected(capsys, tampered, "Signature 'Appraisee' does not match the document")


@pytest.mark.parametrize("tamper", [stamp_a_page, add_a_page_with_pypdf])
def test_an_update_appended_after_signing_that_changes_a_page_is_rejected(
    exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], tamper
) -> None:
    tampered = tmp_path / "updated.pdf"
    tampered.write_bytes(tamper(exported.read_bytes()))

    _rejected(capsys, tampered, "Content was added after the last signature ('Appraiser').")


@pytest.fixture(name="stranger")
def stranger_fixture(tmp_path: Path) -> Seal:
    ensure_seal(tmp_path / "elsewhere", organisation="Elsewhere NHS Trust")
    return load_seal(home=tmp_path / "elsewhere")


def _rendered(appraisal_id: int) -> bytes:
    with sessions.read_session() as session:
        return render_record(build_content(session, appraisal_id))


def test_a_record_signed_by_an_untrusted_seal_is_rejected(
    board: Board, tmp_path: Path, stranger: Seal, capsys: pytest.CaptureFixture[str]
) -> None:
    appraisal_id = agree(board, NED1)
    foreign = tmp_path / "foreign.pdf"
    foreign.write_bytes(sign_as_appraiser(sign_as_appraisee(_rendered(appraisal_id), stranger),
                                          stranger))

    _rejected(capsys, foreign, "the signing certificate is not one of this deployment's "
                               "trusted seals")


def test_a_valid_record_the_store_does_not_hold_is_rejected(
    board: Board, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    appraisal_id = agree(board, NED1)
    seal = deployment_seal()
    unknown = tmp_path / "unknown.pdf"
    unknown.write_bytes(sign_as_appraiser(sign_as_appraisee(_rendered(appraisal_id), seal), seal))

    output = _rejected(capsys, unknown, "This file is not a record held in the store.")
    assert ": valid" in output and "NOT valid" not in output  # only the store lookup failed


def test_verify_names_a_file_it_cannot_read(
    board: Board, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = invoke(capsys, "records", "verify", str(tmp_path / "missing.pdf"))
    assert code == 1 and "Cannot read" in err
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"hello")
    _rejected(capsys, garbage, "not a readable PDF")


def test_export_without_a_sealed_record_exits_1(
    board: Board, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    appraisal_id = agree(board, NED1)

    code, _, err = invoke(capsys, "records", "export", str(appraisal_id), "-o",
                          str(tmp_path / "x.pdf"))

    assert code == 1
    assert f"There is no sealed record of appraisal {appraisal_id}" in err
    assert not (tmp_path / "x.pdf").exists()


def test_export_all_writes_into_appraisal_home(
    exported: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = invoke(capsys, "records", "export-all")

    assert code == 0 and "1 sealed records are in" in out
    [written] = (home / "records").iterdir()
    assert written.name.startswith("RX1-zoe-lukasiewicz-2025-26-APR-")
    assert written.read_bytes() == exported.read_bytes()


def test_export_all_in_production_writes_only_to_the_shared_export_folder(
    exported: Path, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    from appraisal_store import config

    monkeypatch.setenv("APPRAISAL_ENV", "production")
    config.settings.cache_clear()
    code, _, err = invoke(capsys, "records", "export-all")
    assert code == 1 and "APPRAISAL_EXPORT_DIR" in err and "Traceback" not in err
    assert not (home / "records").exists()  # nothing on this machine's own disk

    shared = tmp_path / "shared-exports"  # a folder every machine mounts
    monkeypatch.setenv("APPRAISAL_EXPORT_DIR", str(shared))
    config.settings.cache_clear()
    code, out, _ = invoke(capsys, "records", "export-all")
    assert code == 0 and str(shared) in out
    [written] = shared.iterdir()
    assert written.read_bytes() == exported.read_bytes()
    assert not (home / "records").exists()
