"""The deployment's seal as configured by the settings (``APPRAISAL_HOME``, ``_SEAL_*``).

The entry points for ``appraisal init``, the flows that seal records and
``appraisal records verify``; everything else in ``records`` takes explicit arguments.
"""

from __future__ import annotations

from cryptography import x509

from appraisal_store.config import settings
from appraisal_store.environment import SealUnavailable
from records.errors import SealError
from records.seal import Seal, ensure_seal, load_seal

__all__ = ["DeploymentSealUnavailable", "deployment_seal", "ensure_deployment_seal",
           "trusted_seal_certificates"]


class DeploymentSealUnavailable(SealError, SealUnavailable):
    """The deployment's seal is missing or unreadable: a ``SealError`` to the records
    code, and to the commands, flows and portal a failure of the machine around us."""


def ensure_deployment_seal() -> str:
    """Make sure the deployment can seal records; create the self-signed seal if needed.

    With ``APPRAISAL_SEAL_PKCS12`` set, the configured certificate is loaded (so a wrong
    path or password shows up at ``appraisal init``, not at the first signature).

    Returns:
        A sentence for the person running ``appraisal init``.

    Raises:
        SealError: The seal cannot be created or the configured certificate cannot be read.
    """
    config = settings()
    if config.seal_pkcs12:
        seal = deployment_seal()
        return f"Records are sealed with the configured certificate {seal.common_name!r}."
    files = ensure_seal(config.home)
    if files.created:
        return (
            f"Created a self-signed organisation seal in {files.cert_path.parent} (key readable "
            "only by its owner); set APPRAISAL_SEAL_PKCS12 to use a real certificate."
        )
    return f"The organisation seal is in {files.cert_path.parent}."


def deployment_seal() -> Seal:
    """The seal that signs this deployment's records (cached; see :func:`load_seal`).

    Raises:
        DeploymentSealUnavailable: No seal yet (run ``appraisal init``), or an unreadable
            key, certificate or PKCS#12 file.
    """
    config = settings()
    try:
        return load_seal(config.seal_pkcs12, config.seal_password, home=config.home)
    except DeploymentSealUnavailable:
        raise
    except SealError as error:
        raise DeploymentSealUnavailable(error.message) from error


def trusted_seal_certificates() -> list[x509.Certificate]:
    """The certificates ``verify_record`` should trust: this deployment's seal only."""
    return [deployment_seal().certificate]
