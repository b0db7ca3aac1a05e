"""Every role against every route: the answer asserted for each cell.

The appraisal in question is the finance director's (appraised by the chief executive) in
organisation RX1. "ok" means the page answers (200, or 303 after a POST that was accepted or
re-rendered); the other cells are the exact status expected.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Board

ROLES = ("director", "appraiser", "chair", "cosec", "ned", "admin")
EMAILS = {"director": "finance@rx1.nhs.uk", "appraiser": "ceo@rx1.nhs.uk",
          "chair": "chair@rx1.nhs.uk", "cosec": "cosec@rx1.nhs.uk",
          "ned": "ned1@rx1.nhs.uk", "admin": "ned2@rx1.nhs.uk"}
OK = "ok"
# (method, path, {role: expected}); {a} is the appraisal, {o} the organisation.
MATRIX: list[tuple[Any, ...]] = [  # (method, path, expected by role[, form])
    ("GET", "/", dict.fromkeys(ROLES, OK)),
    ("GET", "/queue", dict.fromkeys(ROLES, OK)),
    ("GET", "/appraisals/{a}", {"director": OK, "appraiser": 404, "chair": 404, "cosec": 404,
                                "ned": 404, "admin": 404}),
    ("GET", "/appraisals/{a}/domains/d1", {"director": OK, "appraiser": 404, "chair": 404,
                                           "cosec": 404, "ned": 404, "admin": 404}),
    ("GET", "/appraisals/{a}/check", {"director": OK, "appraiser": 404, "chair": 404,
                                      "cosec": 404, "ned": 404, "admin": 404}),
    ("GET", "/appraisals/{a}/fppt", {"director": OK, "appraiser": 404, "chair": 404,
                                     "cosec": 404, "ned": 404, "admin": 404}),
    ("GET", "/appraisals/{a}/record.pdf", dict.fromkeys(ROLES, 404)),
    ("GET", "/review/{a}", {"director": 404, "appraiser": OK, "chair": OK, "cosec": 403,
                            "ned": 404, "admin": 403}),
    ("GET", "/organisations/{o}/dashboard", {"director": 404, "appraiser": 404, "chair": OK,
                                             "cosec": OK, "ned": 404, "admin": OK}),
    ("GET", "/organisations/{o}/dashboard.csv", {"director": 404, "appraiser": 404,
                                                 "chair": OK, "cosec": OK, "ned": 404,
                                                 "admin": OK}),
    ("GET", "/organisations/{o}/dashboard.xlsx", {"director": 404, "appraiser": 404,
                                                  "chair": OK, "cosec": OK, "ned": 404,
                                                  "admin": OK}),
    ("GET", "/organisations/{o}/outcomes", {"director": 404, "appraiser": 404, "chair": OK,
                                            "cosec": 404, "ned": 404, "admin": 404}),
    ("GET", "/admin", {"director": 404, "appraiser": 404, "chair": 404, "cosec": 404,
                       "ned": 404, "admin": OK}),
    ("GET", "/manage/appraisals/{a}", {"director": 404, "appraiser": 404, "chair": OK,
                                       "cosec": OK, "ned": 404, "admin": OK}),
    ("POST", "/appraisals/{a}/domains/d1", {"director": 303, "appraiser": 404, "chair": 404,
                                            "cosec": 404, "ned": 404, "admin": 404}),
    ("POST", "/appraisals/{a}/submit", {"director": 400, "appraiser": 404, "chair": 404,
                                        "cosec": 404, "ned": 404, "admin": 404}),
    # Who may act is checked before what they typed: the appraiser is told to give a reason
    # (400, nothing changes); the chair, who may read the content but is not the appraiser,
    # is refused.
    ("POST", "/review/{a}/return", {"director": 403, "appraiser": 400, "chair": 403,
                                    "cosec": 403, "ned": 404, "admin": 403}),
    ("POST", "/appraisals/{a}/sign", {"director": 409, "appraiser": 409, "chair": 403,
                                      "cosec": 403, "ned": 404, "admin": 403}),
    ("POST", "/manage/appraisals/{a}/extend", {"director": 404, "appraiser": 404, "chair": 400,
                                               "cosec": 400, "ned": 404, "admin": 400}),
    ("POST", "/admin/cycles", {"director": 404, "appraiser": 404, "chair": 404, "cosec": 404,
                               "ned": 404, "admin": 400}),
    # Only the chair grants the company secretary access to content.
    ("POST", "/organisations/{o}/delegation", {"director": 403, "appraiser": 403, "chair": 303,
                                              "cosec": 403, "ned": 403, "admin": 403},
     {"action": "grant", "delegate_email": "cosec@rx1.nhs.uk"}),
]
CELLS = [(row[0], row[1], role, row[2][role], row[3] if len(row) > 3 else {"action": "save"})
         for row in MATRIX for role in ROLES]


@pytest.mark.parametrize(("method", "path", "role", "expected", "form"), CELLS,
                         ids=[f"{m} {p} as {r}" for m, p, r, _, _ in CELLS])
def test_route_matrix(sqlite_board: Board, sign_in_as, method: str, path: str, role: str,  # type: ignore[no-untyped-def]
                      expected: object, form: dict[str, str]) -> None:
    client = sign_in_as(EMAILS[role], admin=role == "admin")
    url = path.format(a=sqlite_board.appraisals["finance@rx1.nhs.uk"],
                      o=sqlite_board.organisation_id)
    response = client.get(url) if method == "GET" else client.post(url, form)
    if expected == OK:
        assert response.status_code == 200, response.text[:300]
    else:
        assert response.status_code == expected, response.text[:300]


@pytest.mark.parametrize("path", ["/", "/queue", "/appraisals/1", "/review/1",
                                  "/organisations/1/dashboard", "/admin"])
def test_signed_out_is_sent_to_sign_in(app, path: str) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    response = TestClient(app).get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"
