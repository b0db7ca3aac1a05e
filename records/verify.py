"""Verify a sealed record: every signature, nothing changed since, and known to the store.

A verdict never rests on pyHanko's ``valid`` flag alone: a flipped byte leaves the CMS
signature ``valid`` but not ``intact``. Each signature is judged by its ``bottom_line``
plus explicit checks, and each failure is a sentence a person can read out.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from records.placement import SIGNATURE_FIELDS

__all__ = ["ANCHOR_KEYWORD", "KnownRecord", "SignatureReport", "Verdict", "anchor_keyword",
           "audit_anchor_of", "verify_record"]

# The /Keywords entry by which a sealed record names the audit chain's head (HASH@N) at
# its sealing: written in each signature's update, so the signature covers it.
ANCHOR_KEYWORD = "audit-anchor:"

# pyHanko logs a full traceback (at ERROR) whenever a file fails its difference analysis.
# A tampered file is an expected input here, answered in the verdict; without a handler
# Python would print those tracebacks to stderr. A NullHandler keeps them out of the
# console while an application that configures logging still receives them.
logging.getLogger("pyhanko").addHandler(logging.NullHandler())

def anchor_keyword(anchor: object) -> str:
    """The /Keywords entry for ``anchor`` (an ``AuditAnchor``, written ``HASH@N``)."""
    return f"{ANCHOR_KEYWORD}{anchor}"


def audit_anchor_of(pdf: bytes) -> str | None:
    """The audit anchor (``HASH@N``) the newest revision of ``pdf`` carries, if any."""
    try:
        info = PdfFileReader(BytesIO(pdf), strict=False).trailer["/Info"].get_object()
        keywords = str(info.get("/Keywords", ""))
    except Exception:  # noqa: BLE001 - an unreadable file carries no anchor
        return None
    for keyword in keywords.split(","):
        if keyword.strip().startswith(ANCHOR_KEYWORD):
            return keyword.strip()[len(ANCHOR_KEYWORD):]
    return None


_ROLE_AND_TIME = re.compile(r"^\((?P<role>.*)\) on (?P<at>\S+)$")


@dataclass(frozen=True)
class KnownRecord:
    """What the store knows about a record it holds, found by the file's SHA-256."""

    record_id: str
    version: int
    appraisal_id: str | None = None


@dataclass(frozen=True)
class SignatureReport:
    """One signature as verified.

    ``signed_at`` is when the person signed (from the signature's reason); ``sealed_at``
    is the signing time the signature itself reports (the server's clock).
    ``coverage`` is pyHanko's coverage level name, e.g. ``"ENTIRE_FILE"``.
    """

    field: str
    signer_name: str | None
    role: str | None
    signed_at: datetime | None
    sealed_at: datetime | None
    certificate_subject: str | None
    intact: bool
    trusted: bool
    coverage: str
    ok: bool


@dataclass(frozen=True)
class Verdict:
    """The answer to "is this the record we sealed, unaltered?"; ``ok`` only if all holds."""

    ok: bool
    sha256: str
    signatures: tuple[SignatureReport, ...]
    failures: tuple[str, ...]
    record: KnownRecord | None = None


def _role_and_time(reason: str, name: str, field: str) -> tuple[str | None, datetime | None]:
    # Inverse of records.seal.signature_reason; the name is known, so only the tail parses.
    prefix = f"Signed by {name} as {field.lower()} "
    if not reason.startswith(prefix):
        return None, None
    match = _ROLE_AND_TIME.match(reason[len(prefix) :])
    if match is None:
        return None, None
    try:
        return match["role"], datetime.fromisoformat(match["at"])
    except ValueError:
        return match["role"], None


def _text(sig_object: Any, key: str) -> str | None:
    return str(sig_object[key]) if key in sig_object else None


def _validation_context(trusted_certs: Sequence[x509.Certificate]) -> ValidationContext:
    roots = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in trusted_certs]
    # Only the deployment's seals are trusted, and nothing is fetched from the network.
    return ValidationContext(trust_roots=roots, allow_fetching=False)


