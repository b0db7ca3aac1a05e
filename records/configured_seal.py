"""The deployment's seal as configured by the settings (``APPRAISAL_HOME``, ``_SEAL_*``).

The entry points for ``appraisal init``, the flows that seal records and
``appraisal records verify``; everything else in ``records`` takes explicit arguments.

In production (``APPRAISAL_ENV=production``) every machine must sign with the one
organisation seal, so the self-signed seal of a machine's own home is never made or used
there: :func:`require_deployment_seal` refuses at start-up instead.
"""

from __future__ import annotations

from cryptography import x509

from appraisal_store.config import settings
from appraisal_store.environment import SealUnavailable
from records.errors import SealError
from records.seal import Seal, load_seal
from records.self_signed_seal import ensure_seal

__all__ = [
    "DeploymentSealUnavailable",
    "deployment_seal",
    "ensure_deployment_seal",
    "require_deployment_seal",
    "trusted_seal_certificates",
]

PRODUCTION_NEEDS_A_SEAL = (
    "APPRAISAL_ENV=production needs the organisation seal on every machine: set "
    "APPRAISAL_SEAL_PKCS12 and APPRAISAL_SEAL_PASSWORD (or APPRAISAL_SEAL_KEY and "
    "APPRAISAL_SEAL_CERTIFICATE) to the same seal everywhere; a machine's own self-signed "
    "seal would make records the other machines cannot verify."
)


class DeploymentSealUnavailable(SealError, SealUnavailable):
    """The deployment's seal is missing or unreadable: a ``SealError`` to the records
    code, and to the commands, flows and portal a failure of the machine around us."""


def ensure_deployment_seal() -> str:
    """Make sure the deployment can seal records; create the self-signed seal if needed.

    With a configured seal (``APPRAISAL_SEAL_PKCS12``, or ``APPRAISAL_SEAL_KEY`` and
    ``APPRAISAL_SEAL_CERTIFICATE``) it is loaded and checked, so a wrong path, password,
    mismatched certificate or expired certificate shows up at ``appraisal init``, not at
    the first signature.

    Returns:
        A sentence or two for the person running ``appraisal init``: the seal's state.

    Raises:
        SealError: The seal cannot be created or the configured one cannot be used; in
            production, no seal is configured.
    """
    config = settings()
    if config.seal_configured:
        return deployment_seal().describe()
    if config.is_production:
        raise DeploymentSealUnavailable(PRODUCTION_NEEDS_A_SEAL)
    files = ensure_seal(config.home)
    state = deployment_seal().describe()
    if files.created:
        return (
            f"Created a self-signed organisation seal in {files.cert_path.parent} (key readable "
            "only by its owner); set APPRAISAL_SEAL_PKCS12 to use a real certificate. " + state
        )
    return f"The organisation seal is in {files.cert_path.parent}. {state}"


def deployment_seal() -> Seal:
    """The seal that signs this deployment's records (cached; see :func:`load_seal`).

    Raises:
        DeploymentSealUnavailable: No seal yet (run ``appraisal init``), none configured
            in production, or one that fails :func:`load_seal`'s checks (an unreadable
            file, a certificate of another key, a key others can read, out of validity).
    """
    config = settings()
    if config.is_production and not config.seal_configured:
        raise DeploymentSealUnavailable(PRODUCTION_NEEDS_A_SEAL)
    try:
        return load_seal(config.seal_pkcs12, config.seal_password, home=config.home,
                         key_path=config.seal_key, cert_path=config.seal_certificate,
                         strict=config.is_production)
    except DeploymentSealUnavailable:
        raise
    except SealError as error:
        raise DeploymentSealUnavailable(error.message) from error


def require_deployment_seal() -> Seal:
    """The start-up check of the portal, the workers and ``flows seal``: the seal loads.

    Raises:
        DeploymentSealUnavailable: As :func:`deployment_seal`, with the sentence to show.
    """
    return deployment_seal()


def _read_certificates(path_text: str) -> list[x509.Certificate]:
    from pathlib import Path

    path = Path(path_text)
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except OSError as error:
        raise DeploymentSealUnavailable(
            f"The trusted seal certificate {path} (APPRAISAL_SEAL_TRUSTED_CERTIFICATES) "
            f"cannot be read: {error.strerror}.") from error
    except ValueError as error:
        raise DeploymentSealUnavailable(
            f"The trusted seal certificate {path} (APPRAISAL_SEAL_TRUSTED_CERTIFICATES) is "
            "not a PEM certificate.") from error


def trusted_seal_certificates() -> list[x509.Certificate]:
    """The certificates ``verify_record`` should trust: the current seal first, then those
    of ``APPRAISAL_SEAL_TRUSTED_CERTIFICATES`` (retired seals, so records sealed before a
    rotation still verify), each once.

    Raises:
        SealError: The current seal cannot be loaded, or a listed file is not a PEM
            certificate.
    """
    config = settings()
    trusted = [deployment_seal().certificate]
    for path in config.trusted_certificate_files:
        for certificate in _read_certificates(str(path)):
            if certificate not in trusted:
                trusted.append(certificate)
    return trusted
