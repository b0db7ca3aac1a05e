"""A seal that is what it says: its certificate is its key's, its key is private, it is in
date, production uses the one configured seal, and retired seals stay trusted."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from appraisal_store import config
from records.configured_seal import (
    deployment_seal,
    ensure_deployment_seal,
    trusted_seal_certificates,
)
from records.errors import SealError
from records.seal import load_seal
from records.self_signed_seal import CERT_FILE, ensure_seal, seal_dir
from records.verify import KnownRecord, verify_record
from tests.records.parties import sign_as_appraisee, sign_as_appraiser

PASSWORD = "correct horse"


def _certificate(key: ec.EllipticCurvePrivateKey, name: str, *, days: tuple[int, int] = (-1, 365)
                 ) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + timedelta(days=days[0]))
            .not_valid_after(now + timedelta(days=days[1]))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                         False), critical=True)
            .sign(key, hashes.SHA256()))


def _pkcs12(path: Path, name: str, *, certificate_of: ec.EllipticCurvePrivateKey | None = None,
            mode: int = 0o600) -> x509.Certificate:
    """A real PKCS#12 seal file; ``certificate_of`` ships another key's certificate beside
    the key instead of the key's own (cryptography refuses to pair them as key and cert)."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _certificate(certificate_of or key, name)
    own, others = (None, [certificate]) if certificate_of else (certificate, None)
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"seal", key, own, others, serialization.BestAvailableEncryption(PASSWORD.encode())))
    path.chmod(mode)
    return certificate


