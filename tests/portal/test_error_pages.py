"""Every answer is the portal's own: the error page for each status, from the app and from
the framework alike, with the security headers. (No-store, host names and download names:
``test_private_answers``.)"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from appraisal_store.errors import ValidationFailed
from appraisal_store.fppt_tables import FPPTYear
from appraisal_store.models import Appraisal, AuditEvent, Objective
from appraisal_store.services import review, self_assessment
from appraisal_store.services.frameworks import framework_of
from appraisal_store.services.review_objectives import ObjectiveInput, set_objectives
from appraisal_store.sessions import read_session, write_session
from appraisal_store.vocabulary import AppraisalState
from competencies.scale import ScaleLabel
from tests.conftest import Board
from tests.portal.error_page import assert_error_page

DIRECTOR, APPRAISER, CHAIR = "finance@rx1.nhs.uk", "ceo@rx1.nhs.uk", "chair@rx1.nhs.uk"
COSEC, NED = "cosec@rx1.nhs.uk", "ned1@rx1.nhs.uk"
BEYOND = 2**63  # one more than the largest id the store can hold



def _in_review(board: Board) -> int:
    """The finance director's appraisal, answered, submitted and taken up by the appraiser."""
    appraisal_id = board.appraisals[DIRECTOR]
    with write_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal is not None
        ids = framework_of(session, appraisal.framework_version_id).statement_ids()
        self_assessment.save_self_assessment(
            session=session, actor=board.actor(DIRECTOR), appraisal_id=appraisal_id,
            ratings=dict.fromkeys(ids, ScaleLabel.FREQUENTLY))
    with write_session() as session:
        self_assessment.submit_self_assessment(session=session, actor=board.actor(DIRECTOR),
                                               appraisal_id=appraisal_id)
    with write_session() as session:
        review.begin_review(session=session, actor=board.actor(APPRAISER),
                            appraisal_id=appraisal_id)
    return appraisal_id


# 404 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/no-such-page", "/appraisals", "/static/no-such-file.css",
                                  "/assets/images/none.png"])
def test_unknown_routes_are_the_404_page(app, sign_in_as, path: str) -> None:  # type: ignore[no-untyped-def]
    for client in (TestClient(app), sign_in_as(CHAIR).client):
        response = client.get(path, follow_redirects=False)
        assert_error_page(response, 404, "Page not found",
                          private=not path.startswith(("/static/", "/assets/")))


@pytest.mark.parametrize("path", [
    f"/appraisals/{BEYOND}", f"/appraisals/{BEYOND * 4}/check",
    f"/appraisals/{BEYOND}/domains/d1", f"/appraisals/{BEYOND}/record.pdf",
    f"/review/{BEYOND}", f"/manage/appraisals/{BEYOND}",
    f"/organisations/{BEYOND}/dashboard", f"/organisations/{BEYOND}/dashboard.csv",
    f"/organisations/{BEYOND}/outcomes", "/appraisals/0", "/appraisals/-1",
    "/review/abc", "/organisations/1e3/dashboard"])
def test_ids_the_store_cannot_hold_are_404(sign_in_as, path: str) -> None:  # type: ignore[no-untyped-def]
    assert_error_page(sign_in_as(CHAIR).get(path), 404, "Page not found")


@pytest.mark.parametrize("path", [f"/review/{BEYOND}/agree", f"/review/{BEYOND}/objectives",
                                  f"/appraisals/{BEYOND}/submit",
                                  f"/appraisals/{BEYOND}/domains/d1",
                                  f"/manage/appraisals/{BEYOND}/withdraw",
                                  f"/organisations/{BEYOND}/delegation"])
def test_posts_to_ids_beyond_the_store_are_404(sign_in_as, path: str) -> None:  # type: ignore[no-untyped-def]
    assert_error_page(sign_in_as(CHAIR).post(path, {"reason": "x"}), 404)


# 405 and HEAD ------------------------------------------------------------------------------


