"""Multi-source feedback through the portal, without JavaScript: a respondent opens their
emailed link, answers part by part (saved as they go), sends; the appraiser closes the
round and reads the summary. No page or email shows a respondent's name beside what they
said, and a group below the threshold is never shown apart."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from appraisal_store import config
from appraisal_store.feedback_tables import FeedbackRespondent, RespondentStatus
from appraisal_store.models import AuditEvent, OutboxMessage
from appraisal_store.services import feedback_opening
from appraisal_store.services.feedback import Nomination
from appraisal_store.sessions import read_session, write_session
from flows.delivery import deliver_messages
from tests.conftest import Board
from tests.portal.conftest import plain_text
from tests.review_journeys import submit

DIRECTOR, APPRAISER = "finance@rx1.nhs.uk", "ceo@rx1.nhs.uk"
LINK = re.compile(r"(/feedback/respond)#([A-Za-z0-9_-]+)")
PEOPLE = ([Nomination(f"Boardmember{i} Smith", f"board{i}@x.nhs.uk", "board") for i in range(3)]
          + [Nomination("Partneronly Jones", "partner@x.nhs.uk", "stakeholders")])
WORDS = {"board0@x.nhs.uk": "Unmistakable phrase zero", "board1@x.nhs.uk": "Another phrase one",
         "board2@x.nhs.uk": "Third phrase two", "partner@x.nhs.uk": "Partner phrase alone"}


def _deliver(clock) -> list:
    with read_session() as session:
        ids = list(session.execute(select(OutboxMessage.id).where(
            OutboxMessage.sent_at.is_(None))).scalars())  # type: ignore[union-attr]
    deliver_messages(ids)  # queued at the real time, after the test clock's moment
    folder: Path = config.settings().outbox_dir
    return [message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.glob("feedback-*.eml"))]


def _invitation_token(emails, address: str) -> str:
    for email in emails:
        if address in str(email["To"]) and "invitation" in str(email["X-Appraisal-Key"]):
            return LINK.search(plain_text(email)).group(2)
    raise AssertionError(f"no invitation to {address}")


def _respond(app, token: str, value: str, words: str) -> TestClient:
    """The respondent's whole walk, with no JavaScript: paste the code, answer, send."""
    browser = TestClient(app)
    page = browser.get("/feedback/respond")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    opened = browser.post("/feedback/respond", data={"csrf_token": csrf, "token": token},
                          follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/feedback/form"
    part = browser.get("/feedback/form")
    assert "How confidential your answers are" in part.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', part.text).group(1)
    number = 1
    while True:
        page = browser.get(f"/feedback/form?part={number}")
        statements = set(re.findall(r'name="rating-([^"]+)"', page.text))
        texts = set(re.findall(r'name="text-([^"]+)"', page.text))
        form = {"csrf_token": csrf, "part": str(number),
                **{f"rating-{s}": value for s in statements},
                **{f"text-{t}": words for t in texts if t.endswith("do_well")}}
        if "Send my feedback" in page.text:
            # The last page shows every answer before it is sent, each with a way back.
            answers = page.text.split('id="your-answers"')[1].split("Send my feedback")[0]
            assert value.replace("_", " ").capitalize() in answers
            assert "Not answered yet" not in answers
            assert '<a href="/feedback/form?part=1">Change<span' in answers
            sent = browser.post("/feedback/form", data={**form, "action": "send"})
            assert sent.status_code == 200 and "Thank you for your feedback" in sent.text
            return browser
        saved = browser.post("/feedback/form", data={**form, "action": "next"},
                             follow_redirects=False)
        assert saved.status_code == 303, saved.text
        number += 1


def test_respondents_answer_from_the_email_and_the_summary_keeps_them_apart(
        app, sqlite_board: Board, sign_in_as, clock) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = sqlite_board.appraisals[DIRECTOR]
    submit(sqlite_board, DIRECTOR, appraisal_id)
    appraiser = sign_in_as(APPRAISER)
    assert appraiser.post(f"/review/{appraisal_id}/begin").status_code == 303
    form = {"closes_on-day": str((clock.now + timedelta(days=10)).day),
            "closes_on-month": str((clock.now + timedelta(days=10)).month),
            "closes_on-year": str((clock.now + timedelta(days=10)).year)}
    for i, n in enumerate(PEOPLE, start=1):
        form |= {f"respondent-{i}-name": n.name, f"respondent-{i}-email": n.email,
                 f"respondent-{i}-group": n.group_id}
    opened = appraiser.post(f"/appraisals/{appraisal_id}/feedback/open", form)
    assert opened.status_code == 303, opened.text
    emails = _deliver(clock)
    assert len(emails) == len(PEOPLE)
    for email in emails:
        text = plain_text(email)
        assert "How confidential your answers are" in text
        assert "no account or password" in text
    tokens = {n.email: _invitation_token(emails, n.email) for n in PEOPLE}

    # While the round is open the appraiser sees who answered, and no summary.
    browsers = {}
    for n, value in zip(PEOPLE, ("almost_always", "frequently", "almost_always",
                                 "rarely_or_never"), strict=True):
        browsers[n.email] = _respond(app, tokens[n.email], value, WORDS[n.email])
    review = appraiser.get(f"/review/{appraisal_id}/feedback").text
    assert "The round is open: 4 of 4 answered" in review and "feedback-summary" not in review
    # A link used for its answers opens nothing again.
    again = TestClient(app)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"',
                     again.get("/feedback/respond").text).group(1)
    reused = again.post("/feedback/respond", data={"csrf_token": csrf,
                                                   "token": tokens[PEOPLE[0].email]})
    assert reused.status_code == 400 and "does not open a form" in reused.text
    assert browsers[PEOPLE[0].email].get("/feedback/form").status_code == 404

    assert appraiser.post(f"/appraisals/{appraisal_id}/feedback/close").status_code == 303
    summary = appraiser.get(f"/review/{appraisal_id}/feedback").text
    assert "4 of 4 answered" in summary
    # The partner is a group of one: never a column of their own.
    assert "Stakeholders and partners" not in summary
    assert "All respondents (4)" in summary
    for n in PEOPLE:  # no name on the page that shows answers
        assert n.name not in summary and n.email not in summary
    for words in WORDS.values():
        assert words in summary
    # The round's page lists who was asked and their status, and no answer.
    listing = appraiser.get(f"/appraisals/{appraisal_id}/feedback").text
    assert all(n.name in listing for n in PEOPLE)
    # Whose round it is, and the way back to the review.
    assert '<span class="nhsuk-caption-l" id="caption">Priya Shah, 2025/26 appraisal' in listing
    assert f'href="/review/{appraisal_id}"' in listing
    assert not any(words in listing for words in WORDS.values())
    assert "Almost always" not in listing
    # The read of the summary is audited.
    with read_session() as session:
        pages = [e.details.get("page") for e in session.execute(select(AuditEvent).where(
            AuditEvent.action == "content_viewed")).scalars()]
        statuses = {r.email: r.status for r in session.execute(
            select(FeedbackRespondent)).scalars()}
    assert "feedback summary" in pages
    assert set(statuses.values()) == {RespondentStatus.SUBMITTED}

    # The company secretary's dashboard: counts only.
    cosec = sign_in_as("cosec@rx1.nhs.uk")
    board_page = cosec.get(f"/organisations/{sqlite_board.organisation_id}/dashboard").text
    assert "Multi-source feedback" in board_page and "100% (4 of 4 asked)" in board_page
    assert not any(n.name in board_page for n in PEOPLE)

    # Every page of the portal, as every role: never a respondent's name beside an answer.
    from tests.portal.test_private_answers import _get_paths
    values = {"appraisal_id": appraisal_id, "organisation_id": sqlite_board.organisation_id,
              "domain_id": "d1", "report_id": 1, "pack_id": 1, "check_in_id": 1,
              "year_slug": "2025-26", "extension": "csv", "fppt_year_id": 1,
              "entry_id": 1, "reference_id": 1}
    clients = [appraiser, cosec, sign_in_as(DIRECTOR), sign_in_as("chair@rx1.nhs.uk"),
               *browsers.values()]
    for pattern in _get_paths(app):
        for client in clients:
            response = client.get(pattern.format(**values))
            text = response.text if "html" in response.headers.get("content-type", "") else ""
            answers = [w for w in WORDS.values() if w in text]
            if answers:
                assert not any(n.name in text or n.email in text for n in PEOPLE), pattern


