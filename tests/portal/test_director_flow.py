"""The whole cycle through the portal's routes (no browser): complete, return, agree, sign."""

from __future__ import annotations

from sqlalchemy import select

from appraisal_store.models import Appraisal, AuditEvent
from appraisal_store.services.frameworks import framework_of
from appraisal_store.sessions import read_session
from appraisal_store.vocabulary import AppraisalState
from tests.appraisal_store.fppt_steps import all_clear, year_of
from tests.conftest import Board


def _framework(appraisal_id: int):  # type: ignore[no-untyped-def]
    with read_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal
        return framework_of(session, appraisal.framework_version_id)


def _state(appraisal_id: int) -> AppraisalState:
    with read_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal
        return appraisal.state


def _answer_all(director, appraisal_id: int) -> None:  # type: ignore[no-untyped-def]
    for domain in _framework(appraisal_id).domains:
        form = {f"rating-{s.id}": "frequently" for s in domain.statements}
        form.update(reflection=f"Reflection on {domain.name}", action="continue")
        response = director.post(f"/appraisals/{appraisal_id}/domains/{domain.id}", form)
        assert response.status_code == 303, response.text


def test_full_cycle_through_routes(sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = sqlite_board.appraisals["finance@rx1.nhs.uk"]
    director = sign_in_as("finance@rx1.nhs.uk")
    appraiser = sign_in_as("ceo@rx1.nhs.uk")
    overview = director.get(f"/appraisals/{appraisal_id}")
    assert overview.status_code == 200
    assert "Your appraisal" in overview.text
    _answer_all(director, appraisal_id)
    # The appraisal's FPPT step is the FPPT year's self-attestation, linked from the overview.
    year = year_of(sqlite_board, "finance@rx1.nhs.uk")
    assert f'href="/fppt/assessments/{year.id}/attest"' in director.get(
        f"/appraisals/{appraisal_id}").text
    assert director.post(f"/fppt/assessments/{year.id}/attest",
                         all_clear(sqlite_board, "finance@rx1.nhs.uk")).status_code == 303
    assert "signed the annual self-attestation" in director.get(
        f"/appraisals/{appraisal_id}").text
    assert director.post(f"/appraisals/{appraisal_id}/submit").status_code == 303
    assert _state(appraisal_id) is AppraisalState.SUBMITTED
    assert appraiser.get("/queue").status_code == 200
    assert "Priya Shah" in appraiser.get("/queue").text
    assert appraiser.post(f"/review/{appraisal_id}/return", {"reason": ""}).status_code == 400
    assert appraiser.post(f"/review/{appraisal_id}/return",
                          {"reason": "Say more on <b>finance</b>"}).status_code == 303
    page = director.get(f"/appraisals/{appraisal_id}")
    assert "Say more on &lt;b&gt;finance&lt;/b&gt;" in page.text
    assert director.post(f"/appraisals/{appraisal_id}/submit").status_code == 303
    assert appraiser.post(f"/review/{appraisal_id}/begin").status_code == 303
    domains = _framework(appraisal_id).domains
    for d in domains:  # the review is a task list: a page per domain, each with its save
        assert appraiser.post(f"/review/{appraisal_id}/commentary/{d.id}", {
            "commentary": "Good", "view": "frequently"}).status_code == 303
    assert appraiser.post(f"/review/{appraisal_id}/meeting", {  # the meeting's own page
        "meeting-day": "20", "meeting-month": "1", "meeting-year": "2026",
        "meeting-time": "2:30pm", "meeting-duration": "60",
        "meeting-place": "The boardroom"}).status_code == 303
    refused = appraiser.post(f"/review/{appraisal_id}/agree")
    assert refused.status_code == 400 and "cannot be agreed yet" in refused.text
    assert appraiser.post(f"/review/{appraisal_id}/objectives", {
        "objective-1-text": "Balance the budget", "objective-1-kind": "organisational",
        "objective-2-text": "Widen board diversity", "objective-2-kind": "edi"}).status_code == 303
    assert appraiser.post(f"/review/{appraisal_id}/plan", {
        "action-1-need": "Digital", "action-1-action": "Course"}).status_code == 303
    assert appraiser.post(f"/review/{appraisal_id}/fppt", {
        "last_assessed_on-day": "1", "last_assessed_on-month": "10",
        "last_assessed_on-year": "2025", "status": "fit_and_proper"}).status_code == 303
    assert appraiser.post(f"/review/{appraisal_id}/agree").status_code == 303
    assert director.post(f"/appraisals/{appraisal_id}/sign").status_code == 303
    assert appraiser.post(f"/appraisals/{appraisal_id}/sign").status_code == 303
    assert _state(appraisal_id) is AppraisalState.COMPLETE
    assert director.get(f"/appraisals/{appraisal_id}/record.pdf").status_code == 404
    cosec = sign_in_as("cosec@rx1.nhs.uk")
    csv_text = cosec.get(f"/organisations/{sqlite_board.organisation_id}/dashboard.csv").text
    assert "Priya Shah" in csv_text and "Complete" in csv_text
    with read_session() as session:
        viewed = session.execute(select(AuditEvent).where(
            AuditEvent.action == "content_viewed")).scalars().all()
    assert viewed