def test_options_is_the_405_page_with_allow(app) -> None:  # type: ignore[no-untyped-def]
    response = TestClient(app).options("/sign-in")
    assert_error_page(response, 405, "This page cannot be used that way")
    assert "GET" in response.headers["allow"]
    assert TestClient(app).options("/queue").headers["allow"] == "GET"


def test_an_unsupported_method_is_the_405_page(sign_in_as, sqlite_board: Board) -> None:  # type: ignore[no-untyped-def]
    chair = sign_in_as(CHAIR)
    response = chair.client.put("/queue")
    assert_error_page(response, 405)
    assert response.headers["allow"] == "GET"
    posted = chair.post(f"/review/{sqlite_board.appraisals[DIRECTOR]}")  # a GET-only page
    assert_error_page(posted, 405)


def test_head_answers_like_get_without_the_body(app, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    got, head = client.get("/sign-in"), client.head("/sign-in")
    assert got.status_code == head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-security-policy"] == got.headers["content-security-policy"]
    chair = sign_in_as(CHAIR)
    assert chair.client.head("/queue").status_code == 200
    assert chair.client.head("/queue").content == b""
    assert chair.client.head("/no-such-page").status_code == 404


# 400 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("step", "form", "problem"), [
    ("objectives", {"objective-1-kind": "bogus", "objective-1-text": "Lead the EDI plan"},
     "choose personal, organisational or equality"),
    ("commentary/d1", {"view": "superb"}, "is not one of the answers"),
    ("fppt", {"status": "probably", "last_assessed_on-day": "1",
              "last_assessed_on-month": "6", "last_assessed_on-year": "2025"},
     "choose whether they are still fit and proper"),
    ("last-year", {"objective-1-outcome": "bogus"}, "choose one of the answers"),
])
def test_form_values_outside_an_enum_are_400_with_the_summary(  # type: ignore[no-untyped-def]
        sqlite_board: Board, sign_in_as, step: str, form: dict[str, str], problem: str) -> None:
    appraisal_id = _in_review(sqlite_board)
    response = sign_in_as(APPRAISER).post(f"/review/{appraisal_id}/{step}", form)
    assert response.status_code == 400
    assert "nhsuk-error-summary" in response.text and problem in response.text.lower()
    assert response.headers["content-security-policy"]
    with read_session() as session:
        assert session.query(Objective).count() == 0


def test_services_refuse_unknown_enum_values(sqlite_board: Board) -> None:
    appraisal_id = _in_review(sqlite_board)
    appraiser = sqlite_board.actor(APPRAISER)
    with write_session() as session, pytest.raises(ValidationFailed) as kind:
        set_objectives(session=session, actor=appraiser, appraisal_id=appraisal_id,
                       objectives=[ObjectiveInput(kind="bogus", text="x")])
    assert "objective 1: choose" in kind.value.problems[0]
    with write_session() as session, pytest.raises(ValidationFailed):
        review.confirm_fppt(session=session, actor=appraiser, appraisal_id=appraisal_id,
                            last_assessed_on=date(2025, 6, 1), status="probably")
    with write_session() as session, pytest.raises(ValidationFailed):
        review.save_review(session=session, actor=appraiser, appraisal_id=appraisal_id,
                           views={"d1": "superb"})
    other = sqlite_board.appraisals["nursing@rx1.nhs.uk"]
    with write_session() as session, pytest.raises(ValidationFailed) as rating:
        self_assessment.save_self_assessment(
            session=session, actor=sqlite_board.actor("nursing@rx1.nhs.uk"),
            appraisal_id=other, ratings={"d1.s1": "superb"})
    assert "is not one of the answers" in str(rating.value)


def test_a_missing_form_field_is_400_naming_it(app) -> None:  # type: ignore[no-untyped-def]
    from typing import Annotated

    from fastapi import Form

    def name_form(name: Annotated[str, Form()]) -> dict[str, str]:  # test-only route
        return {"name": name}

    app.add_api_route("/test-only/name", name_form, methods=["POST"])
    response = TestClient(app).post("/test-only/name", data={})
    assert_error_page(response, 400)
    assert "nhsuk-error-summary" in response.text and "“name”" in response.text


