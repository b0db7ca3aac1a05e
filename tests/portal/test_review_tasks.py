"""The review's task list through the portal's routes: a page per section, each with its
save; a save after the session ended kept until the person signs in again."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from appraisal_store import config
from appraisal_store.models import (
    Appraisal,
    DevelopmentAction,
    FPPTAttestation,
    Objective,
    ObjectiveReview,
    ParkedForm,
    PortalSession,
)
from appraisal_store.sessions import read_session
from appraisal_store.vocabulary import ObjectiveOutcome
from portal.parking import NEXT_COOKIE, same_origin_path
from tests.conftest import Board
from tests.portal.test_security import _link_token, _request_link, _use_link
from tests.review_journeys import agree_with_objectives, open_next_year, submit

DIRECTOR, APPRAISER = "finance@rx1.nhs.uk", "ceo@rx1.nhs.uk"


@pytest.fixture(name="in_review")
def in_review_fixture(sqlite_board: Board, sign_in_as):  # type: ignore[no-untyped-def]
    """(appraisal id, the appraiser's client) with the review begun."""
    appraisal_id = sqlite_board.appraisals[DIRECTOR]
    submit(sqlite_board, DIRECTOR, appraisal_id)
    appraiser = sign_in_as(APPRAISER)
    assert appraiser.post(f"/review/{appraisal_id}/begin").status_code == 303
    return appraisal_id, appraiser


def _status(page: str, title: str) -> str:
    """The status the task list shows beside ``title``."""
    item = re.search(re.escape(title) + r".*?nhsuk-task-list__status[^>]*>(.*?)</div>", page,
                     re.S)
    assert item, f"no task {title!r}"
    return re.sub(r"<[^>]+>", "", item.group(1)).strip()


def test_each_section_is_its_own_page_and_keeps_what_the_others_hold(in_review) -> None:  # type: ignore[no-untyped-def]
    appraisal_id, appraiser = in_review
    base = f"/review/{appraisal_id}"
    listing = appraiser.get(base).text
    assert "nhsuk-task-list" in listing
    assert _status(listing, "This year&#39;s objectives") == "Not started"
    assert _status(listing, "Last year&#39;s objectives") == "Completed"  # none carried
    assert appraiser.post(f"{base}/commentary/d1", {"commentary": "Clear on finance"}
                          ).headers["location"] == f"{base}?saved=commentary-d1"
    assert _status(appraiser.get(base).text, "Multi-source feedback summary") == "Not started"
    first_domain = re.search(r'href="/review/\d+/commentary/d1"[^>]*>\s*(.*?)\s*</a>',
                             appraiser.get(base).text, re.S)
    assert first_domain
    assert _status(appraiser.get(base).text, first_domain.group(1)) == "In progress"
    # Saving the objectives (another page) leaves the commentary as it was.
    assert appraiser.post(f"{base}/objectives", {
        "objective-1-text": "Balance the budget", "objective-1-kind": "organisational",
        "objective-1-measure": "Break even by March", "objective-1-priority": "Finance",
        "objective-1-target-day": "31", "objective-1-target-month": "3",
        "objective-1-target-year": "2027"}).status_code == 303
    page = appraiser.get(f"{base}/commentary/d1").text
    assert "Clear on finance" in page
    listing = appraiser.get(base).text
    assert _status(listing, "This year&#39;s objectives") == "In progress"  # no EDI one yet
    assert "At least one must be on equality" in listing
    assert appraiser.post(f"{base}/commentary/d1", {"commentary": "Clear on finance",
                                                    "view": "frequently"}).status_code == 303
    assert _status(appraiser.get(base).text, first_domain.group(1)) == "Completed"
    with read_session() as session:
        objective = session.execute(select(Objective).where(
            Objective.appraisal_id == appraisal_id)).scalar_one()
    assert (objective.measure, objective.priority, objective.target_date) == (
        "Break even by March", "Finance", date(2027, 3, 31))
    assert 'value="31"' in appraiser.get(f"{base}/objectives").text  # shown in the date input


def test_the_domain_page_counts_the_self_assessment_in_one_sentence(in_review) -> None:  # type: ignore[no-untyped-def]
    appraisal_id, appraiser = in_review
    page = appraiser.get(f"/review/{appraisal_id}/commentary/d1").text
    summary = re.search(r"<strong>Summary:</strong>(.*?)</p>", page, re.S)
    assert summary
    counts = " ".join(summary.group(1).split())
    assert re.match(r"^([A-Z][a-z ]+: \d+; )*[A-Z][a-z ]+: \d+\.", counts), counts
    assert ": 0" not in counts and "; ." not in counts


def test_a_bad_target_date_names_the_objective_and_saves_nothing(in_review) -> None:  # type: ignore[no-untyped-def]
    appraisal_id, appraiser = in_review
    refused = appraiser.post(f"/review/{appraisal_id}/objectives", {
        "objective-1-text": "Widen diversity", "objective-1-kind": "edi",
        "objective-2-text": "Digital board", "objective-2-target-day": "31",
        "objective-2-target-month": "2", "objective-2-target-year": "2027"})
    assert refused.status_code == 400
    assert "The target date of objective 2 must be a real date" in refused.text
    assert 'href="#objective-2-target"' in refused.text
    assert "Widen diversity" in refused.text  # what was typed is shown again
    with read_session() as session:
        assert session.execute(select(func.count()).select_from(Objective)).scalar_one() == 0
    missing = appraiser.post(f"/review/{appraisal_id}/objectives", {
        "objective-1-measure": "Something", "objective-1-kind": "personal"})
    assert missing.status_code == 400 and "Write objective 1" in missing.text


def test_plan_fppt_and_feedback_pages(in_review) -> None:  # type: ignore[no-untyped-def]
    appraisal_id, appraiser = in_review
    base = f"/review/{appraisal_id}"
    assert appraiser.post(f"{base}/plan", {
        "action-1-need": "Digital", "action-1-action": "Course", "action-1-support": "Fees",
        "action-1-timescale": "June", "action-1-domain": "d2"}).status_code == 303
    half = appraiser.post(f"{base}/plan", {"action-1-need": "Only a need"})
    assert half.status_code == 400 and "Say what will be done for action 1" in half.text
    bad = appraiser.post(f"{base}/fppt", {"last_assessed_on-day": "1",
                                          "last_assessed_on-year": "2025",
                                          "status": "fit_and_proper"})
    assert bad.status_code == 400 and "must include a month" in bad.text
    assert appraiser.post(f"{base}/fppt", {
        "last_assessed_on-day": "1", "last_assessed_on-month": "10",
        "last_assessed_on-year": "2025", "status": "fit_and_proper"}).status_code == 303
    assert appraiser.post(f"{base}/feedback", {"msf_summary": "Valued by the board"}
                          ).status_code == 303
    with read_session() as session:
        action = session.execute(select(DevelopmentAction)).scalar_one()
        fppt = session.execute(select(FPPTAttestation)).scalar_one()
        appraisal = session.get(Appraisal, appraisal_id)
    assert (action.support, action.domain_id) == ("Fees", "d2")
    assert fppt.last_assessed_on == date(2025, 10, 1)
    assert appraisal and appraisal.msf_summary == "Valued by the board"
    listing = appraiser.get(base).text
    for title in ("Development plan", "Fit and proper person test",
                  "Multi-source feedback summary"):
        assert _status(listing, title) == "Completed"
    assert _status(listing, "Agree or return the appraisal") == "Cannot start yet"
    assert appraiser.get(f"{base}/commentary/nowhere").status_code == 404
    decision = appraiser.get(f"{base}/decision").text
    assert "Before you can agree, complete" in decision


def test_last_years_objectives_appear_in_next_years_review(sqlite_board: Board,
                                                            sign_in_as) -> None:  # type: ignore[no-untyped-def]
    ned, chair = "ned1@rx1.nhs.uk", "chair@rx1.nhs.uk"
    agree_with_objectives(sqlite_board, ned, chair, sqlite_board.appraisals[ned])
    this_year = open_next_year(sqlite_board, ned)
    submit(sqlite_board, ned, this_year)
    appraiser = sign_in_as(chair)
    assert appraiser.post(f"/review/{this_year}/begin").status_code == 303
    assert _status(appraiser.get(f"/review/{this_year}").text,
                   "Last year&#39;s objectives") == "Not started"
    page = appraiser.get(f"/review/{this_year}/last-year").text
    assert "Sponsor the race equality network" in page and "Chair the quality committee" in page
    ids = [int(i) for i in re.findall(r'name="objective-(\d+)-outcome"', page)][::3]
    assert len(ids) == 2
    no_outcome = appraiser.post(f"/review/{this_year}/last-year",
                                {f"objective-{ids[0]}-comment": "Only a comment"})
    assert no_outcome.status_code == 400 and "Say whether it was met" in no_outcome.text
    assert appraiser.post(f"/review/{this_year}/last-year", {
        f"objective-{ids[0]}-outcome": "met", f"objective-{ids[0]}-comment": "Done",
        f"objective-{ids[1]}-outcome": "partly_met"}).status_code == 303
    assert _status(appraiser.get(f"/review/{this_year}").text,
                   "Last year&#39;s objectives") == "Completed"
    # Saving this year's objectives keeps the review of last year's.
    assert appraiser.post(f"/review/{this_year}/objectives", {
        "objective-1-text": "Mentor a new director", "objective-1-kind": "edi"}
    ).status_code == 303
    with read_session() as session:
        outcomes = sorted(session.execute(select(ObjectiveReview.outcome).where(
            ObjectiveReview.appraisal_id == this_year)).scalars())
    assert outcomes == sorted([ObjectiveOutcome.MET, ObjectiveOutcome.PARTLY_MET])
    # A first appraisal has nothing to carry forward.
    other = appraiser.get(f"/review/{sqlite_board.appraisals[ned]}/last-year")
    assert other.status_code == 200 and "There are no objectives to review" in other.text


def test_a_save_after_the_session_ended_comes_back_after_signing_in(
        app, clock, in_review) -> None:  # type: ignore[no-untyped-def]
    appraisal_id, appraiser = in_review
    page = f"/review/{appraisal_id}/feedback"
    clock.now += timedelta(minutes=31)
    late = appraiser.post(page, {"msf_summary": "Half an hour of typing",
                                 "appraiser_comments": "And this"})
    assert late.status_code == 303 and late.headers["location"] == "/sign-in"
    assert appraiser.client.cookies.get(NEXT_COOKIE, path="/sign-in").strip('"') == page
    with read_session() as session:
        parked = session.execute(select(ParkedForm)).scalar_one()
        appraisal = session.get(Appraisal, appraisal_id)
    assert parked.fields == {"msf_summary": "Half an hour of typing",
                             "appraiser_comments": "And this"}  # never the CSRF token
    assert appraisal and appraisal.msf_summary == ""  # nothing saved until they save it
    client = appraiser.client
    _request_link(client, APPRAISER)
    landed = _use_link(client, _link_token(APPRAISER))
    assert landed.status_code == 303 and landed.headers["location"] == page
    again = client.get(page)
    assert "Half an hour of typing" in again.text and 'id="restored"' in again.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', again.text)
    assert csrf
    saved = client.post(page, data={"csrf_token": csrf.group(1),
                                    "msf_summary": "Half an hour of typing"},
                        follow_redirects=False)
    assert saved.status_code == 303
    with read_session() as session:
        assert session.execute(select(func.count()).select_from(ParkedForm)).scalar_one() == 0
    assert 'id="restored"' not in client.get(page).text


def test_a_late_post_without_its_sessions_token_is_not_kept(app, clock, in_review) -> None:  # type: ignore[no-untyped-def]
    appraisal_id, appraiser = in_review
    clock.now += timedelta(minutes=31)
    response = appraiser.client.post(f"/review/{appraisal_id}/feedback",
                                     data={"msf_summary": "From elsewhere", "csrf_token": "x"},
                                     follow_redirects=False)
    assert response.status_code == 303
    stranger = TestClient(app).post(f"/review/{appraisal_id}/feedback",
                                    data={"msf_summary": "No session"}, follow_redirects=False)
    assert stranger.status_code == 303
    with read_session() as session:
        assert session.execute(select(func.count()).select_from(ParkedForm)).scalar_one() == 0


def test_the_page_says_when_the_session_ends_and_keep_alive_moves_it(
        app, clock, in_review) -> None:  # type: ignore[no-untyped-def]
    appraisal_id, appraiser = in_review
    page = appraiser.get(f"/review/{appraisal_id}").text
    assert "you will be signed out at" in page
    assert 'data-seconds-left="1800"' in page or 'data-seconds-left="17' in page
    clock.now += timedelta(minutes=20)
    assert appraiser.post("/session/keep-alive").json() == {"seconds_left": 1800}
    with read_session() as session:
        seen = session.execute(select(PortalSession.last_seen_at).where(
            PortalSession.person_id == appraiser.person_id)).scalar_one()
    assert seen == clock.now
    assert appraiser.client.post("/session/keep-alive", data={}).status_code == 403


def test_the_warning_and_keep_alive_count_down_to_the_end_of_the_sessions_lifetime(
        sqlite_board: Board, clock, sign_in_as, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # However busy, a session ends its lifetime after sign-in: staying signed in cannot move
    # that, so the warning says the earlier of the two ends.
    monkeypatch.setenv("APPRAISAL_SESSION_LIFETIME_HOURS", "1")
    config.settings.cache_clear()
    appraisal_id = sqlite_board.appraisals[DIRECTOR]
    submit(sqlite_board, DIRECTOR, appraisal_id)
    appraiser = sign_in_as(APPRAISER)
    clock.now += timedelta(minutes=25)
    assert appraiser.post("/session/keep-alive").json() == {"seconds_left": 1800}
    clock.now += timedelta(minutes=25)
    assert appraiser.post("/session/keep-alive").json() == {"seconds_left": 600}
    assert 'data-seconds-left="600"' in appraiser.get(f"/review/{appraisal_id}").text
    clock.now += timedelta(minutes=10)
    assert appraiser.get(f"/review/{appraisal_id}").status_code == 303


def test_the_meeting_task_says_when_and_where_once_it_is_scheduled(in_review) -> None:  # type: ignore[no-untyped-def]
    appraisal_id, appraiser = in_review
    page = appraiser.get(f"/review/{appraisal_id}").text
    assert "Not scheduled yet." in page and 'id="meeting-section"' in page
    assert appraiser.post(f"/review/{appraisal_id}/meeting", {
        "meeting-day": "10", "meeting-month": "2", "meeting-year": "2026",
        "meeting-time": "14:30", "meeting-duration": "60",
        "meeting-place": "The boardroom"}).status_code == 303
    page = appraiser.get(f"/review/{appraisal_id}?saved=meeting").text
    assert "Saved: the appraisal meeting." in page
    assert "Tuesday 10 February 2026 at 2:30pm, for 1 hour, at The boardroom." in page
    meeting = page[page.index('id="meeting-section"'):]
    assert "Completed" in meeting[:meeting.index("</ul>")]


@pytest.mark.parametrize("target,expected", [
    ("/review/3/feedback", "/review/3/feedback"), ("//evil.example/x", None),
    ("https://evil.example/", None), ("/\\evil", None), ("review", None), ("", None)])
def test_only_same_origin_paths_are_returned_to(target: str, expected: str | None) -> None:
    assert same_origin_path(target) == expected


def test_a_page_asked_for_before_sign_in_is_where_signing_in_lands(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    assert client.get("/queue", follow_redirects=False).headers["location"] == "/sign-in"
    _request_link(client, APPRAISER)
    landed = _use_link(client, _link_token(APPRAISER))
    assert landed.headers["location"] == "/queue"


def test_a_meeting_posted_after_the_session_ended_comes_back_after_signing_in(
        app, clock, in_review) -> None:  # type: ignore[no-untyped-def]
    appraisal_id, appraiser = in_review
    page = f"/review/{appraisal_id}/meeting"
    typed = {"meeting-day": "10", "meeting-month": "2", "meeting-year": "2026",
             "meeting-time": "14:30", "meeting-duration": "90",
             "meeting-place": "The boardroom, second floor"}
    clock.now += timedelta(minutes=31)
    late = appraiser.post(page, typed)
    assert late.status_code == 303 and late.headers["location"] == "/sign-in"
    client = appraiser.client
    _request_link(client, APPRAISER)
    landed = _use_link(client, _link_token(APPRAISER))
    assert landed.status_code == 303 and landed.headers["location"] == page
    again = client.get(page)
    assert 'id="restored"' in again.text and "The boardroom, second floor" in again.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', again.text)
    assert csrf
    saved = client.post(page, data={"csrf_token": csrf.group(1), **typed},
                        follow_redirects=False)
    assert saved.status_code == 303
    with read_session() as session:
        assert session.execute(select(func.count()).select_from(ParkedForm)).scalar_one() == 0
        appraisal = session.get(Appraisal, appraisal_id)
    assert appraisal and appraisal.meeting_date is not None
    assert 'id="restored"' not in client.get(page).text
