"""Typed dependencies: who is signed in, and the CSRF check of every state-changing request."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request

from appraisal_store.clock import utcnow
from appraisal_store.config import settings
from appraisal_store.logs import note_person
from appraisal_store.services.sign_in import end_lapsed_session, touch_session

from .authentication import IDLE_TIMEOUT, SignedIn, find_session
from .client_address import client_address
from .pre_session import minted_here
from .store import RequestStore

SESSION_COOKIE = "appraisal_session"
PRE_SESSION_COOKIE = "appraisal_pre_session"
CSRF_FIELD = "csrf_token"


class SignInRequired(Exception):
    """No live session: the person is sent to the sign-in page."""


def clock_of(request: Request) -> datetime:
    """Now, from the app's clock (``create_app(clock=...)``; tests move it, nothing ever
    sleeps). An override of this dependency (``app.dependency_overrides[clock_of]``) is
    what the request's code that reads the clock directly sees as well."""
    return app_now(request.app)


def app_now(app: FastAPI) -> datetime:
    """Now, by ``app``'s clock or its override of :func:`clock_of` (for the code that runs
    outside a route's dependencies: the middleware answering ``/metrics``)."""
    override = app.dependency_overrides.get(clock_of)
    if override is not None:
        overridden: datetime = override()
        return overridden
    clock: Callable[[], datetime] = getattr(app.state, "clock", utcnow)
    return clock()


def today_of(request: Request) -> date:
    """Today, from the app's clock, in the machine's own time zone (as ``date.today()``)."""
    return clock_of(request).astimezone().date()


def store_of(request: Request, now: Annotated[datetime, Depends(clock_of)]) -> RequestStore:
    """The store as this request sees it: sessions acting at the request's moment. Kept on
    the request too, for the route's helpers (:func:`request_store`)."""
    store = request.state.store = RequestStore(now)
    return store


def request_store(request: Request) -> RequestStore:
    """The request's store for a route's helper: the one its dependencies resolved (every
    signed-in route's, through ``current_person``), or one at the request's clock."""
    found = getattr(request.state, "store", None)
    return found if isinstance(found, RequestStore) else RequestStore(clock_of(request))


def current_person(request: Request, store: Annotated[RequestStore, Depends(store_of)]
                   ) -> SignedIn:
    """The person behind the session cookie, or SignInRequired.

    A read, not a write: last_seen_at moves at most once a minute, and a session idle too
    long or past its lifetime (``APPRAISAL_SESSION_LIFETIME_HOURS``) is ended when it is
    next presented, each in a short write of its own.
    """
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise SignInRequired
    with store.read() as session:
        found = find_session(session, secret=secret)
    if found is None or found.ended_at is not None:
        raise SignInRequired
    now = store.now
    session_id = found.signed_in.session_id
    if found.lapsed(now, settings().session_lifetime):
        with store.unit_of_work() as session:
            end_lapsed_session(session=session, session_id=session_id, now=now)
        raise SignInRequired
    seen = found.last_seen_at
    if found.due_touch(now):
        with store.unit_of_work() as session:
            touch_session(session=session, session_id=session_id, now=now)
        seen = now
    request.state.signed_in = found.signed_in
    # When the session will end if nothing else happens (the timeout warning shows it): idle,
    # or at the end of its lifetime, which staying signed in does not move.
    request.state.session_lifetime_ends_at = found.created_at + settings().session_lifetime
    request.state.session_ends_at = min(seen + IDLE_TIMEOUT,
                                        request.state.session_lifetime_ends_at)
    note_person(found.signed_in.person.id)  # their id on the request's log lines
    return found.signed_in


async def form_token(request: Request) -> str:
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


async def checked_csrf(request: Request,
                       signed_in: Annotated[SignedIn, Depends(current_person)]) -> SignedIn:
    """The signed-in person, once the form's CSRF token matches their session's."""
    token = await form_token(request)
    if not token or not hmac.compare_digest(token, signed_in.csrf_token):
        raise HTTPException(status_code=403, detail="The form had expired. Go back and try again.")
    return signed_in


async def checked_pre_session_csrf(request: Request,
                                   now: Annotated[datetime, Depends(clock_of)]) -> None:
    """The check of the forms shown before sign-in: cookie and field match, and the token
    is one this portal minted recently (``portal.pre_session``)."""
    cookie = request.cookies.get(PRE_SESSION_COOKIE, "")
    token = await form_token(request)
    if (not cookie or not token or not hmac.compare_digest(cookie, token)
            or not minted_here(token, now)):
        raise HTTPException(status_code=403, detail="The form had expired. Go back and try again.")


def client_of(request: Request) -> str:
    """The client's address, read through the trusted proxies (``APPRAISAL_TRUSTED_PROXIES``)."""
    return client_address(request.client.host if request.client else None,
                          request.headers.getlist("x-forwarded-for"),
                          settings().trusted_proxy_networks)


CurrentPerson = Annotated[SignedIn, Depends(current_person)]
Csrf = Annotated[SignedIn, Depends(checked_csrf)]
PreSessionCsrf = Annotated[None, Depends(checked_pre_session_csrf)]
Now = Annotated[datetime, Depends(clock_of)]
Today = Annotated[date, Depends(today_of)]
Client = Annotated[str, Depends(client_of)]
# The portal's sessions on the store for one request (short ones, opened as the page needs
# them), acting at the request's moment: every router takes them from here.
SessionDep = Annotated[RequestStore, Depends(store_of)]
