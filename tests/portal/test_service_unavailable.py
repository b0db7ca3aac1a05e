"""When the machine around the portal fails, every page is the portal's 503 that names
what failed and what to do: never a 500 or a traceback."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from appraisal_store import config, engines
from tests.portal.conftest import SignedInClient
from tests.portal.error_page import assert_error_page

DIRECTOR = "finance@rx1.nhs.uk"


def test_an_unreachable_database_is_a_503_naming_the_server(
        sign_in_as: Callable[[str], SignedInClient], monkeypatch: pytest.MonkeyPatch) -> None:
    client = sign_in_as(DIRECTOR)
    assert client.get("/").status_code == 200
    monkeypatch.setenv("APPRAISAL_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/x")
    config.settings.cache_clear()
    engines.reset_engines()
    response = client.get("/")
    assert_error_page(response, 503, "The service is unavailable")
    assert "The service is unavailable: the database &#39;x&#39; on the PostgreSQL server " \
           "at 127.0.0.1:1 does not answer" in response.text
    assert response.headers["retry-after"] == "60"