def _pair(folder: Path, name: str, *, days: tuple[int, int] = (-1, 365), mode: int = 0o600,
          certificate_of: ec.EllipticCurvePrivateKey | None = None) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    key_path, cert_path = folder / "seal.key", folder / "seal.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(mode)
    cert_path.write_bytes(_certificate(certificate_of or key, name, days=days)
                          .public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _configure(monkeypatch: pytest.MonkeyPatch, **settings: str) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(f"APPRAISAL_{name.upper()}", value)
    config.settings.cache_clear()


def test_a_certificate_of_another_key_beside_the_self_signed_key_is_refused(
        tmp_path: Path) -> None:
    ensure_seal(tmp_path)
    other = ensure_seal(tmp_path / "other")
    (seal_dir(tmp_path) / CERT_FILE).write_bytes(other.cert_path.read_bytes())

    with pytest.raises(SealError, match=rf"{CERT_FILE} does not match its key .*seal-key\.pem"):
        load_seal(home=tmp_path)


def test_a_configured_certificate_of_another_key_is_refused_before_any_record(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_path, cert_path = _pair(home / "etc", "Riverside seal",
                                certificate_of=ec.generate_private_key(ec.SECP256R1()))
    _configure(monkeypatch, seal_key=str(key_path), seal_certificate=str(cert_path))

    with pytest.raises(SealError) as refused:
        ensure_deployment_seal()

    assert str(refused.value).startswith(f"The seal certificate {cert_path} does not match "
                                         f"its key {key_path}")


def test_a_pkcs12_whose_certificate_is_another_keys_is_refused(tmp_path: Path) -> None:
    _pkcs12(tmp_path / "seal.p12", "Riverside seal",
            certificate_of=ec.generate_private_key(ec.SECP256R1()))

    with pytest.raises(SealError, match=r"seal\.p12 does not hold a key with its own certificate"):
        load_seal(tmp_path / "seal.p12", PASSWORD, home=tmp_path)


def test_a_key_others_can_read_is_warned_about_outside_production(
        tmp_path: Path, unsigned_pdf: bytes, caplog: pytest.LogCaptureFixture) -> None:
    key_path, cert_path = _pair(tmp_path, "Riverside seal", mode=0o644)

    with caplog.at_level(logging.WARNING, logger="records.seal"):
        seal = load_seal(home=tmp_path, key_path=key_path, cert_path=cert_path)

    assert sign_as_appraisee(unsigned_pdf, seal)
    assert [r.getMessage() for r in caplog.records] == [
        f"The seal key {key_path} can be read by other users of this machine (mode "
        f"-rw-r--r--); run `chmod 600 {key_path}`."]


def test_a_key_others_can_read_is_refused_in_production(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seal_file = home / "seal.p12"
    home.mkdir(parents=True)
    _pkcs12(seal_file, "Riverside seal", mode=0o604)
    _configure(monkeypatch, env="production", seal_pkcs12=str(seal_file),
               seal_password=PASSWORD)

    with pytest.raises(SealError, match=rf"The seal key {seal_file} can be read by other"):
        deployment_seal()
    seal_file.chmod(0o600)
    assert deployment_seal().common_name == "Riverside seal"


@pytest.mark.parametrize(("days", "message"), [
    ((-400, -1), r"seal\.pem expired on \d{4}-\d\d-\d\d; configure the renewed seal"),
    ((2, 30), r"seal\.pem is not valid before .* check the machine's clock"),
])
def test_a_certificate_outside_its_validity_is_refused(
        tmp_path: Path, days: tuple[int, int], message: str) -> None:
    key_path, cert_path = _pair(tmp_path, "Riverside seal", days=days)

    with pytest.raises(SealError, match=message):
        load_seal(home=tmp_path, key_path=key_path, cert_path=cert_path)


def test_production_refuses_the_self_signed_seal_and_makes_none(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _configure(monkeypatch, env="production")

    for start in (ensure_deployment_seal, deployment_seal):
        with pytest.raises(SealError, match="APPRAISAL_ENV=production needs the organisation "
                                            "seal on every machine"):
            start()
    assert not seal_dir(home).exists()


def test_init_reports_the_seals_subject_validity_and_file(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home.mkdir(parents=True)
    certificate = _pkcs12(home / "seal.p12", "Riverside Hospitals record seal")
    _configure(monkeypatch, seal_pkcs12=str(home / "seal.p12"), seal_password=PASSWORD)

    assert ensure_deployment_seal() == (
        "Records are sealed as 'Riverside Hospitals record seal' (configured, valid until "
        f"{certificate.not_valid_after_utc:%Y-%m-%d}), from {home / 'seal.p12'}.")


def test_records_sealed_before_a_rotation_verify_with_the_old_seal_on_the_trust_list(
        home: Path, monkeypatch: pytest.MonkeyPatch, unsigned_pdf: bytes) -> None:
    home.mkdir(parents=True)
    old = _pkcs12(home / "old.p12", "Riverside seal 2025")
    sealed_before = sign_as_appraiser(sign_as_appraisee(
        unsigned_pdf, load_seal(home / "old.p12", PASSWORD, home=home)),
        load_seal(home / "old.p12", PASSWORD, home=home))
    _pkcs12(home / "new.p12", "Riverside seal 2026")
    (home / "retired").mkdir()
    (home / "retired" / "2025.pem").write_bytes(old.public_bytes(serialization.Encoding.PEM))

    def verdict() -> object:
        config.settings.cache_clear()
        return verify_record(sealed_before, trusted_certs=trusted_seal_certificates(),
                             known_record=lambda sha: KnownRecord("REC-2025-RXX-0001", 1))

    _configure(monkeypatch, env="production", seal_pkcs12=str(home / "new.p12"),
               seal_password=PASSWORD)
    assert not verdict().ok  # type: ignore[attr-defined]
    for listed in (str(home / "retired"), f"{home / 'new.p12'}.pem,{home / 'retired/2025.pem'}"):
        (home / "new.p12.pem").write_bytes(deployment_seal().certificate.public_bytes(
            serialization.Encoding.PEM))
        monkeypatch.setenv("APPRAISAL_SEAL_TRUSTED_CERTIFICATES", listed)
        assert verdict().ok, listed  # type: ignore[attr-defined]


def test_an_unreadable_trust_list_entry_is_named(home: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_deployment_seal()
    _configure(monkeypatch, seal_trusted_certificates=str(home / "gone.pem"))

    with pytest.raises(SealError, match=r"trusted seal certificate .*gone\.pem "
                                        r"\(APPRAISAL_SEAL_TRUSTED_CERTIFICATES\) cannot be read"):
        trusted_seal_certificates()