def test_an_upload_without_its_file_asks_for_it_and_only_of_administrators(  # type: ignore[no-untyped-def]
        sign_in_as) -> None:
    admin = sign_in_as("ned2@rx1.nhs.uk", admin=True)
    response = admin.post("/admin/people")
    assert response.status_code == 400
    assert "nhsuk-error-summary" in response.text and "Choose the CSV file" in response.text
    # Who may act comes before what they sent: to anyone else the page does not exist.
    assert_error_page(sign_in_as("ned1@rx1.nhs.uk").post("/admin/people"), 404)


def test_a_field_of_the_wrong_type_is_400_naming_it(app) -> None:  # type: ignore[no-untyped-def]
    from typing import Annotated

    from fastapi import Form

    def count_form(count: Annotated[int, Form()]) -> dict[str, int]:  # test-only route
        return {"count": count}

    app.add_api_route("/test-only/count", count_form, methods=["POST"])
    response = TestClient(app).post("/test-only/count", data={"count": "many"})
    assert_error_page(response, 400)
    assert "“count”" in response.text and "nhsuk-error-summary" in response.text


# 403 ---------------------------------------------------------------------------------------


def test_a_missing_csrf_token_is_the_403_page(sign_in_as, sqlite_board: Board) -> None:  # type: ignore[no-untyped-def]
    director = sign_in_as(DIRECTOR)
    response = director.client.post(
        f"/appraisals/{sqlite_board.appraisals[DIRECTOR]}/comments", data={"comments": "x"})
    assert_error_page(response, 403, "You cannot do this")


def test_agree_by_someone_who_may_not_agree_is_403_not_the_gaps(  # type: ignore[no-untyped-def]
        sqlite_board: Board, sign_in_as) -> None:
    # Today's route told the chair what the form still lacked; the chair may not agree.
    appraisal_id = _in_review(sqlite_board)
    for email in (CHAIR, COSEC, DIRECTOR):
        response = sign_in_as(email).post(f"/review/{appraisal_id}/agree")
        assert_error_page(response, 403, "You cannot do this")
        assert "objectives" not in response.text.lower()
    assert sign_in_as(NED).post(f"/review/{appraisal_id}/agree").status_code == 404
    gaps = sign_in_as(APPRAISER).post(f"/review/{appraisal_id}/agree")
    assert gaps.status_code == 400 and "set the new objectives" in gaps.text.lower()


@pytest.mark.parametrize(("step", "form"), [
    ("commentary/d1", {"view": "superb"}),
    ("feedback", {"msf_summary": "x" * 20_001}),
    ("last-year", {"objective-1-outcome": "bogus"}),
    ("objectives", {"objective-1-kind": "bogus", "objective-1-text": "x"}),
    ("fppt", {"status": "probably", "last_assessed_on-day": "yesterday"}),
    ("plan", {"action-1-need": "only a need"}),
    ("return", {"reason": ""}),
    ("meeting", {"meeting-day": "31", "meeting-month": "2", "meeting-year": "2026"}),
])
def test_who_may_act_is_checked_before_what_they_typed_on_review_forms(  # type: ignore[no-untyped-def]
        sqlite_board: Board, sign_in_as, step: str, form: dict[str, str]) -> None:
    appraisal_id = _in_review(sqlite_board)
    assert_error_page(sign_in_as(CHAIR).post(f"/review/{appraisal_id}/{step}", form), 403)
    assert sign_in_as(APPRAISER).post(f"/review/{appraisal_id}/{step}", form).status_code == 400


@pytest.mark.parametrize(("step", "form"), [
    ("fppt", {}), ("comments", {"comments": "x" * 20_001}), ("submit", {})])
