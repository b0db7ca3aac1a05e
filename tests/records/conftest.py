"""Fixtures for the records tests: a real seal, rendered and really signed records."""

from __future__ import annotations

from pathlib import Path

import pytest

from records.content import RecordContent
from records.render import render_record
from records.seal import Seal, load_seal
from records.self_signed_seal import ensure_seal
from tests.records.parties import APPRAISEE, APPRAISER, sign_as_appraisee, sign_as_appraiser
from tests.records.sample import sample_content


@pytest.fixture(name="seal_home", scope="session")
def seal_home_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An APPRAISAL_HOME holding this deployment's self-signed seal."""
    home = tmp_path_factory.mktemp("seal-home")
    ensure_seal(home, organisation="Riverside Hospitals NHS Trust")
    return home


@pytest.fixture(name="seal", scope="session")
def seal_fixture(seal_home: Path) -> Seal:
    return load_seal(home=seal_home)


@pytest.fixture(name="stranger_seal", scope="session")
def stranger_seal_fixture(tmp_path_factory: pytest.TempPathFactory) -> Seal:
    """A second self-signed seal, from a deployment this one does not trust."""
    home = tmp_path_factory.mktemp("stranger-home")
    ensure_seal(home, organisation="Elsewhere NHS Trust")
    return load_seal(home=home)


@pytest.fixture(name="content", scope="session")
def content_fixture() -> RecordContent:
    return sample_content(appraisee_name=APPRAISEE, appraiser_name=APPRAISER)


@pytest.fixture(name="unsigned_pdf", scope="session")
def unsigned_pdf_fixture(content: RecordContent) -> bytes:
    return render_record(content)


@pytest.fixture(name="signed_once", scope="session")
def signed_once_fixture(unsigned_pdf: bytes, seal: Seal) -> bytes:
    """The record signed by the appraisee only."""
    return sign_as_appraisee(unsigned_pdf, seal)


@pytest.fixture(name="signed_pdf", scope="session")
def signed_pdf_fixture(signed_once: bytes, seal: Seal) -> bytes:
    """The record as it is kept: signed by the appraisee and then the appraiser."""
    return sign_as_appraiser(signed_once, seal)
