"""The appraiser's meeting page: schedule, move and cancel, with the NHS.UK date input and
an error summary that names each field; a refused form writes nothing."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from appraisal_store.models import AppraisalMeeting, OutboxMessage
from appraisal_store.sessions import read_session
from tests.appraisal_store.test_meetings import CHAIR, NED, submit
from tests.conftest import Board

GOOD = {"meeting-day": "3", "meeting-month": "3", "meeting-year": "2026",
        "meeting-time": "2:30pm", "meeting-duration": "60", "meeting-place": "The boardroom"}


def _written() -> tuple[int, int]:
    with read_session() as session:
        return (session.execute(select(func.count()).select_from(AppraisalMeeting)).scalar_one(),
                session.execute(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.template.like("meeting_%"))).scalar_one())  # type: ignore[attr-defined]


def _summary_links(html: str) -> list[tuple[str, str]]:
    summary = html[html.index("nhsuk-error-summary"):]
    summary = summary[:summary.index("</ul>")]
    return [(href, " ".join(text.split()))
            for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', summary, re.S)]


def test_the_appraiser_schedules_moves_and_cancels_the_meeting(sqlite_board: Board,
                                                               sign_in_as) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = submit(sqlite_board)
    chair = sign_in_as(CHAIR)
    review = chair.get(f"/review/{appraisal_id}")
    assert "Not scheduled yet" in review.text
    assert f'href="/review/{appraisal_id}/meeting"' in review.text
    page = chair.get(f"/review/{appraisal_id}/meeting")
    assert page.status_code == 200
    assert "Schedule the appraisal meeting" in page.text
    assert 'class="nhsuk-date-input"' in page.text
    for field in ("meeting-date-day", "meeting-date-month", "meeting-date-year"):
        assert f'id="{field}"' in page.text

    scheduled = chair.post(f"/review/{appraisal_id}/meeting", GOOD)
    assert scheduled.status_code == 303
    assert scheduled.headers["location"] == f"/review/{appraisal_id}?saved=meeting#meeting-section"
    assert _written() == (1, 2)
    review = chair.get(f"/review/{appraisal_id}")
    assert "Tuesday 3 March 2026 at 2:30pm, for 1 hour, at The boardroom." in review.text
    page = chair.get(f"/review/{appraisal_id}/meeting")
    assert 'value="14:30"' in page.text and 'value="The boardroom"' in page.text

    moved = chair.post(f"/review/{appraisal_id}/meeting",
                       {**GOOD, "meeting-month": "6", "meeting-day": "16",
                        "meeting-time": "10am", "meeting-duration": "90"})
    assert moved.status_code == 303
    assert _written() == (1, 4)
    assert "Tuesday 16 June 2026 at 10am, for 1 hour 30 minutes" in chair.get(
        f"/review/{appraisal_id}").text
    assert "1 hour 30 minutes</dd>" in chair.get(f"/review/{appraisal_id}/meeting").text

    cancelled = chair.post(f"/review/{appraisal_id}/meeting/cancel")
    assert cancelled.status_code == 303
    assert _written() == (1, 6)
    assert "Not scheduled yet" in chair.get(f"/review/{appraisal_id}").text
    with read_session() as session:
        templates = session.execute(select(OutboxMessage.template).where(
            OutboxMessage.template.like("meeting_%"))  # type: ignore[attr-defined]
            .order_by(OutboxMessage.id)).scalars().all()
    assert templates == ["meeting_invitation"] * 2 + ["meeting_moved"] * 2 + [
        "meeting_cancelled"] * 2


def test_a_bad_date_shows_the_error_summary_and_writes_nothing(sqlite_board: Board,
                                                               sign_in_as) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = submit(sqlite_board)
    chair = sign_in_as(CHAIR)
    refused = chair.post(f"/review/{appraisal_id}/meeting",
                         {"meeting-day": "31", "meeting-month": "2", "meeting-year": "2026",
                          "meeting-time": "25:00", "meeting-duration": "an hour",
                          "meeting-place": ""})
    assert refused.status_code == 400
    assert refused.text.count("nhsuk-error-summary__heading") == 1
    assert _summary_links(refused.text) == [
        ("#meeting-date-day", "The date of the meeting must be a real date"),
        ("#meeting-time", "Enter a real start time, like 14:30 or 2:30pm"),
        ("#meeting-duration", "Enter how long the meeting lasts in minutes, like 60"),
        ("#meeting-place", "Say where the meeting is, or give the video link")]
    assert 'id="meeting-date-error"' in refused.text  # the message beside the date input
    assert 'value="31"' in refused.text and 'value="25:00"' in refused.text  # input kept
    assert _written() == (0, 0)

    # The service's own checks reach the summary the same way, month names intact.
    out_of_cycle = chair.post(f"/review/{appraisal_id}/meeting",
                              {**GOOD, "meeting-year": "2024"})
    assert out_of_cycle.status_code == 400
    assert _summary_links(out_of_cycle.text) == [
        ("#meeting-date-day", "The date of the meeting must be between 1 April 2025 and "
                              "31 March 2027")]
    missing = chair.post(f"/review/{appraisal_id}/meeting", {**GOOD, "meeting-month": ""})
    assert _summary_links(missing.text) == [
        ("#meeting-date-day", "The date of the meeting must include a month")]
    assert _written() == (0, 0)


def test_the_appraisee_sees_the_meeting_but_cannot_arrange_it(sqlite_board: Board,
                                                             sign_in_as) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = submit(sqlite_board)
    chair, director = sign_in_as(CHAIR), sign_in_as(NED)
    assert chair.post(f"/review/{appraisal_id}/meeting", GOOD).status_code == 303
    page = director.get(f"/review/{appraisal_id}/meeting")
    assert page.status_code == 200
    assert "Tuesday 3 March 2026 at 2:30pm" in page.text and 'id="meeting-form"' not in page.text
    refused = director.post(f"/review/{appraisal_id}/meeting/cancel")
    assert refused.status_code == 403 and "Only the appraiser or an administrator" in refused.text
    stranger = sign_in_as("finance@rx1.nhs.uk")
    assert stranger.get(f"/review/{appraisal_id}/meeting").status_code == 404
    assert _written() == (1, 2)
