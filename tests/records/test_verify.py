"""Verification: what we seal validates, and every way of tampering is caught."""

from __future__ import annotations

import hashlib
from datetime import datetime
from io import BytesIO

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from records.seal import Seal
from records.verify import KnownRecord, Verdict, verify_record
from tests.records.parties import (
    APPRAISEE,
    APPRAISER,
    LONDON,
    sign_as_appraisee,
    sign_as_appraiser,
)
from tests.records.tampering import add_a_page_with_pypdf, flip_a_signed_byte, stamp_a_page

NOT_HELD = "This file is not a record held in the store."


def held(pdf: bytes) -> dict[str, KnownRecord]:
    """A store holding exactly ``pdf``."""
    return {hashlib.sha256(pdf).hexdigest(): KnownRecord("REC-2025-RXX-0001", 1, "42")}


def verify(pdf: bytes, seal: Seal, store: dict[str, KnownRecord] | None = None) -> Verdict:
    return verify_record(pdf, trusted_certs=[seal.certificate], known_record=(store or {}).get)


def test_pyhanko_validates_both_signatures(signed_pdf: bytes, seal: Seal) -> None:
    root = asn1_x509.Certificate.load(seal.certificate.public_bytes(Encoding.DER))
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    signatures = PdfFileReader(BytesIO(signed_pdf)).embedded_signatures

    statuses = [validate_pdf_signature(sig, context) for sig in signatures]

    assert [sig.field_name for sig in signatures] == ["Appraisee", "Appraiser"]
    assert all(s.bottom_line and s.intact and s.valid and s.trusted for s in statuses)
    assert statuses[-1].coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert statuses[0].coverage == SignatureCoverageLevel.ENTIRE_REVISION
    assert all(sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached" for sig in signatures)


def test_a_sealed_record_held_in_the_store_is_accepted(signed_pdf: bytes, seal: Seal) -> None:
    verdict = verify(signed_pdf, seal, held(signed_pdf))

    assert verdict.ok, verdict.failures
    assert verdict.failures == ()
    assert verdict.sha256 == hashlib.sha256(signed_pdf).hexdigest()
    assert verdict.record == KnownRecord("REC-2025-RXX-0001", 1, "42")
    appraisee, appraiser = verdict.signatures
    assert (appraisee.field, appraisee.signer_name, appraisee.role) == (
        "Appraisee",
        APPRAISEE,
        "Non-executive director",
    )
    assert appraisee.signed_at == datetime(2025, 6, 12, 10, 30, tzinfo=LONDON)
    assert (appraiser.field, appraiser.signer_name, appraiser.role) == (
        "Appraiser",
        APPRAISER,
        "Chair",
    )
    assert appraiser.signed_at == datetime(2025, 6, 13, 9, 5, tzinfo=LONDON)
    assert appraiser.coverage == "ENTIRE_FILE"
    assert all(s.intact and s.trusted and s.ok and s.sealed_at for s in verdict.signatures)


def test_a_flipped_byte_inside_the_signed_range_is_caught(signed_pdf: bytes, seal: Seal) -> None:
    tampered = flip_a_signed_byte(signed_pdf)

    verdict = verify(tampered, seal, held(tampered))

    assert not verdict.ok
    assert (
        "Signature 'Appraisee' does not match the document: the file was changed after it "
        "was signed." in verdict.failures
    )
    assert any("Signature 'Appraiser' does not match the document" in f for f in verdict.failures)
    assert not any(s.intact for s in verdict.signatures)


@pytest.mark.parametrize("tamper", [stamp_a_page, add_a_page_with_pypdf])
def test_an_update_after_the_last_signature_that_changes_pages_is_caught(
    signed_pdf: bytes, seal: Seal, tamper
) -> None:
    tampered = tamper(signed_pdf)
    assert tampered.startswith(signed_pdf)  # an incremental update, signatures untouched

    verdict = verify(tampered, seal, held(tampered))

    assert not verdict.ok
    assert "Content was added after the last signature ('Appraiser')." in verdict.failures
    assert any("changed after signature 'Appraisee'" in f for f in verdict.failures)
    assert all(s.intact for s in verdict.signatures)


def test_a_record_signed_by_a_seal_we_do_not_trust_is_caught(
    unsigned_pdf: bytes, seal: Seal, stranger_seal: Seal
) -> None:
    foreign = sign_as_appraiser(sign_as_appraisee(unsigned_pdf, stranger_seal), stranger_seal)

    verdict = verify(foreign, seal, held(foreign))

    assert not verdict.ok
    assert (
        "Signature 'Appraisee': the signing certificate is not one of this deployment's "
        "trusted seals." in verdict.failures
    )
    assert not any(s.trusted for s in verdict.signatures)
    assert all(s.intact for s in verdict.signatures)


def test_one_foreign_signature_among_two_is_caught(
    signed_once: bytes, seal: Seal, stranger_seal: Seal
) -> None:
    mixed = sign_as_appraiser(signed_once, stranger_seal)

    verdict = verify(mixed, seal, held(mixed))

    assert not verdict.ok
    assert [s.trusted for s in verdict.signatures] == [True, False]


def test_a_valid_record_the_store_does_not_hold_is_caught(signed_pdf: bytes, seal: Seal) -> None:
    verdict = verify(signed_pdf, seal, store={})

    assert not verdict.ok
    assert verdict.failures == (NOT_HELD,)
    assert all(s.ok for s in verdict.signatures)


def test_a_record_signed_only_by_the_appraisee_is_incomplete(
    signed_once: bytes, seal: Seal
) -> None:
    verdict = verify(signed_once, seal, held(signed_once))

    assert not verdict.ok
    assert verdict.failures == ("The record is missing the 'Appraiser' signature.",)


def test_an_unsigned_record_is_rejected(unsigned_pdf: bytes, seal: Seal) -> None:
    verdict = verify(unsigned_pdf, seal, held(unsigned_pdf))

    assert not verdict.ok
    assert "The file carries no signatures." in verdict.failures


@pytest.mark.parametrize(
    "garbage",
    [b"", b"hello", b"%PDF-1.7\n%%EOF", b"\x89PNG\r\n\x1a\n" + bytes(100)],
    ids=["empty", "text", "empty-pdf", "png"],
)
def test_a_file_that_is_not_a_pdf_gives_a_verdict_not_an_exception(
    garbage: bytes, seal: Seal
) -> None:
    verdict = verify(garbage, seal)

    assert not verdict.ok
    assert verdict.sha256 == hashlib.sha256(garbage).hexdigest()
    assert verdict.failures[0].startswith(("This file is not a readable PDF", "The file"))


def test_a_truncated_record_gives_a_verdict_not_an_exception(signed_pdf: bytes, seal: Seal) -> None:
    verdict = verify(signed_pdf[: len(signed_pdf) - 2000], seal)

    assert not verdict.ok
    assert NOT_HELD in verdict.failures


def test_a_damaged_signature_blob_gives_a_verdict_not_an_exception(
    signed_pdf: bytes, seal: Seal
) -> None:
    offset = signed_pdf.rindex(b"/Contents <") + 40
    damaged = bytearray(signed_pdf)
    damaged[offset] = ord("0") if damaged[offset] != ord("0") else ord("1")

    verdict = verify(bytes(damaged), seal)

    assert not verdict.ok
    assert any("Appraiser" in f or "damaged" in f for f in verdict.failures)