def test_who_may_act_is_checked_before_what_they_typed_on_director_forms(  # type: ignore[no-untyped-def]
        sqlite_board: Board, sign_in_as, step: str, form: dict[str, str]) -> None:
    # Only the appraisee has these pages: anybody else finds no such appraisal, whatever
    # the form says (before, an empty declaration told the chair it was missing).
    appraisal_id = sqlite_board.appraisals[DIRECTOR]
    for email in (CHAIR, APPRAISER, COSEC):
        assert_error_page(sign_in_as(email).post(f"/appraisals/{appraisal_id}/{step}", form),
                          404)


# 413 ---------------------------------------------------------------------------------------


def test_a_declared_body_too_large_is_the_413_page(sign_in_as, sqlite_board: Board) -> None:  # type: ignore[no-untyped-def]
    response = sign_in_as(DIRECTOR).post(
        f"/appraisals/{sqlite_board.appraisals[DIRECTOR]}/comments",
        {"comments": "x" * (3 * 1024 * 1024)})
    assert_error_page(response, 413, "What you sent is too large")


def _own_fppt_year(board: Board) -> int:
    with read_session() as session:
        return session.execute(select(FPPTYear.id).where(
            FPPTYear.person_id == board.people[DIRECTOR])).scalar_one()


@pytest.mark.parametrize("step", ["comments", "fppt"])
def test_a_chunked_body_too_large_is_the_413_page(sign_in_as, sqlite_board: Board,  # type: ignore[no-untyped-def]
                                                  step: str) -> None:
    # No Content-Length: the body is counted as it arrives, whoever reads it (FastAPI's
    # form parameters, or the FPPT self-attestation reading the form itself).
    director = sign_in_as(DIRECTOR)
    path = (f"/appraisals/{sqlite_board.appraisals[DIRECTOR]}/comments" if step == "comments"
            else f"/fppt/assessments/{_own_fppt_year(sqlite_board)}/attest")

    def body() -> Iterator[bytes]:
        yield f"csrf_token={director.csrf}&comments=".encode()
        for _ in range(48):
            yield b"x" * 65536

    response = director.client.post(
        path, content=body(),
        headers={"content-type": "application/x-www-form-urlencoded"})
    assert_error_page(response, 413)


# 500 ---------------------------------------------------------------------------------------


def test_an_unexpected_failure_is_the_500_page_and_logged(app, sign_in_as,  # type: ignore[no-untyped-def]
                                                          caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:  # test-only route, on this app instance only
        raise RuntimeError("the secret inner workings")

    app.add_api_route("/test-only/broken", broken)
    with caplog.at_level(logging.ERROR, logger="portal"):
        response = sign_in_as(CHAIR).get("/test-only/broken?token=abc")
    assert_error_page(response, 500, "Sorry, there is a problem with the service")
    assert "secret inner workings" not in response.text
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and "the secret inner workings" in str(logged[0].exc_info[1])
    assert "/test-only/broken" in logged[0].getMessage()
    assert "token=abc" not in logged[0].getMessage()


def test_nothing_is_written_by_a_refused_form(sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    appraisal_id = _in_review(sqlite_board)
    with read_session() as session:
        before = session.query(AuditEvent).count()
    sign_in_as(CHAIR).post(f"/review/{appraisal_id}/objectives",
                           {"objective-1-kind": "edi", "objective-1-text": "x"})
    sign_in_as(APPRAISER).post(f"/review/{appraisal_id}/objectives",
                               {"objective-1-kind": "bogus", "objective-1-text": "x"})
    with read_session() as session:
        assert session.query(Objective).count() == 0
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal is not None and appraisal.state is AppraisalState.IN_REVIEW
        # The review page shown again audits one view of the content; nothing else.
        assert session.query(AuditEvent).count() == before + 1


def test_delegation_asks_who_before_what(sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    url = f"/organisations/{sqlite_board.organisation_id}/delegation"
    form = {"action": "neither", "delegate_email": "cosec@rx1.nhs.uk"}
    # A board member who is not the chair is refused whatever they sent...
    assert_error_page(sign_in_as("ned1@rx1.nhs.uk").post(url, form), 403, "You cannot do this")
    # ...and the chair is told what is wrong with the form.
    assert_error_page(sign_in_as("chair@rx1.nhs.uk").post(url, form), 400)
