"""The appraisee's view of their feedback round: counts while it is open; once it has
closed, the same summary the appraiser reads (they discuss it at the appraisal), without
a name, each reading audited. The appraiser's round page, which lists who was asked, never
carries the summary."""

from __future__ import annotations

from sqlalchemy import select

from appraisal_store.models import AuditEvent
from appraisal_store.services import feedback_opening
from appraisal_store.sessions import read_session, write_session
from tests.conftest import Board
from tests.portal.test_feedback_portal import (
    APPRAISER,
    DIRECTOR,
    PEOPLE,
    WORDS,
    _deliver,
    _invitation_token,
    _respond,
)
from tests.review_journeys import submit


def _summary_readers(appraisal_id: int) -> list[int | None]:
    with read_session() as session:
        return [e.actor_id for e in session.execute(select(AuditEvent).where(
            AuditEvent.action == "content_viewed",
            AuditEvent.subject_id == str(appraisal_id))).scalars()
            if e.details.get("page") == "feedback summary"]


def test_the_appraisee_reads_the_summary_once_the_round_has_closed(
        app, sqlite_board: Board, sign_in_as, clock) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = sqlite_board.appraisals[DIRECTOR]
    submit(sqlite_board, DIRECTOR, appraisal_id)
    appraiser = sign_in_as(APPRAISER)
    assert appraiser.post(f"/review/{appraisal_id}/begin").status_code == 303
    with write_session() as session:
        feedback_opening.open_rounds(session=session, actor=sqlite_board.actor(APPRAISER),
                                     appraisal_ids=[appraisal_id], today=clock.now.date(),
                                     now=clock.now, nominations=PEOPLE)
    emails = _deliver(clock)
    for n, value in zip(PEOPLE, ("almost_always", "frequently", "almost_always",
                                 "rarely_or_never"), strict=True):
        _respond(app, _invitation_token(emails, n.email), value, WORDS[n.email])

    director = sign_in_as(DIRECTOR)
    assert f"/appraisals/{appraisal_id}/feedback" in director.get(
        f"/appraisals/{appraisal_id}").text
    open_page = director.get(f"/appraisals/{appraisal_id}/feedback").text
    assert "The round is open until" in open_page and "4 of 4 answered" in open_page
    assert f'href="/appraisals/{appraisal_id}"' in open_page  # back to their appraisal
    assert "feedback-summary" not in open_page
    assert not any(n.name in open_page or n.email in open_page for n in PEOPLE)
    assert _summary_readers(appraisal_id) == []

    assert appraiser.post(f"/appraisals/{appraisal_id}/feedback/close").status_code == 303
    # The appraiser's round page lists the names, so it has no summary, and no read of it.
    listing = appraiser.get(f"/appraisals/{appraisal_id}/feedback").text
    assert "feedback-summary" not in listing and f"/review/{appraisal_id}/feedback" in listing
    assert _summary_readers(appraisal_id) == []

    page = director.get(f"/appraisals/{appraisal_id}/feedback").text
    assert "feedback-summary" in page and "The round has closed: 4 of 4 answered" in page
    assert "All respondents (4)" in page and "Self-assessment" in page
    assert "Stakeholders and partners" not in page  # a group of one is never shown apart
    for words in WORDS.values():
        assert words in page
    assert not any(n.name in page or n.email in page for n in PEOPLE)
    # The same summary as the appraiser's, read on the review's task list.
    review = appraiser.get(f"/review/{appraisal_id}/feedback").text
    start = '<div id="feedback-summary">'
    assert page[page.index(start):].split("</div>")[0] == \
        review[review.index(start):].split("</div>")[0]
    assert _summary_readers(appraisal_id) == [sqlite_board.people[DIRECTOR],
                                              sqlite_board.people[APPRAISER]]
