"""The company secretary builds, downloads and records the pack in the portal; the
dashboard shows each deadline's figures; NHS England's national view lists every
organisation; a bad date or a missing endorsement is refused on the page."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.models import Appraisal
from appraisal_store.nhse_tables import SubmissionPack
from appraisal_store.services.endorsement import endorse
from appraisal_store.vocabulary import AppraisalState
from records.endorsement import seal_endorsement
from tests.conftest import Board
from tests.nhse.endorsing import (
    REGIONAL,
    people_id,
    register_regional_director,
    sealed_complete,
)
from tests.records.appraisals import NED1

COSEC = "cosec@rx1.nhs.uk"


def test_the_secretary_builds_downloads_and_records_the_pack(
        sqlite_board: Board, sign_in_as, clock) -> None:  # type: ignore[no-untyped-def]
    clock.now = datetime(2026, 9, 10, 9, 0, tzinfo=UTC)
    register_regional_director()
    ned = sealed_complete(sqlite_board, NED1)
    secretary = sign_in_as(COSEC)
    org = sqlite_board.organisation_id
    refused = secretary.post(f"/organisations/{org}/submissions/packs",
                             {"deadline": "2026-09-30"})
    assert refused.status_code == 400
    assert "awaiting the regional endorsement" in refused.text
    with sessions.write_session() as session:
        endorse(session=session, actor=Actor.person(people_id(sqlite_board, REGIONAL),
                                                    REGIONAL),
                appraisal_id=ned, comment="", now=clock.now)
    seal_endorsement(ned)
    built = secretary.post(f"/organisations/{org}/submissions/packs", {"deadline": "2026-09-30"})
    assert built.status_code == 303
    page = secretary.get(f"/organisations/{org}/submissions").text
    assert "RX1-nhse-submission-2026-09-30.zip" in page
    with sessions.read_session() as session:
        pack = session.execute(select(SubmissionPack)).scalar_one()
    download = secretary.get(f"/submission-packs/{pack.id}.zip")
    assert download.headers["content-type"] == "application/zip"
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    bad = secretary.post(f"/submission-packs/{pack.id}/sent",
                         {f"sent-{pack.id}-day": "31", f"sent-{pack.id}-month": "2",
                          f"sent-{pack.id}-year": "2026", "channel": "Upload"})
    assert bad.status_code == 400 and "must be a real date" in bad.text
    future = secretary.post(f"/submission-packs/{pack.id}/sent",
                            {f"sent-{pack.id}-day": "1", f"sent-{pack.id}-month": "10",
                             f"sent-{pack.id}-year": "2026", "channel": "Upload"})
    assert future.status_code == 400 and "1 October 2026 is in the future" in future.text
    sent = secretary.post(f"/submission-packs/{pack.id}/sent",
                          {f"sent-{pack.id}-day": "10", f"sent-{pack.id}-month": "9",
                           f"sent-{pack.id}-year": "2026",
                           "channel": "NHS England secure upload"})
    assert sent.status_code == 303
    with sessions.read_session() as session:
        assert session.get(Appraisal, ned).state is AppraisalState.SUBMITTED_TO_NHSE  # type: ignore[union-attr]
    dashboard = secretary.get(f"/organisations/{org}/dashboard").text
    assert 'id="nhse-submissions"' in dashboard and "10 September 2026" in dashboard

    national = sign_in_as("rd.northwest@england.nhs.uk", national=True)
    view = national.get("/national/submissions").text
    assert "RX1 Riverside Hospitals NHS Trust" in view
    assert national.get(f"/submission-packs/{pack.id}.zip").status_code == 200
    outsider = sign_in_as("ned2@rx1.nhs.uk")
    assert outsider.get(f"/submission-packs/{pack.id}.zip").status_code == 404
    assert outsider.get("/national/submissions").status_code == 403
