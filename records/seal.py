"""The organisation seal: its certificate, its key, and sealing a record with it.

A deployment without a configured certificate gets a self-signed seal in
``APPRAISAL_HOME/seal/`` (created by ``appraisal init``); ``APPRAISAL_SEAL_PKCS12`` and
``APPRAISAL_SEAL_PASSWORD`` (or ``APPRAISAL_SEAL_KEY`` and ``APPRAISAL_SEAL_CERTIFICATE``)
point :func:`load_seal` at the organisation's real seal instead. Loading checks that the
certificate is that key's, that others cannot read the key and that it is within validity.
"""

from __future__ import annotations

import functools
import logging
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers import SimpleSigner

from records.errors import RecordError, SealError, SigningError
from records.placement import ALL_SIGNATURE_FIELDS, SignatureBox, signature_boxes_in
from records.stamp import render_stamp, stamp_style

__all__ = [
    "CERT_FILE",
    "KEY_FILE",
    "Seal",
    "SealFiles",
    "ensure_seal",
    "load_seal",
    "seal_dir",
    "sign_record",
    "signature_reason",
]

KEY_FILE = "seal-key.pem"
CERT_FILE = "seal-cert.pem"
_VALIDITY = timedelta(days=10 * 365)

log = logging.getLogger("records.seal")


@dataclass(frozen=True)
class SealFiles:
    """Where a self-signed seal lives; ``created`` is True when this call made it."""

    key_path: Path
    cert_path: Path
    created: bool


@dataclass(frozen=True)
class Seal:
    """A loaded seal, ready to sign.

    Attributes:
        signer: pyHanko's signer holding the parsed key (cached, see :func:`load_seal`).
        certificate: The seal certificate.
        chain: Further certificates shipped with a PKCS#12 seal (issuers), if any.
        source: The PKCS#12 file or the certificate file.
        self_signed: True for the deployment's own self-signed seal.
        key_file: The file holding the key (the PKCS#12 file itself for one).
    """

    signer: SimpleSigner
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    source: Path
    self_signed: bool
    key_file: Path | None = None

    @property
    def valid_until(self) -> datetime:
        return self.certificate.not_valid_after_utc

    def describe(self) -> str:
        """One sentence for ``appraisal init`` and the health command: whose, until when,
        which file."""
        kind = "self-signed" if self.self_signed else "configured"
        return (f"Records are sealed as {self.common_name!r} ({kind}, valid until "
                f"{self.valid_until:%Y-%m-%d}), from {self.source}.")

    @property
    def common_name(self) -> str:
        """The certificate subject's common name, shown on every signature stamp."""
        names = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else self.certificate.subject.rfc4514_string()

    @property
    def organisation(self) -> str | None:
        """The certificate subject's organisation, if it names one."""
        names = self.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        return str(names[0].value) if names else None


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


def _to_cryptography(certificate: object) -> x509.Certificate:
    return x509.load_der_x509_certificate(certificate.dump())  # type: ignore[attr-defined]


def _same_key(certificate: x509.Certificate, key: object) -> bool:
    public = getattr(key, "public_key", None)
    return public is not None and certificate.public_key() == public()


def _mismatch(certificate_file: str, key_file: str) -> SealError:
    where = ("the key in the same file" if certificate_file == key_file
             else f"its key {key_file}")
    return SealError(
        f"The seal certificate {certificate_file} does not match {where}: every signature "
        "made with it would fail to verify; put the certificate issued for this key there."
    )


@functools.lru_cache(maxsize=8)
def _load_cached(
    kind: str, path: str, _mtime_ns: int, _size: int, password: str | None, extra: str
) -> Seal:
    # The file's mtime and size are part of the key so that a replaced seal is reloaded;
    # parsing a key is slow enough to dominate every signature otherwise.
    if kind == "pkcs12":
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise SealError(f"The seal certificate {path} cannot be read: "
                            f"{error.strerror}.") from error
        passphrase = password.encode("utf-8") if password is not None else None
        try:
            key, certificate, _ = pkcs12.load_key_and_certificates(data, passphrase)
        except ValueError as error:
            raise SealError(
                f"Could not open the seal certificate {path}: check the file and "
                f"APPRAISAL_SEAL_PASSWORD ({error})."
            ) from error
        if key is None or certificate is None:
            raise SealError(f"The seal file {path} does not hold a key with its own "
                            "certificate; export the seal with its certificate again.")
        if not _same_key(certificate, key):
            raise _mismatch(path, path)
        try:
            signer = SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=passphrase)
        except ValueError as error:
            raise SealError(f"Could not open the seal certificate {path}: {error}") from error
        chain = tuple(
            _to_cryptography(c)
            for c in signer.cert_registry
            if c.dump() != signer.signing_cert.dump()
        )
        return Seal(signer, _to_cryptography(signer.signing_cert), chain, Path(path), False,
                    Path(path))
    key_file = extra
    try:
        key = serialization.load_pem_private_key(
            Path(key_file).read_bytes(),
            password=password.encode("utf-8") if password is not None else None)
    except (OSError, ValueError, TypeError) as error:
        raise SealError(f"Could not read the seal key {key_file}: {error}") from error
    try:
        certificate = x509.load_pem_x509_certificate(Path(path).read_bytes())
    except (OSError, ValueError) as error:
        raise SealError(f"Could not read the seal certificate {path}: {error}") from error
    if not _same_key(certificate, key):
        raise _mismatch(path, key_file)
    signer = SimpleSigner.load(  # type: ignore[no-untyped-call]  # pyHanko
        key_file, path, key_passphrase=password.encode("utf-8") if password else None)
    if signer is None:
        raise SealError(f"Could not load the seal certificate {path} with its key {key_file}.")
    return Seal(signer, _to_cryptography(signer.signing_cert), (), Path(path),
                kind == "self-signed", Path(key_file))


