"""The FPPT's sealed documents: the annual submission and a Board Member Reference,
their signatures validated by pyHanko; the ESR export's columns as the checklist file
lists them."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from openpyxl import load_workbook
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.errors import ValidationFailed
from appraisal_store.exports import csv_bytes
from appraisal_store.fppt_checklist import default_checklist
from appraisal_store.fppt_exports import esr_sheet
from appraisal_store.fppt_queries import board_year
from appraisal_store.fppt_tables import BoardMemberReference
from appraisal_store.services.fppt import sign_off
from appraisal_store.services.fppt_references import SectionAnswer, save_reference
from records.fppt_sealing import make_reference, make_submission
from records.seal import Seal
from tests.appraisal_store.fppt_steps import NOW, attest_clear, record_applicable, year_of
from tests.conftest import Board
from tests.pdf_text import pdf_text

SIGNED_AT = datetime(2026, 6, 1, 10, tzinfo=UTC)


def _valid(pdf: bytes, seal: Seal) -> bool:
    root = asn1_x509.Certificate.load(seal.certificate.public_bytes(Encoding.DER))
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    return len(signatures) == 1 and all(
        validate_pdf_signature(s, context).bottom_line for s in signatures)


def _sign_off_everyone(board: Board) -> None:
    for email in board.appraisals:
        attest_clear(board, email)
        record_applicable(board, email)
        signer = "sid@rx1.nhs.uk" if email == "chair@rx1.nhs.uk" else "chair@rx1.nhs.uk"
        with sessions.write_session() as session:
            sign_off(session=session, actor=board.actor(signer),
                     fppt_year_id=year_of(board, email).id or 0, outcome="fit_and_proper",
                     now=NOW)


def test_the_submission_is_refused_until_every_member_is_signed_off(board: Board,
                                                                    seal: Seal) -> None:
    with pytest.raises(ValidationFailed) as refused:
        make_submission(actor=board.actor("chair@rx1.nhs.uk"),
                        organisation_id=board.organisation_id, year="2025/26",
                        declaration="I declare.", now=SIGNED_AT, seal=seal)
    assert any("Priya Shah: the FPPT is not started" == p for p in refused.value.problems)


def test_the_submission_is_sealed_and_its_signature_validates(board: Board,
                                                              seal: Seal) -> None:
    _sign_off_everyone(board)
    submission = make_submission(actor=board.actor("chair@rx1.nhs.uk"),
                                 organisation_id=board.organisation_id, year="2025/26",
                                 declaration="I declare the board fit and proper.",
                                 now=SIGNED_AT, seal=seal)
    assert _valid(submission.pdf, seal)
    assert submission.submitted_on == SIGNED_AT.date()
    sheet = load_workbook(io.BytesIO(submission.xlsx)).active
    assert sheet is not None
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "Alan Leaver" in names and "Nguyễn Thị Hoa" in names


def test_the_submission_reads_on_paper(board: Board, seal: Seal, tmp_path: Path) -> None:
    """Landscape, each column wide enough for its longest word (a narrow one splits
    "Interim" as "Interi m"), dates in words; poppler reads the text back."""
    _sign_off_everyone(board)
    submission = make_submission(actor=board.actor("chair@rx1.nhs.uk"),
                                 organisation_id=board.organisation_id, year="2025/26",
                                 declaration="I declare.", now=SIGNED_AT, seal=seal)
    box = PdfFileReader(io.BytesIO(submission.pdf)).root["/Pages"]["/Kids"][0]["/MediaBox"]
    width, height = float(box[2]), float(box[3])
    assert width > height
    words = pdf_text(submission.pdf, tmp_path).split()
    for whole in ("Interim", "Reference", "Signed off by", "Gruffydd", "Nguyễn Thị Hoa"):
        assert whole in " ".join(words), whole
    assert "1 June 2026." in " ".join(words)  # the chair's signature
    assert not [word for word in words if re.fullmatch(r"\d{4}-\d{2}-\d{2}", word)]


def test_a_reference_is_sealed_and_its_signature_validates(board: Board, seal: Seal) -> None:
    with sessions.read_session() as session:
        reference_id = session.execute(select(BoardMemberReference.id)).scalar_one()
    with sessions.write_session() as session:
        save_reference(session=session, actor=board.actor("cosec@rx1.nhs.uk"),
                       reference_id=reference_id, answers={
                           "role-and-dates": SectionAnswer(text="NED 2018 to 2025"),
                           "fitness-concerns": SectionAnswer(answer=False),
                           "investigations": SectionAnswer(answer=False),
                           "statement": SectionAnswer(text="No concerns.")})
    reference = make_reference(actor=board.actor("chair@rx1.nhs.uk"),
                               reference_id=reference_id, now=SIGNED_AT, seal=seal)
    assert reference.pdf is not None and _valid(reference.pdf, seal)


def test_the_esr_export_has_the_checklists_columns(board: Board) -> None:
    _sign_off_everyone(board)
    with sessions.read_session() as session:
        members = board_year(session, board.organisation_id, "2025/26")
    checklist = default_checklist()
    sheet = esr_sheet(members, checklist, "Riverside Hospitals NHS Trust")
    rows = list(csv.reader(io.StringIO(csv_bytes(sheet).decode("utf-8-sig"))))
    assert rows[0] == [c.column for c in checklist.esr_columns]
    line = dict(zip(rows[0], rows[1], strict=True))
    assert line["FPPT Outcome"] == "Fit and proper"
    assert line["Signed Off By"] == "Siân Ŵyn ap Gruffydd"  # the chair's, by the SID
    assert line["DBS Check Date"] == "2025-11-20"
