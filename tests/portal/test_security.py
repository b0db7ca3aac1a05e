"""Sign-in, sessions, CSRF, headers, body size, IDOR and who may see content."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from appraisal_store.models import SignInToken
from appraisal_store.services.organisations import add_organisation
from appraisal_store.services.people import import_people
from appraisal_store.services.sign_in import MAX_REQUESTS_PER_ADDRESS
from appraisal_store.sessions import read_session, write_session
from portal.deps import PRE_SESSION_COOKIE
from tests.conftest import Board
from tests.portal.conftest import delivered_token


def _pre_session(client: TestClient, url: str = "/sign-in") -> str:
    client.get(url)
    return client.cookies.get(PRE_SESSION_COOKIE, path="/sign-in") or ""


def _request_link(client: TestClient, email: str):  # type: ignore[no-untyped-def]
    token = _pre_session(client)
    return client.post("/sign-in", data={"email": email, "csrf_token": token})


def _link_token(email: str) -> str:
    return delivered_token(email)


def _use_link(client: TestClient, token: str):  # type: ignore[no-untyped-def]
    csrf = _pre_session(client, "/sign-in/link")
    return client.post("/sign-in/link", data={"token": token, "csrf_token": csrf},
                       follow_redirects=False)


def test_sign_in_link_is_single_use_and_hashed(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    known = _request_link(client, "chair@rx1.nhs.uk")
    unknown = _request_link(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert "Check your email" in known.text and "Check your email" in unknown.text
    token = _link_token("chair@rx1.nhs.uk")
    with read_session() as session:
        stored = session.execute(select(SignInToken.token_hash)).scalars().all()
    assert token not in stored
    assert client.get("/", follow_redirects=False).status_code == 303
    first = _use_link(client, token)
    assert first.status_code == 303
    assert client.get("/").status_code == 200
    again = _use_link(TestClient(app), token)
    assert again.status_code == 400 and "cannot be used" in again.text


def test_sign_in_link_expires_after_15_minutes(app, clock) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    _request_link(client, "ceo@rx1.nhs.uk")
    token = _link_token("ceo@rx1.nhs.uk")
    clock.now += timedelta(minutes=15, seconds=1)
    assert _use_link(client, token).status_code == 400


def test_idle_session_ends_and_sign_out_ends_it(app, clock, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    chair = sign_in_as("chair@rx1.nhs.uk")
    assert chair.get("/").status_code == 200
    clock.now += timedelta(minutes=31)
    assert chair.get("/").status_code == 303
    ceo = sign_in_as("ceo@rx1.nhs.uk")
    assert ceo.post("/sign-out").status_code == 200
    ceo.client.cookies.clear()
    assert sign_in_as("ceo@rx1.nhs.uk").get("/").status_code == 200


def test_rate_limit_per_address(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    for _ in range(MAX_REQUESTS_PER_ADDRESS):
        assert _request_link(client, "nobody@example.org").status_code == 200
    assert _request_link(client, "nobody@example.org").status_code == 429


def test_csrf_missing_is_refused(sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    director = sign_in_as("finance@rx1.nhs.uk")
    appraisal_id = sqlite_board.appraisals["finance@rx1.nhs.uk"]
    response = director.client.post(f"/appraisals/{appraisal_id}/comments",
                                     data={"comments": "Agreed"}, follow_redirects=False)
    assert response.status_code == 403
    wrong = director.client.post(f"/appraisals/{appraisal_id}/comments",
                                 data={"comments": "Agreed", "csrf_token": "forged"})
    assert wrong.status_code == 403
    assert TestClient(director.client.app).post(
        "/sign-in", data={"email": "chair@rx1.nhs.uk"}).status_code == 403


def test_headers_on_every_page(app) -> None:  # type: ignore[no-untyped-def]
    response = TestClient(app).get("/sign-in")
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in response.text


def test_body_size_is_bounded(sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    director = sign_in_as("finance@rx1.nhs.uk")
    appraisal_id = sqlite_board.appraisals["finance@rx1.nhs.uk"]
    response = director.post(f"/appraisals/{appraisal_id}/comments",
                             {"comments": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_director_changing_the_id_gets_404(sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    director = sign_in_as("finance@rx1.nhs.uk")
    other = sqlite_board.appraisals["nursing@rx1.nhs.uk"]
    for url in (f"/appraisals/{other}", f"/appraisals/{other}/check",
                f"/appraisals/{other}/domains/d1", f"/review/{other}",
                f"/appraisals/{other}/record.pdf", f"/manage/appraisals/{other}"):
        assert director.get(url).status_code == 404, url
    assert director.post(f"/appraisals/{other}/submit").status_code == 404
    assert director.post(f"/appraisals/{other}/domains/d1",
                         {"reflection": "mine now", "action": "save"}).status_code == 404


def test_company_secretary_sees_status_not_content(sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    cosec = sign_in_as("cosec@rx1.nhs.uk")
    appraisal_id = sqlite_board.appraisals["finance@rx1.nhs.uk"]
    assert cosec.get(f"/organisations/{sqlite_board.organisation_id}/dashboard").status_code == 200
    assert cosec.get(f"/review/{appraisal_id}").status_code == 403
    assert cosec.get(f"/appraisals/{appraisal_id}").status_code == 404
    assert cosec.get(f"/appraisals/{appraisal_id}/domains/d1").status_code == 404


def test_other_organisation_is_denied(sqlite_board: Board, operator, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    with write_session() as session:
        other = add_organisation(session=session, actor=operator, code="RY2",
                                 name="Hillside NHS Trust", org_type="nhs-trust")
        import_people(session=session, actor=operator, csv_text=(
            "org_code,name,email,role,start_date,end_date,interim\n"
            "RY2,Other Chair,chair@ry2.nhs.uk,chair,2021-04-01,,no\n"
            "RY2,Other Sec,cosec@ry2.nhs.uk,company-secretary,2021-04-01,,no\n"))
    outsider = sign_in_as("cosec@ry2.nhs.uk")
    chair = sign_in_as("chair@ry2.nhs.uk")
    rx1 = sqlite_board.organisation_id
    appraisal_id = sqlite_board.appraisals["finance@rx1.nhs.uk"]
    for client in (outsider, chair):
        assert client.get(f"/organisations/{rx1}/dashboard").status_code == 404
        assert client.get(f"/organisations/{rx1}/dashboard.csv").status_code == 404
        assert client.get(f"/organisations/{rx1}/outcomes").status_code == 404
        assert client.get(f"/review/{appraisal_id}").status_code == 404
        assert client.post(f"/manage/appraisals/{appraisal_id}/withdraw",
                           {"reason": "no"}).status_code == 404
    assert outsider.get(f"/organisations/{other.id}/dashboard").status_code == 200


def test_typed_text_is_escaped(sqlite_board: Board, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    director = sign_in_as("finance@rx1.nhs.uk")
    appraisal_id = sqlite_board.appraisals["finance@rx1.nhs.uk"]
    script = '<script>alert("x")</script>'
    assert director.post(f"/appraisals/{appraisal_id}/domains/d1",
                         {"reflection": script, "action": "save"}).status_code == 303
    page = director.get(f"/appraisals/{appraisal_id}/domains/d1").text
    assert script not in page and "&lt;script&gt;" in page