def test_a_past_closing_date_is_refused_and_what_was_typed_stays(
        app, sqlite_board: Board, sign_in_as, clock) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = sqlite_board.appraisals[DIRECTOR]
    submit(sqlite_board, DIRECTOR, appraisal_id)
    appraiser = sign_in_as(APPRAISER)
    past = clock.now - timedelta(days=30)
    refused = appraiser.post(f"/appraisals/{appraisal_id}/feedback/open", {
        "closes_on-day": str(past.day), "closes_on-month": str(past.month),
        "closes_on-year": str(past.year), "respondent-1-name": PEOPLE[0].name,
        "respondent-1-email": PEOPLE[0].email})
    assert refused.status_code == 400
    assert f"The closing date {past:%-d %B %Y} is in the past" in refused.text
    kept_day = f'name="closes_on-day" type="text" inputmode="numeric" value="{past.day}"'
    assert kept_day in refused.text
    assert f'value="{past.year}"' in refused.text and PEOPLE[0].email in refused.text
    assert _deliver(clock) == []


def test_bad_answers_are_refused_on_the_page_and_a_decline_stops_the_link(
        app, sqlite_board: Board, operator, clock) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = sqlite_board.appraisals[DIRECTOR]
    with write_session() as session:
        feedback_opening.open_rounds(session=session, actor=operator, appraisal_ids=[appraisal_id],
                             today=clock.now.date(), now=clock.now, nominations=PEOPLE[:1])
    token = _invitation_token(_deliver(clock), PEOPLE[0].email)
    browser = TestClient(app)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"',
                     browser.get("/feedback/respond").text).group(1)
    browser.post("/feedback/respond", data={"csrf_token": csrf, "token": token})
    page = browser.get("/feedback/form")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    statement = re.findall(r'name="rating-([^"]+)"', page.text)[0]
    refused = browser.post("/feedback/form", data={"csrf_token": csrf, "part": "1",
                                                   f"rating-{statement}": "superb"})
    assert refused.status_code == 400 and "choose one of the five answers" in refused.text.lower()
    early = browser.post("/feedback/form", data={"csrf_token": csrf, "part": "7",
                                                 "action": "send"})
    assert early.status_code == 400 and "some statements have no answer" in early.text
    forged = browser.post("/feedback/decline", data={"csrf_token": "not-it"})
    assert forged.status_code == 403
    declined = browser.post("/feedback/decline", data={"csrf_token": csrf})
    assert "You have declined" in declined.text
    assert browser.get("/feedback/form").status_code == 404
