"""What every error page of the portal must be: its own NHS.UK page, never framework JSON."""

from __future__ import annotations

from portal.security import SECURITY_HEADERS


def assert_error_page(response, status: int, title: str | None = None, *,  # type: ignore[no-untyped-def]
                      private: bool = True) -> None:
    """The portal's NHS.UK error page with every security header, never framework JSON."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert "nhsuk-header" in response.text and "Go to your appraisal home page" in response.text
    assert '{"detail"' not in response.text and "Traceback" not in response.text
    for name, value in SECURITY_HEADERS:
        assert response.headers[name.decode()] == value.decode()
    if private:
        assert response.headers["cache-control"] == "no-store"
    if title:
        assert f"<h1 class=\"nhsuk-heading-l\">{title}</h1>" in response.text