def _check_signature(
    embedded: Any, context: ValidationContext, *, last: bool
) -> tuple[SignatureReport, list[str]]:
    field = embedded.field_name or "(unnamed)"
    sig_object = embedded.sig_object
    name = _text(sig_object, "/Name")
    role, signed_at = _role_and_time(_text(sig_object, "/Reason") or "", name or "", field)
    failures: list[str] = []
    try:
        status = validate_pdf_signature(embedded, context)
    except Exception as error:  # a damaged CMS blob raises instead of reporting
        failures.append(f"Signature '{field}' could not be checked: {error}.")
        report = SignatureReport(
            field, name, role, signed_at, None, None, False, False, "UNCLEAR", False
        )
        return report, failures

    if not status.intact:
        failures.append(
            f"Signature '{field}' does not match the document: the file was "
            "changed after it was signed."
        )
    elif not status.valid:
        failures.append(f"Signature '{field}' is not a valid signature of its certificate.")
    # pyHanko only judges trust once the signature is intact and valid; saying "not
    # trusted" about a broken signature would send the reader after the wrong problem.
    if status.intact and status.valid and not status.trusted:
        failures.append(
            f"Signature '{field}': the signing certificate is not one of this "
            "deployment's trusted seals."
        )
    coverage = status.coverage
    if last and coverage != SignatureCoverageLevel.ENTIRE_FILE:
        failures.append(f"Content was added after the last signature ('{field}').")
    level = status.modification_level
    # Signing again is form filling; anything more (a page, an annotation) is tampering.
    if coverage != SignatureCoverageLevel.ENTIRE_FILE and (
        level is None or level > ModificationLevel.FORM_FILLING or status.docmdp_ok is False
    ):
        failures.append(
            f"The file was changed after signature '{field}' in a way signing "
            "does not explain (for example, a page was altered)."
        )
    if not status.bottom_line and not failures:
        failures.append(f"Signature '{field}' failed validation: {status.summary()}.")
    report = SignatureReport(
        field=field,
        signer_name=name,
        role=role,
        signed_at=signed_at,
        sealed_at=status.signer_reported_dt,
        certificate_subject=status.signing_cert.subject.human_friendly,
        intact=bool(status.intact),
        trusted=bool(status.trusted),
        coverage=coverage.name if coverage is not None else "UNCLEAR",
        ok=status.bottom_line and not failures,
    )
    return report, failures


def _read_signatures(pdf: bytes, failures: list[str]) -> list[Any] | None:
    """The file's signatures in signing order, or None (with a failure) if unreadable."""
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
    except Exception as error:  # pyHanko raises many kinds on a malformed file
        failures.append(f"This file is not a readable PDF ({error}).")
        return None
    try:
        embedded = sorted(reader.embedded_signatures, key=lambda sig: sig.signed_revision)
    except Exception as error:
        failures.append(f"The signatures in this file are damaged and cannot be read ({error}).")
        return None
    if not embedded:
        failures.append("The file carries no signatures.")
    return embedded


def verify_record(
    pdf: bytes,
    *,
    trusted_certs: Sequence[x509.Certificate],
    known_record: Callable[[str], KnownRecord | None],
    required_fields: Sequence[str] = SIGNATURE_FIELDS,
) -> Verdict:
    """Check a record file end to end; never raises on a bad file.

    Args:
        pdf: The file's bytes, whatever they are.
        trusted_certs: The deployment's seal certificates as ``cryptography`` objects,
            normally ``[seal.certificate]``. A signature is trusted only if its
            certificate is one of them or chains to one; pass an issuing CA only if
            everything that CA issues should count as this deployment's seal.
        known_record: Looks a SHA-256 (lower-case hex) up in the store.
        required_fields: Signatures a complete record must carry.

    Returns:
        The verdict: ``ok`` only when every signature is intact, valid and trusted,
        nothing but signing happened after each, the last covers the whole file, every
        required signature is there, and the store holds this exact file.
    """
    sha256 = hashlib.sha256(pdf).hexdigest()
    failures: list[str] = []
    reports: list[SignatureReport] = []
    embedded = _read_signatures(pdf, failures)
    if embedded is not None:
        context = _validation_context(trusted_certs)
        for index, signature in enumerate(embedded):
            report, problems = _check_signature(signature, context, last=index == len(embedded) - 1)
            reports.append(report)
            failures += problems
        present = {report.field for report in reports}
        failures += [
            f"The record is missing the '{field}' signature."
            for field in required_fields
            if field not in present and embedded
        ]

    record = known_record(sha256)
    if record is None:
        failures.append("This file is not a record held in the store.")
    return Verdict(
        ok=not failures,
        sha256=sha256,
        signatures=tuple(reports),
        failures=tuple(failures),
        record=record,
    )
