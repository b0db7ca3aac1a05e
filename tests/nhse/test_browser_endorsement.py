"""NHS England's regional director, signed out, follows the emailed link in Chromium, signs
in, reads the sealed record and endorses it; the record then carries three signatures."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.models import Record
from appraisal_store.nhse_tables import Endorsement
from appraisal_store.vocabulary import RecordStage
from tests.conftest import Board
from tests.nhse.endorsing import REGIONAL, emailed_link, register_regional_director, sealed_complete
from tests.portal.emailed import deliver_everything_due, follow_signed_out
from tests.portal.test_browser import server_fixture, watch_console  # noqa: F401 - fixture
from tests.portal.test_browser_email_links import browser_fixture  # noqa: F401 - fixture
from tests.records.appraisals import NED1

pytestmark = pytest.mark.browser


@pytest.fixture(name="requested")
def requested_fixture(server: str, sqlite_board: Board) -> tuple[int, str]:
    """The record sealed and the request delivered as an .eml file, before the browser
    starts (pyHanko's signing runs an event loop of its own, Playwright's is in the way)."""
    register_regional_director()
    appraisal_id = sealed_complete(sqlite_board, NED1)
    deliver_everything_due()
    return appraisal_id, emailed_link("endorsement_requested:")


def test_the_regional_director_endorses_from_the_emailed_link(
        server: str, requested: tuple[int, str], browser) -> None:  # type: ignore[no-untyped-def]
    appraisal_id, link = requested
    assert urlsplit(link).path == f"/endorsements/{appraisal_id}"

    console: list[str] = []
    page = follow_signed_out(browser, server, link, REGIONAL, console)
    assert "Regional endorsement: Zoë Łukasiewicz" in page.inner_text("h1")
    with page.expect_download() as download:
        page.click("text=Download the sealed record (PDF)")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    page.fill("#comment", "Endorsed: a thorough, well-evidenced appraisal.")
    page.click("#endorse")
    page.wait_for_url(f"**/endorsements/{appraisal_id}?done=endorsed")
    assert "signed into the record" in page.inner_text("#endorsed-notice")
    assert "Endorsed by Dr Amara Osei" in page.inner_text("#endorsement-given")
    page.context.close()
    assert console == []

    with sessions.read_session() as session:
        endorsement = session.execute(select(Endorsement)).scalar_one()
        endorsed = session.execute(select(Record).where(
            Record.appraisal_id == appraisal_id,
            Record.stage == RecordStage.ENDORSED)).scalar_one()
    assert endorsement.comment == "Endorsed: a thorough, well-evidenced appraisal."
    fields = [s.field_name for s in PdfFileReader(BytesIO(endorsed.pdf)).embedded_signatures]
    assert fields == ["Appraisee", "Appraiser", "Endorsement"]
