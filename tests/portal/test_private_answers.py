"""The portal's answers stay private and its own: no-store on private answers, only the
portal's own host names, downloads named from validated values only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from appraisal_store import config
from portal.app import create_app
from tests.appraisal_store.fppt_steps import year_of
from tests.conftest import Board
from tests.portal.error_page import assert_error_page

DIRECTOR, APPRAISER, CHAIR = "finance@rx1.nhs.uk", "ceo@rx1.nhs.uk", "chair@rx1.nhs.uk"
COSEC, NED = "cosec@rx1.nhs.uk", "ned1@rx1.nhs.uk"


# no-store ----------------------------------------------------------------------------------


OWN_TESTS = {"/feedback/form", "/endorsements/{appraisal_id}", "/submission-packs/{pack_id}.zip",
             "/check-ins/{check_in_id}.pdf", "/national/submissions",
             "/regional-input/{appraisal_id}",
             # The nominations committee's outcome page (tests/nhse/test_chair_outcomes.py).
             "/outcomes/{appraisal_id}",
             # The FPPT's files once made: the submission, an evidence file, a sealed
             # reference (tests/portal/test_fppt_pages.py, tests/records/test_fppt_documents.py).
             "/fppt/boards/{organisation_id}/{year_slug}/submission.{extension}",
             "/fppt/evidence/{entry_id}", "/fppt/references/{reference_id}/reference.pdf"}


def _get_paths(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Every GET route of the app, included routers' too."""
    found = []
    for route in app.routes:
        included = getattr(route, "original_router", None)  # FastAPI's included router
        prefix = route.include_context.prefix if included else ""
        for inner in included.routes if included else [route]:
            if isinstance(inner, APIRoute) and "GET" in inner.methods:
                found.append(prefix + inner.path)
    return found


def test_no_store_on_every_private_route(app, sign_in_as, sqlite_board: Board,  # type: ignore[no-untyped-def]
                                         tmp_path: Path) -> None:

    from flows.reports import write_cycle_reports

    # The close's reports, so that /reports/{report_id} names one (RX1's first, id 1).
    write_cycle_reports(year="2025/26", codes=["RX1"], today=date(2026, 4, 1),
                        folder=tmp_path, with_submission_list=False)
    clients = [sign_in_as(email, admin=email == "ned2@rx1.nhs.uk")
               for email in (DIRECTOR, APPRAISER, CHAIR, COSEC, "ned2@rx1.nhs.uk")]
    values = {"appraisal_id": sqlite_board.appraisals[DIRECTOR],
              "organisation_id": sqlite_board.organisation_id, "domain_id": "d1",
              "report_id": 1, "pack_id": 1, "check_in_id": 1, "year_slug": "2025-26",
              "extension": "csv", "fppt_year_id": year_of(sqlite_board, DIRECTOR).id,
              "entry_id": 1, "reference_id": 1}
    paths = _get_paths(app)
    assert len(paths) >= 14 and "/appraisals/{appraisal_id}/record.pdf" in paths
    for pattern in paths:
        path = pattern.format(**values)
        statuses = set()
        for client in [*clients, None]:
            response = (client.get(path) if client else
                        TestClient(app).get(path, follow_redirects=False))
            assert response.headers.get("cache-control") == "no-store", (path, response)
            statuses.add(response.status_code)
        # Some pages open only for someone none of these clients is, and their own tests
        # walk them: the feedback form for a respondent's session (tests/portal/
        # test_feedback_portal.py), an endorsement for its regional director, NHS England's
        # national view for a national administrator, a pack or a check-in once made
        # (tests/nhse/test_browser_endorsement.py, test_submission_pages.py, test_check_ins.py,
        # test_regional_input.py).
        assert (200 in statuses or path.endswith("record.pdf") or pattern in OWN_TESTS), (
            path, statuses)


def test_static_files_may_be_cached(app) -> None:  # type: ignore[no-untyped-def]
    mounts = {r.path for r in app.routes if isinstance(r, Mount)}
    assert mounts == {"/static", "/assets"}
    response = TestClient(app).get("/static/portal.css")
    assert response.status_code == 200 and "cache-control" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


# Host --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/sign-in", "/queue/", "/no-such-page"])
def test_a_forged_host_is_refused_with_the_400_page(app, path: str) -> None:  # type: ignore[no-untyped-def]
    response = TestClient(app).get(path, headers={"host": "evil.example"},
                                   follow_redirects=False)
    assert_error_page(response, 400, "There is a problem")
    assert "location" not in response.headers


def test_the_trailing_slash_redirect_stays_on_the_portal(sign_in_as) -> None:  # type: ignore[no-untyped-def]
    response = sign_in_as(CHAIR).get("/queue/")
    assert response.status_code in (307, 308)
    assert response.headers["location"] in ("http://testserver/queue", "/queue")


def test_production_serves_its_base_url_host_only(sqlite_board: Board,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPRAISAL_BASE_URL", "https://appraisal.rx1.nhs.uk")
    monkeypatch.setenv("APPRAISAL_ALLOWED_HOSTS", "board.rx1.nhs.uk")
    config.settings.cache_clear()
    app = create_app()
    for host, status in (("appraisal.rx1.nhs.uk", 200), ("board.rx1.nhs.uk", 200),
                         ("APPRAISAL.rx1.nhs.uk:443", 200), ("testserver", 400),
                         ("127.0.0.1:8000", 400), ("localhost", 400),
                         ("appraisal.rx1.nhs.uk.evil.example", 400)):
        response = TestClient(app, base_url="https://appraisal.rx1.nhs.uk").get(
            "/sign-in", headers={"host": host})
        assert response.status_code == status, host


def test_a_loopback_base_url_serves_the_loopback_names_on_any_port(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APPRAISAL_ALLOWED_HOSTS", raising=False)
    monkeypatch.setenv("APPRAISAL_BASE_URL", "http://127.0.0.1:8000")
    config.settings.cache_clear()
    assert set(config.settings().served_hosts) == {"127.0.0.1", "localhost", "::1"}
    monkeypatch.setenv("APPRAISAL_BASE_URL", "https://appraisal.rx1.nhs.uk/")
    config.settings.cache_clear()
    assert config.settings().served_hosts == ["appraisal.rx1.nhs.uk"]
    config.settings.cache_clear()


# Downloads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("year", ['2025/26"; filename="evil.exe', "2025/26\r\nSet-Cookie: a=b",
                                  "../../etc", "2025-26", "25/26"])
def test_a_crafted_year_never_names_a_download(sign_in_as, sqlite_board: Board,  # type: ignore[no-untyped-def]
                                               year: str) -> None:
    cosec = sign_in_as(COSEC)
    for export in ("dashboard.csv", "dashboard.xlsx", "dashboard"):
        response = cosec.client.get(f"/organisations/{sqlite_board.organisation_id}/{export}",
                                    params={"year": year})
        assert_error_page(response, 400, "Check the year.")
        assert "content-disposition" not in response.headers
    # Who before what: somebody who does not administer the board learns nothing more.
    assert sign_in_as(NED).client.get(
        f"/organisations/{sqlite_board.organisation_id}/dashboard.csv",
        params={"year": year}).status_code == 404


def test_downloads_are_named_from_the_year_and_code(sign_in_as, sqlite_board: Board) -> None:  # type: ignore[no-untyped-def]
    cosec = sign_in_as(COSEC)
    response = cosec.get(f"/organisations/{sqlite_board.organisation_id}/dashboard.csv"
                         "?year=2025/26")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"] == \
        'attachment; filename="appraisal-completion-RX1-2025-26.csv"'


