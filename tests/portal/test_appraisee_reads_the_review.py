"""What the appraisee reads before signing: the appraiser's words as the record will hold
them, not only the objectives' titles; and nothing of the appraiser's draft before agreement."""

from __future__ import annotations

from appraisal_store import sessions
from appraisal_store.services import review
from tests.conftest import Board
from tests.review_journeys import agree_with_objectives, submit

FINANCE, CEO = "finance@rx1.nhs.uk", "ceo@rx1.nhs.uk"


def _comment_on_the_first_domain(board: Board, appraisal_id: int, text: str) -> None:
    with sessions.write_session() as session:
        review.save_domain_commentary(session=session, actor=board.actor(CEO),
                                      appraisal_id=appraisal_id, domain_id="d1", text=text,
                                      view="occasionally")
        review.save_feedback(session=session, actor=board.actor(CEO),
                             appraisal_id=appraisal_id,
                             msf_summary="Colleagues value the finance grip",
                             appraiser_comments="A strong first year")


def test_the_agreed_appraisal_shows_the_appraisers_words_before_signing(
        sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = sqlite_board.appraisals[FINANCE]
    submit(sqlite_board, FINANCE, appraisal_id)
    with sessions.write_session() as session:
        review.begin_review(session=session, actor=sqlite_board.actor(CEO),
                            appraisal_id=appraisal_id)
    _comment_on_the_first_domain(sqlite_board, appraisal_id, "Grip on the <b>deficit</b>")
    director = sign_in_as(FINANCE)
    draft = director.get(f"/appraisals/{appraisal_id}").text
    assert "Grip on the" not in draft and "A strong first year" not in draft

    agree_with_objectives(sqlite_board, FINANCE, CEO, appraisal_id, submitted=True)
    page = director.get(f"/appraisals/{appraisal_id}").text
    assert "Grip on the &lt;b&gt;deficit&lt;/b&gt;" in page  # escaped, in the appraiser's words
    assert "Occasionally" in page.split("view of each domain")[1]
    assert "Colleagues value the finance grip" in page and "A strong first year" in page
    assert "Network meets quarterly" in page and "31 March 2026" in page  # measure, target
    assert "serves Our people" in page
    assert "10 February 2026" in page  # the meeting
    assert "Sign your appraisal" in page
