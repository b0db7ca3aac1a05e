"""The deployment's own self-signed seal: its folder in ``APPRAISAL_HOME``, made once.

``appraisal init`` creates it when no organisation seal is configured (never in
production); :func:`records.seal.load_seal` loads it like any other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from records.errors import SealError

__all__ = ["CERT_FILE", "KEY_FILE", "SealFiles", "ensure_seal", "seal_dir"]

KEY_FILE = "seal-key.pem"
CERT_FILE = "seal-cert.pem"
_VALIDITY = timedelta(days=10 * 365)


@dataclass(frozen=True)
class SealFiles:
    """Where a self-signed seal lives; ``created`` is True when this call made it."""

    key_path: Path
    cert_path: Path
    created: bool


def seal_dir(home: Path) -> Path:
    """The folder of the self-signed seal inside ``APPRAISAL_HOME``."""
    return Path(home) / "seal"


def _create_exclusively(path: Path, data: bytes, mode: int) -> bool:
    """Write ``data`` to ``path`` unless it exists; True when this call wrote it.

    The file is written in full under a temporary name (created with ``mode``, so a key
    is never readable by others, not even for a moment) and then hard-linked into place,
    which fails if another process got there first: no reader sees a half-written file.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        temporary.unlink(missing_ok=True)


def _self_signed_certificate(
    key: ec.EllipticCurvePrivateKey, organisation: str, now: datetime
) -> x509.Certificate:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} record seal"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Board appraisal (self-signed)"),
        ]
    )
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        # A few minutes' slack so a verifier whose clock lags still accepts it.
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # non-repudiation: the signer stands by it
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )


def ensure_seal(
    home: Path, *, organisation: str = "Board appraisal", now: datetime | None = None
) -> SealFiles:
    """Create the self-signed seal in ``home/seal/`` unless one is already there.

    Idempotent and safe when two processes race: the key is created once (mode 0600,
    EC P-256) and the certificate is made from whichever key won.

    Args:
        home: ``APPRAISAL_HOME``.
        organisation: Named in the certificate subject (organisation or deployment).
        now: The clock, for the certificate's validity (10 years).

    Returns:
        The seal's file paths and whether this call created the seal.

    Raises:
        SealError: The folder is not writable, or the files there do not belong together.
    """
    folder = seal_dir(home)
    key_path, cert_path = folder / KEY_FILE, folder / CERT_FILE
    created = False
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not key_path.exists():
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            created = _create_exclusively(key_path, pem, 0o600)
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)  # type: ignore[assignment]  # narrowed below
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise SealError(f"The seal key {key_path} is not an EC key made by this system.")
        if not cert_path.exists():
            certificate = _self_signed_certificate(key, organisation, now or datetime.now(UTC))
            pem = certificate.public_bytes(serialization.Encoding.PEM)
            created = _create_exclusively(cert_path, pem, 0o644) or created
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except OSError as error:
        raise SealError(f"Could not create the seal in {folder}: {error}") from error
    except ValueError as error:
        raise SealError(f"The seal files in {folder} are unreadable: {error}") from error
    if certificate.public_key() != key.public_key():
        raise SealError(
            f"The seal certificate {cert_path} does not match its key {key_path}; "
            "move both aside and run `appraisal init` again."
        )
    return SealFiles(key_path=key_path, cert_path=cert_path, created=created)
