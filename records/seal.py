"""The organisation seal: its certificate and its key, loaded and checked.

A deployment without a configured certificate gets a self-signed seal in
``APPRAISAL_HOME/seal/`` (created by ``appraisal init``); ``APPRAISAL_SEAL_PKCS12`` and
``APPRAISAL_SEAL_PASSWORD`` (or ``APPRAISAL_SEAL_KEY`` and ``APPRAISAL_SEAL_CERTIFICATE``)
point :func:`load_seal` at the organisation's real seal instead. Loading checks that the
certificate is that key's, that others cannot read the key and that it is within validity.
Sealing a record with it: :mod:`records.pdf_signing`.
"""

from __future__ import annotations

import functools
import logging
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.sign.signers import SimpleSigner

from records.errors import SealError
from records.self_signed_seal import CERT_FILE, KEY_FILE, seal_dir

__all__ = ["Seal", "load_seal"]

log = logging.getLogger("records.seal")


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