_warned_about: set[tuple[str, int]] = set()


def _check_key_file(path: Path, mode: int, *, strict: bool) -> None:
    """Refuse (``strict``) or warn about a key file that others on the machine can read."""
    if not mode & 0o077:
        return
    message = (f"The seal key {path} can be read by other users of this machine (mode "
               f"{stat.filemode(mode)}); run `chmod 600 {path}`.")
    if strict:
        raise SealError(message)
    if (str(path), mode) not in _warned_about:
        _warned_about.add((str(path), mode))
        log.warning(message)


def _check_validity(seal: Seal, now: datetime) -> None:
    certificate = seal.certificate
    if now < certificate.not_valid_before_utc:
        raise SealError(
            f"The seal certificate {seal.source} is not valid before "
            f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC; check the machine's "
            "clock or the certificate.")
    if now > certificate.not_valid_after_utc:
        raise SealError(
            f"The seal certificate {seal.source} expired on "
            f"{certificate.not_valid_after_utc:%Y-%m-%d}; configure the renewed seal (and "
            "keep the old certificate on APPRAISAL_SEAL_TRUSTED_CERTIFICATES).")


def _stat(path: Path, what: str) -> os.stat_result:
    try:
        return path.stat()
    except OSError as error:
        raise SealError(f"The {what} {path} cannot be read: {error.strerror}.") from error


def load_seal(
    pkcs12_path: Path | str | None = None,
    password: str | None = None,
    *,
    home: Path,
    key_path: Path | str | None = None,
    cert_path: Path | str | None = None,
    strict: bool = False,
    now: datetime | None = None,
) -> Seal:
    """Load the seal that signs records: a PKCS#12 certificate or a key and certificate pair
    if given, else the own self-signed one.

    Every call checks that the key file is readable by its owner only and that the
    certificate is within its validity; parsing checks the certificate belongs to the key.
    The parsed seal is cached per file (path, modification time, size), so repeated calls
    cost two ``stat`` calls; replacing a file makes the next call load the new one.

    Args:
        pkcs12_path: ``APPRAISAL_SEAL_PKCS12``; None or empty otherwise.
        password: ``APPRAISAL_SEAL_PASSWORD``, for the PKCS#12 file or an encrypted key.
        home: ``APPRAISAL_HOME``, where the self-signed seal lives.
        key_path: ``APPRAISAL_SEAL_KEY``, a PEM private key (with ``cert_path``).
        cert_path: ``APPRAISAL_SEAL_CERTIFICATE``, the PEM certificate of that key.
        strict: Refuse a key file others can read (production) instead of warning.
        now: The clock, for the certificate's validity.

    Returns:
        The seal.

    Raises:
        SealError: One sentence naming the file: missing or unreadable, wrong password,
            a certificate of another key, a key readable by others (``strict``), or a
            certificate expired or not yet valid (for a missing self-signed seal: run
            ``appraisal init``).
    """
    if pkcs12_path:
        path = Path(pkcs12_path).resolve()
        file_stat = _stat(path, "seal certificate")
        _check_key_file(path, file_stat.st_mode, strict=strict)
        seal = _load_cached("pkcs12", str(path), file_stat.st_mtime_ns, file_stat.st_size,
                            password, "")
    else:
        if key_path or cert_path:
            if not (key_path and cert_path):
                raise SealError("Set both APPRAISAL_SEAL_KEY and APPRAISAL_SEAL_CERTIFICATE "
                                "(the key file and its certificate), or neither.")
            key, certificate, kind = Path(key_path).resolve(), Path(cert_path).resolve(), "pair"
            key_stat = _stat(key, "seal key")
            cert_stat = _stat(certificate, "seal certificate")
        else:
            folder = seal_dir(home).resolve()
            key, certificate, kind = folder / KEY_FILE, folder / CERT_FILE, "self-signed"
            password = None
            try:
                key_stat, cert_stat = key.stat(), certificate.stat()
            except OSError as error:
                raise SealError(
                    f"There is no organisation seal in {folder}; run `appraisal init` to "
                    "create one or set APPRAISAL_SEAL_PKCS12."
                ) from error
        _check_key_file(key, key_stat.st_mode, strict=strict)
        seal = _load_cached(
            kind,
            str(certificate),
            max(key_stat.st_mtime_ns, cert_stat.st_mtime_ns),
            key_stat.st_size + cert_stat.st_size,
            password,
            str(key),
        )
    _check_validity(seal, now or datetime.now(UTC))
    return seal


