"""What one person does reaches the next now: no flow or schedule runs in these tests.

The portal hands what an action queued to delivery once its transaction committed, and
seals a record as soon as it is signed; the tests wait (with a deadline) for the portal's
threads to go idle and then look at the real SMTP server and the store.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.models import Appraisal, Record
from appraisal_store.services import self_assessment
from appraisal_store.services.frameworks import framework_of
from appraisal_store.vocabulary import RecordStage
from competencies.scale import ScaleLabel
from portal import follow_ups
from records.self_signed_seal import ensure_seal
from tests.conftest import Board
from tests.flows.conftest import SmtpServer
from tests.records.appraisals import agree

FINANCE = "finance@rx1.nhs.uk"
CEO = "ceo@rx1.nhs.uk"


def settle(deadline_seconds: float = 60) -> None:
    """Wait until the portal's follow-ups are done (a deadline, not a timing assertion)."""
    deadline = time.monotonic() + deadline_seconds
    while not follow_ups.idle():
        assert time.monotonic() < deadline, "the portal's follow-ups never finished"
        time.sleep(0.02)


def answer_everything(board: Board, email: str) -> int:
    appraisal_id = board.appraisals[email]
    with sessions.write_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal is not None
        framework = framework_of(session, appraisal.framework_version_id)
        self_assessment.save_self_assessment(
            session=session, actor=board.actor(email), appraisal_id=appraisal_id,
            ratings=dict.fromkeys(framework.statement_ids(), ScaleLabel.FREQUENTLY),
            reflections={d.id: "A reflection" for d in framework.domains})
    return appraisal_id


def test_submitting_tells_the_appraiser_at_once(sqlite_board: Board, smtp_server: SmtpServer,
                                                 sign_in_as) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = answer_everything(sqlite_board, FINANCE)
    director = sign_in_as(FINANCE)
    answer = director.post(f"/appraisals/{appraisal_id}/submit")
    assert answer.status_code == 303
    settle()
    submitted = [m for m in smtp_server.mailbox.messages
                 if m["X-Appraisal-Key"] == f"submitted:{appraisal_id}:1"]
    assert len(submitted) == 1
    assert CEO in submitted[0]["To"]


def test_the_second_signature_makes_the_record_downloadable_at_once(
        sqlite_board: Board, smtp_server: SmtpServer, home: Path, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    ensure_seal(home, organisation="Riverside Hospitals NHS Trust")
    appraisal_id = agree(sqlite_board, FINANCE)
    director, appraiser = sign_in_as(FINANCE), sign_in_as(CEO)
    assert director.post(f"/appraisals/{appraisal_id}/sign").status_code == 303
    settle()
    assert appraiser.post(f"/appraisals/{appraisal_id}/sign").status_code == 303
    settle()
    with sessions.read_session() as session:
        stages = set(session.execute(select(Record.stage).where(
            Record.appraisal_id == appraisal_id)).scalars())
    assert stages == {RecordStage.SIGNED_BY_APPRAISEE, RecordStage.COMPLETE}
    download = director.get(f"/appraisals/{appraisal_id}/record.pdf")
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF")
    told = {m["X-Appraisal-Key"] for m in smtp_server.mailbox.messages}
    assert any(key.startswith(f"record_complete:{appraisal_id}:") for key in told), told

