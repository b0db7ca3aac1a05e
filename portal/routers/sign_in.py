"""Sign-in by a one-time link sent by email, and sign-out.

The link carries its token in the fragment (``/sign-in/link#token``): opening it shows a
page whose script puts the token in the form (or, without JavaScript, the person pastes
the code from the email), and the form's POST uses it. No URL a server sees holds it.
"""

from __future__ import annotations

import logging
import threading
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from appraisal_store.config import settings
from appraisal_store.errors import RateLimited
from appraisal_store.services.sign_in import end_session, redeem_sign_in_token, start_session

from ..authentication import request_sign_in_link
from ..deps import (
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    Client,
    Csrf,
    Now,
    PreSessionCsrf,
    clock_of,
)
from ..parking import NEXT_COOKIE, returned_to
from ..pre_session import mint_pre_session_token
from ..rendering import FormErrors, render
from ..sign_in_mail import SignInPostman
from ..store import unit_of_work

router = APIRouter()
log = logging.getLogger("portal.sign_in")
_postman_made = threading.Lock()


def postman_of(request: Request) -> SignInPostman:
    """The app's postman, made on the first sign-in request (it runs on the app's clock)."""
    state = request.app.state
    with _postman_made:
        if getattr(state, "sign_in_postman", None) is None:
            state.sign_in_postman = SignInPostman(state.clock)
    postman: SignInPostman = state.sign_in_postman
    return postman


def with_pre_session_token(request: Request, name: str, context: dict[str, object],
                           status_code: int = 200, *, path: str = "/sign-in") -> Response:
    """A form shown before sign-in (or to a feedback respondent, ``path="/feedback"``), with
    its CSRF token in the form and in a cookie for ``path``."""
    # Minted afresh for every form: whatever cookie arrived is never echoed back.
    token = mint_pre_session_token(clock_of(request))
    request.state.pre_session_csrf = token
    response = render(request, name, context, status_code=status_code)
    response.set_cookie(PRE_SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=request.app.state.secure_cookies, path=path)
    return response


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    return with_pre_session_token(request, "sign_in/email.html", {"email": ""})


@router.post("/sign-in")
def request_link(request: Request, _: PreSessionCsrf, now: Now, client: Client,
                 email: Annotated[str, Form()] = "") -> Response:
    if "@" not in email or len(email) > 320:
        errors = FormErrors()
        errors.add("email", "Enter your email address, like name@trust.nhs.uk")
        return with_pre_session_token(request, "sign_in/email.html",
                                       {"email": email, "errors": errors}, 400)
    try:
        with unit_of_work() as session:
            letter = request_sign_in_link(session, email=email, client=client,
                                          base_url=request.app.state.base_url, now=now)
    except RateLimited as error:
        return render(request, "error.html", {"title": "Too many requests",
                                              "message": str(error)}, status_code=429)
    if letter is not None:
        postman_of(request).send(letter)  # committed: the link works when it arrives
        if request.app.state.development:
            log.warning("Sign-in link for %s (development only): %s", letter.recipient_email,
                        letter.link)
    return render(request, "sign_in/check_email.html", {"email": email.strip()})


@router.get("/sign-in/link")
def confirm_link_page(request: Request) -> Response:
    # Opening the link does not use it (mail scanners open links); the button does. The
    # token is in the fragment, which the page's script reads; a query is never read.
    return with_pre_session_token(request, "sign_in/confirm.html", {})


@router.post("/sign-in/link")
def use_link(request: Request, _: PreSessionCsrf, now: Now,
             token: Annotated[str, Form()] = "") -> Response:
    with unit_of_work() as session:
        person = redeem_sign_in_token(session=session, token=token, now=now)
        if person is None:
            secret = None
        else:
            old = request.cookies.get(SESSION_COOKIE)
            if old:
                end_session(session=session, secret=old, now=now)
            secret = start_session(session=session, person=person, now=now)
    if secret is None:
        return render(request, "sign_in/link_expired.html", status_code=400)
    response = RedirectResponse(returned_to(request), status_code=303)
    response.delete_cookie(NEXT_COOKIE, path="/sign-in")
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax",
                        secure=request.app.state.secure_cookies,
                        max_age=int(settings().session_lifetime.total_seconds()))
    response.delete_cookie(PRE_SESSION_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
def sign_out(request: Request, _: Csrf, now: Now) -> Response:
    with unit_of_work() as session:
        end_session(session=session, secret=request.cookies.get(SESSION_COOKIE, ""), now=now)
    request.state.signed_in = None
    response = render(request, "sign_in/signed_out.html")
    response.delete_cookie(SESSION_COOKIE)
    return response