def signature_reason(
    field_name: str, signer_name: str, signer_role: str, signed_at: datetime
) -> str:
    """The /Reason a record signature carries, e.g. "Signed by X as appraisee (Chair) on ...".

    :mod:`records.verify` reads the role and time back out of it, so keep the two in step.
    """
    when = signed_at.isoformat(timespec="seconds")
    return f"Signed by {signer_name} as {field_name.lower()} ({signer_role}) on {when}"


def sign_record(
    pdf: bytes,
    *,
    field_name: str,
    signer_name: str,
    signer_role: str,
    signed_at: datetime,
    seal: Seal,
    box: SignatureBox | None = None,
    keywords: Sequence[str] = (),
) -> bytes:
    """Add one party's PAdES signature to a record, as an incremental update.

    The signature (subfilter ETSI.CAdES.detached, SHA-256) is made with the organisation
    seal in a new visible field named ``field_name``; its metadata carries the signer's
    name (/Name), role and time (/Reason, see :func:`signature_reason`) and the seal's
    organisation (/Location), and its stamp shows them. Earlier signatures stay valid.
    The CMS signing time is the clock's; ``signed_at`` is when the person signed.

    Args:
        pdf: The record, unsigned or signed by the other party.
        field_name: "Appraisee", "Appraiser" or "Endorsement".
        signer_name: The person signing.
        signer_role: Their board role.
        signed_at: When they signed; must carry a time zone.
        seal: The organisation seal from :func:`load_seal`.
        box: Where the field goes; by default the box the renderer left for it.
        keywords: When given, the document's /Keywords in this update (inside what the
            signature covers): the archive writes the audit chain's anchor there.

    Returns:
        The signed PDF.

    Raises:
        SigningError: Unknown field, naive time, a field already signed, or a file that
            is not a rendered record.
    """
    if field_name not in ALL_SIGNATURE_FIELDS:
        raise SigningError(
            f"Unknown signature field {field_name!r}; use one of {ALL_SIGNATURE_FIELDS}."
        )
    if signed_at.tzinfo is None or signed_at.utcoffset() is None:
        raise SigningError("The signing time must carry a time zone.")
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        signed = {name for name, _, _ in fields.enumerate_sig_fields(writer.prev, True)}
    except Exception as error:  # pyHanko raises many kinds on a malformed file
        raise SigningError(
            f"This file cannot be signed, it is not a readable PDF: {error}"
        ) from error
    if field_name in signed:
        raise SigningError(f"The record already carries the {field_name} signature.")
    if keywords:
        writer.document_meta.keywords = list(keywords)
    if box is None:
        try:
            box = signature_boxes_in(writer.prev)[field_name]
        except (RecordError, KeyError) as error:
            raise SigningError(
                f"The record has no place for the {field_name} signature."
            ) from error
    x1, y1, x2, y2 = box.rect
    stamp = render_stamp(
        size=(x2 - x1, y2 - y1),
        field_name=field_name,
        signer_name=signer_name,
        signer_role=signer_role,
        signed_at=signed_at,
        sealed_by=seal.common_name,
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        name=signer_name,
        reason=signature_reason(field_name, signer_name, signer_role, signed_at),
        location=seal.organisation,
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        seal.signer,
        stamp_style=stamp_style(stamp),
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=field_name,
            on_page=box.page_index,
            box=(round(x1), round(y1), round(x2), round(y2)),
        ),
    )
    try:
        # A fixed reservation skips pyHanko's dry-run signature that sizes the CMS blob.
        output = pdf_signer.sign_pdf(writer, bytes_reserved=8192)
    except Exception as error:  # pyHanko's SigningError, PdfError, ValueError...
        raise SigningError(f"Could not add the {field_name} signature: {error}") from error
    return output.getvalue()  # type: ignore[no-any-return]  # sign_pdf is unannotated
