"""The organisation seal: created safely once, loaded from file or PKCS#12, signs records."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from records.errors import SealError, SigningError
from records.pdf_signing import sign_record
from records.seal import Seal, load_seal
from records.self_signed_seal import CERT_FILE, KEY_FILE, ensure_seal, seal_dir
from records.verify import KnownRecord, verify_record
from tests.records.parties import LONDON, sign_as_appraisee, sign_as_appraiser


def test_the_key_file_is_readable_only_by_its_owner(seal_home: Path) -> None:
    mode = stat.S_IMODE(os.stat(seal_dir(seal_home) / KEY_FILE).st_mode)

    assert mode == 0o600


def test_the_certificate_is_for_non_repudiation(seal: Seal) -> None:
    usage = seal.certificate.extensions.get_extension_for_class(x509.KeyUsage).value

    assert usage.content_commitment  # non-repudiation
    assert usage.digital_signature
    assert not usage.key_cert_sign
    assert seal.organisation == "Riverside Hospitals NHS Trust"
    assert "Riverside Hospitals NHS Trust" in seal.common_name


def test_ensure_seal_is_idempotent(tmp_path: Path) -> None:
    first = ensure_seal(tmp_path, organisation="Riverside Hospitals NHS Trust")
    key, cert = first.key_path.read_bytes(), first.cert_path.read_bytes()

    second = ensure_seal(tmp_path, organisation="Someone else")

    assert first.created and not second.created
    assert (second.key_path.read_bytes(), second.cert_path.read_bytes()) == (key, cert)


def test_ensure_seal_completes_a_seal_whose_certificate_is_missing(tmp_path: Path) -> None:
    files = ensure_seal(tmp_path)
    files.cert_path.unlink()

    again = ensure_seal(tmp_path)

    assert again.created and again.cert_path.exists()
    assert load_seal(home=tmp_path).self_signed


def test_a_certificate_that_does_not_match_the_key_is_refused(tmp_path: Path) -> None:
    files = ensure_seal(tmp_path / "a")
    other = ensure_seal(tmp_path / "b")
    files.cert_path.write_bytes(other.cert_path.read_bytes())

    with pytest.raises(SealError, match="does not match its key"):
        ensure_seal(tmp_path / "a")


def test_loading_a_missing_seal_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(SealError, match="appraisal init"):
        load_seal(home=tmp_path)


def test_the_loaded_seal_is_cached_until_its_files_change(tmp_path: Path) -> None:
    ensure_seal(tmp_path)
    first = load_seal(home=tmp_path)

    assert load_seal(home=tmp_path) is first
    key = seal_dir(tmp_path) / KEY_FILE
    (seal_dir(tmp_path) / CERT_FILE).unlink()
    key.unlink()
    ensure_seal(tmp_path)
    assert load_seal(home=tmp_path).certificate != first.certificate


def _certificate(
    subject: str,
    public_key: ec.EllipticCurvePublicKey,
    issuer: x509.Certificate | None = None,
    issuer_key: ec.EllipticCurvePrivateKey | None = None,
    *,
    ca: bool = False,
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.now(UTC)
    usage = (False, False, False, False, False, True, True) if ca else (True, True) + (False,) * 5
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(*usage, False, False), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def _pkcs12_seal(
    path: Path,
    password: bytes,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    if issuer is None:
        certificate = _certificate("Riverside real seal", key.public_key(), issuer_key=key)
    else:
        certificate = _certificate("Riverside real seal", key.public_key(), *issuer)
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"seal",
            key,
            certificate,
            [issuer[0]] if issuer else None,
            serialization.BestAvailableEncryption(password),
        )
    )
    return certificate


def test_a_pkcs12_certificate_signs_instead_when_configured(
    tmp_path: Path, unsigned_pdf: bytes
) -> None:
    certificate = _pkcs12_seal(tmp_path / "seal.p12", b"correct horse")

    seal = load_seal(tmp_path / "seal.p12", "correct horse", home=tmp_path)
    signed = sign_as_appraiser(sign_as_appraisee(unsigned_pdf, seal), seal)

    assert not seal.self_signed
    assert seal.certificate == certificate
    verdict = verify_record(
        signed,
        trusted_certs=[certificate],
        known_record=lambda sha: KnownRecord("REC-2025-RXX-0001", 1),
    )
    assert verdict.ok, verdict.failures


def test_a_ca_issued_seal_is_trusted_by_its_own_certificate(
    tmp_path: Path, unsigned_pdf: bytes
) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Test issuing CA", ca_key.public_key(), issuer_key=ca_key, ca=True)
    certificate = _pkcs12_seal(tmp_path / "seal.p12", b"pw", issuer=(ca, ca_key))

    seal = load_seal(tmp_path / "seal.p12", "pw", home=tmp_path)
    signed = sign_as_appraiser(sign_as_appraisee(unsigned_pdf, seal), seal)

    assert seal.chain == (ca,)
    for trusted in ([certificate], [ca]):
        verdict = verify_record(
            signed, trusted_certs=trusted, known_record=lambda sha: KnownRecord("REC", 1)
        )
        assert verdict.ok, verdict.failures


def test_a_wrong_pkcs12_password_is_a_clear_error(tmp_path: Path) -> None:
    _pkcs12_seal(tmp_path / "seal.p12", b"right")

    with pytest.raises(SealError, match="APPRAISAL_SEAL_PASSWORD"):
        load_seal(tmp_path / "seal.p12", "wrong", home=tmp_path)


def test_a_field_cannot_be_signed_twice(signed_once: bytes, seal: Seal) -> None:
    with pytest.raises(SigningError, match="already carries the Appraisee signature"):
        sign_as_appraisee(signed_once, seal)


@pytest.mark.parametrize(
    ("field_name", "signed_at", "message"),
    [
        ("Witness", datetime(2025, 6, 12, tzinfo=LONDON), "Unknown signature field"),
        ("Appraisee", datetime(2025, 6, 12), "time zone"),
    ],
)
def test_bad_signing_requests_are_refused(
    unsigned_pdf: bytes, seal: Seal, field_name: str, signed_at: datetime, message: str
) -> None:
    with pytest.raises(SigningError, match=message):
        sign_record(
            unsigned_pdf,
            field_name=field_name,
            signer_name="A",
            signer_role="B",
            signed_at=signed_at,
            seal=seal,
        )


def test_signing_something_that_is_not_a_pdf_is_a_clear_error(seal: Seal) -> None:
    with pytest.raises(SigningError, match="not a readable PDF"):
        sign_as_appraisee(b"GIF89a", seal)
