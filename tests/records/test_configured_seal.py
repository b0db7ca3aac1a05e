"""The deployment's seal from the settings, as ``appraisal init`` and the flows use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from appraisal_store import config
from records.configured_seal import (
    deployment_seal,
    ensure_deployment_seal,
    trusted_seal_certificates,
)
from records.errors import SealError
from records.self_signed_seal import seal_dir


def test_init_creates_the_seal_once_in_appraisal_home(home: Path) -> None:
    first = ensure_deployment_seal()
    second = ensure_deployment_seal()

    assert first.startswith("Created a self-signed organisation seal")
    assert second.startswith("The organisation seal is in")
    assert (seal_dir(home) / "seal-key.pem").exists()
    assert trusted_seal_certificates() == [deployment_seal().certificate]


def test_a_configured_pkcs12_that_cannot_be_read_fails_at_init(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPRAISAL_SEAL_PKCS12", str(home / "missing.p12"))
    config.settings.cache_clear()

    with pytest.raises(SealError, match="missing.p12"):
        ensure_deployment_seal()
