"""Sending a person to sign in without losing what they typed, and bringing them back.

When a page needs a session and there is none (it ended, or the idle timeout passed), the
person is sent to sign in and the page they asked for is remembered in a cookie scoped to
the sign-in pages, so that signing in returns them to it (same-origin paths only). A form
posted to one of the review's or the self-assessment's pages is parked first
(``appraisal_store.services.parked_forms``): only when the post carries the CSRF token of
the session that ended, so it is tied to that session's person and no other site can park
text for them. The page shows it again, filled in, once they are back.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from appraisal_store.errors import ValidationFailed
from appraisal_store.services.parked_forms import park_form

from .authentication import find_session
from .deps import CSRF_FIELD, SESSION_COOKIE, request_store

NEXT_COOKIE = "appraisal_next"
# The pages whose form is its own page's address: a parked post comes back to that page.
PARKABLE = re.compile(
    r"^/review/\d+/(commentary/[A-Za-z0-9_.-]+|feedback|last-year|objectives|plan|fppt"
    r"|meeting)$"
    r"|^/appraisals/\d+/(domains/[A-Za-z0-9_.-]+|comments)$")


def same_origin_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site (``/x?y``), else None: never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return None
    return target[:500]


def _referring_path(request: Request) -> str | None:
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    host = request.headers.get("host", "")
    if not referer or parts.netloc != host:
        return None
    return same_origin_path(parts.path + (f"?{parts.query}" if parts.query else ""))


def _park(request: Request, fields: dict[str, str], token: str) -> bool:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret or not token:
        return False
    with request_store(request).read() as session:
        found = find_session(session, secret=secret)
    if found is None or not hmac.compare_digest(token, found.signed_in.csrf_token):
        return False
    try:
        with request_store(request).unit_of_work() as session:
            park_form(session=session, person_id=found.signed_in.person.id,
                      path=request.url.path, fields=fields, now=request_store(request).now)
    except ValidationFailed:
        return False
    return True


async def send_to_sign_in(request: Request) -> Response:
    """The redirect to the sign-in page, remembering the page (and parking a typed form)."""
    path = request.url.path
    if request.method == "GET":
        back = same_origin_path(path + (f"?{request.url.query}" if request.url.query else ""))
    elif PARKABLE.match(path):
        form = await request.form()
        fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        token = fields.pop(CSRF_FIELD, "")
        parked = await run_in_threadpool(_park, request, fields, token)
        back = path if parked else _referring_path(request)
    else:
        back = _referring_path(request)
    response = RedirectResponse("/sign-in", status_code=303)
    if back and not back.startswith("/sign-in"):
        response.set_cookie(NEXT_COOKIE, back, httponly=True, samesite="lax",
                            secure=request.app.state.secure_cookies, path="/sign-in",
                            max_age=24 * 3600)
    return response


def returned_to(request: Request) -> str:
    """Where signing in leads: the remembered page, or Home."""
    return same_origin_path(request.cookies.get(NEXT_COOKIE)) or "/"
