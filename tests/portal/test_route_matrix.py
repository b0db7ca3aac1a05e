"""Every role against every route: the answer asserted for each cell.

The appraisal in question is the finance director's (appraised by the chief executive) in
organisation RX1. "ok" means the page answers 200; the other cells are the exact status
expected (303 after a POST that was accepted). "admin" holds a grant to administer RX1;
"other" is the company secretary of a second organisation, RX2 (administering it by her
appointment); "national" is a national administrator, who sees every organisation's
status and no content, and changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Board
from tests.second_board import NATIONAL, seed_second_board

ROLES = ("director", "appraiser", "chair", "cosec", "ned", "admin", "other", "national")
EMAILS = {"director": "finance@rx1.nhs.uk", "appraiser": "ceo@rx1.nhs.uk",
          "chair": "chair@rx1.nhs.uk", "cosec": "cosec@rx1.nhs.uk",
          "ned": "ned1@rx1.nhs.uk", "admin": "ned2@rx1.nhs.uk",
          "other": "cosec@rx2.nhs.uk", "national": NATIONAL}
OK = "ok"
REASSIGN_TO_COSEC = {"appraiser_email": "cosec@rx1.nhs.uk", "reason": "Conflict of interest"}
OPEN_RX1 = {"year": "2025/26", "organisation_code": "RX1"}
NEW_ORG = {"code": "RX9", "name": "Newtown Hospitals NHS Trust", "org_type": "nhs-trust"}
# (method, path, {role: expected}); {a} is the appraisal, {o} the organisation.
MATRIX: list[tuple[Any, ...]] = [  # (method, path, expected by role[, form])
    ("GET", "/", dict.fromkeys(ROLES, OK)),
    ("GET", "/queue", dict.fromkeys(ROLES, OK)),
    ("GET", "/appraisals/{a}", {"director": OK, "appraiser": 404, "chair": 404, "cosec": 404,
                                "ned": 404, "admin": 404, "other": 404, "national": 404}),
    ("GET", "/appraisals/{a}/domains/d1", {"director": OK, "appraiser": 404, "chair": 404,
                                           "cosec": 404, "ned": 404, "admin": 404,
                                           "other": 404, "national": 404}),
    ("GET", "/appraisals/{a}/check", {"director": OK, "appraiser": 404, "chair": 404,
                                      "cosec": 404, "ned": 404, "admin": 404, "other": 404,
                                      "national": 404}),
    ("GET", "/appraisals/{a}/record.pdf", dict.fromkeys(ROLES, 404)),
    ("GET", "/review/{a}", {"director": 404, "appraiser": OK, "chair": OK, "cosec": 403,
                            "ned": 404, "admin": 403, "other": 404, "national": 404}),
    ("GET", "/organisations/{o}/dashboard", {"director": 404, "appraiser": 404, "chair": OK,
                                             "cosec": OK, "ned": 404, "admin": OK,
                                             "other": 404, "national": OK}),
    ("GET", "/organisations/{o}/dashboard.csv", {"director": 404, "appraiser": 404,
                                                 "chair": OK, "cosec": OK, "ned": 404,
                                                 "admin": OK, "other": 404, "national": OK}),
    ("GET", "/organisations/{o}/dashboard.xlsx", {"director": 404, "appraiser": 404,
                                                  "chair": OK, "cosec": OK, "ned": 404,
                                                  "admin": OK, "other": 404, "national": OK}),
    # The second organisation's dashboard: RX1's people, its administrator among them, do
    # not see it.
    ("GET", "/organisations/{o2}/dashboard", {"director": 404, "appraiser": 404, "chair": 404,
                                              "cosec": 404, "ned": 404, "admin": 404,
                                              "other": OK, "national": OK}),
    ("GET", "/organisations/{o}/outcomes", {"director": 404, "appraiser": 404, "chair": OK,
                                            "cosec": 404, "ned": 404, "admin": 404,
                                            "other": 404, "national": 404}),
    # The chair and the company secretary administer their own organisation.
    ("GET", "/admin", {"director": 404, "appraiser": 404, "chair": OK, "cosec": OK,
                       "ned": 404, "admin": OK, "other": OK, "national": OK}),
    ("GET", "/manage/appraisals/{a}", {"director": 404, "appraiser": 404, "chair": OK,
                                       "cosec": OK, "ned": 404, "admin": OK, "other": 404,
                                       "national": 404}),
    ("POST", "/appraisals/{a}/domains/d1", {"director": 303, "appraiser": 404, "chair": 404,
                                            "cosec": 404, "ned": 404, "admin": 404,
                                            "other": 404, "national": 404}),
    ("POST", "/appraisals/{a}/submit", {"director": 400, "appraiser": 404, "chair": 404,
                                        "cosec": 404, "ned": 404, "admin": 404, "other": 404,
                                        "national": 404}),
    # Who may act is checked before what they typed: the appraiser is told to give a reason
    # (400, nothing changes); the chair, who may read the content but is not the appraiser,
    # is refused.
    ("POST", "/review/{a}/return", {"director": 403, "appraiser": 400, "chair": 403,
                                    "cosec": 403, "ned": 404, "admin": 403, "other": 404,
                                    "national": 404}),
    ("POST", "/appraisals/{a}/sign", {"director": 409, "appraiser": 409, "chair": 403,
                                      "cosec": 403, "ned": 404, "admin": 403, "other": 404,
                                      "national": 404}),
    ("POST", "/manage/appraisals/{a}/extend", {"director": 404, "appraiser": 404, "chair": 400,
                                               "cosec": 400, "ned": 404, "admin": 400,
                                               "other": 404, "national": 404}),
    # Nobody can hand the appraisal to the company secretary (400: refused, nothing written).
    ("POST", "/manage/appraisals/{a}/reassign", {"director": 404, "appraiser": 404,
                                                 "chair": 400, "cosec": 400, "ned": 404,
                                                 "admin": 400, "other": 404, "national": 404},
     REASSIGN_TO_COSEC),
    # An empty form: administrators are told what is missing, the national administrator,
    # who opens no cycle, is refused before that.
    ("POST", "/admin/cycles", {"director": 404, "appraiser": 404, "chair": 400, "cosec": 400,
                               "ned": 404, "admin": 400, "other": 400, "national": 403}),
    # RX1's cycle opened again (nothing new is created): by RX1's administrators only.
    ("POST", "/admin/cycles", {"director": 404, "appraiser": 404, "chair": 303, "cosec": 303,
                               "ned": 404, "admin": 303, "other": 403, "national": 403},
     OPEN_RX1),
    # Organisations are added by national administrators (and the operator).
    ("POST", "/admin/organisations", {"director": 404, "appraiser": 404, "chair": 403,
                                      "cosec": 403, "ned": 404, "admin": 403, "other": 403,
                                      "national": 303}, NEW_ORG),
    # Only the chair grants the company secretary access to content; to someone with no
    # standing at RX1 the organisation does not exist.
    ("POST", "/organisations/{o}/delegation", {"director": 403, "appraiser": 403, "chair": 303,
                                              "cosec": 403, "ned": 403, "admin": 403,
                                              "other": 404, "national": 403},
     {"action": "grant", "delegate_email": "cosec@rx1.nhs.uk"}),
]
CELLS = [(row[0], row[1], role, row[2][role], row[3] if len(row) > 3 else {"action": "save"})
         for row in MATRIX for role in ROLES]
IDS = [f"{m} {p}{' ' + ','.join(f) if f != {'action': 'save'} else ''} as {r}"
       for m, p, r, _, f in CELLS]


def test_every_cell_is_asserted() -> None:
    assert all(set(row[2]) == set(ROLES) for row in MATRIX)
    assert len(set(IDS)) == len(IDS)


@pytest.fixture(name="second_board")
def second_board_fixture(sqlite_board: Board) -> int:
    """RX2 with a board of its own, and a national administrator on no board."""
    return seed_second_board()


@pytest.mark.parametrize(("method", "path", "role", "expected", "form"), CELLS, ids=IDS)
def test_route_matrix(sqlite_board: Board, second_board: int, sign_in_as, method: str,  # type: ignore[no-untyped-def]
                      path: str, role: str, expected: object, form: dict[str, str]) -> None:
    client = sign_in_as(EMAILS[role], admin=role == "admin", national=role == "national")
    url = path.format(a=sqlite_board.appraisals["finance@rx1.nhs.uk"],
                      o=sqlite_board.organisation_id, o2=second_board)
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
