"""What every answer of the portal shares, whatever gave it: the security headers, no caching
of private pages, a bound on the size of every request body, the portal's own page for a
failure the app did not handle, and only the portal's own host names served."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .rendering import error_page_html

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
))
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
# Pages and downloads show a person's appraisal, dashboard or exports: no browser or proxy
# keeps a copy. Only the design system's files, the same for everybody, may be cached.
NO_STORE = (b"cache-control", b"no-store")
PUBLIC_PREFIXES = ("/static/", "/assets/")
MAX_BODY_BYTES = 2 * 1024 * 1024

log = logging.getLogger("portal")


class BodyTooLarge(Exception):
    pass


async def send_page(send: Send, status: int, title: str, message: str) -> None:
    """Answer with the portal's error page (the headers are added on the way out)."""
    try:
        body = error_page_html(title, message).encode()
    except Exception:  # noqa: BLE001 - the page of last resort must not fail in turn
        log.exception("The error page could not be rendered")
        body = f"<!DOCTYPE html><title>{title}</title><h1>{title}</h1>".encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class SecurityMiddleware:
    """Adds the headers, answers 413 to a body larger than ``max_body`` bytes, and 500 with
    the portal's page (the traceback to the log) to anything the app failed to answer.

    It sits inside Starlette's ServerErrorMiddleware, so the failure page it sends carries
    the headers too. The declared Content-Length is checked first; a chunked body is
    counted as it arrives. HEAD is answered as GET is, without the body.
    """

    def __init__(self, app: ASGIApp, *, max_body: int = MAX_BODY_BYTES,
                 hsts: bool = False) -> None:
        self.app = app
        self.max_body = max_body
        self.headers = SECURITY_HEADERS + (
            ((b"strict-transport-security", b"max-age=31536000"),) if hsts else ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        head = scope["method"] == "HEAD"
        headers = self.headers + (
            () if scope["path"].startswith(PUBLIC_PREFIXES) else (NO_STORE,))

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in headers if n not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            elif message["type"] == "http.response.body" and head:
                message = {**message, "body": b""}
            await send(message)

        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await self._too_large(send_with_headers)
            return
        seen = 0

        async def bounded_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge
            return message

        inner = {**scope, "method": "GET"} if head else scope
        try:
            await self.app(inner, bounded_receive, send_with_headers)
        except BodyTooLarge:
            if not started:
                await self._too_large(send_with_headers)
        except Exception:
            log.exception("Unexpected failure answering %s %s", scope["method"], scope["path"])
            if started:  # part of an answer is out: all that is left is to end the connection
                raise
            await send_page(send_with_headers, 500, "Sorry, there is a problem with the service",
                            "Try again later. What you sent may not have been saved.")

    async def _too_large(self, send: Send) -> None:
        await send_page(send, 413, "What you sent is too large",
                        f"The most the service accepts at once is "
                        f"{self.max_body // (1024 * 1024) or 1} MB. Go back and send less.")


class ServedHosts:
    """Starlette's TrustedHostMiddleware over the portal's own host names, refusing any other
    ``Host`` with the portal's 400 page: a forged Host never reaches a page or a redirect."""

    ADMITTED = "portal.host_admitted"

    def __init__(self, app: ASGIApp, *, allowed_hosts: Sequence[str]) -> None:
        self.check = TrustedHostMiddleware(self._admitted(app), allowed_hosts=allowed_hosts,
                                           www_redirect=False)

    def _admitted(self, app: ASGIApp) -> ASGIApp:
        async def admitted(scope: Scope, receive: Receive, send: Send) -> None:
            scope[self.ADMITTED] = True
            await app(scope, receive, send)
        return admitted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.check(scope, receive, send)
            return
        refused = False

        async def send_or_refuse(message: Message) -> None:
            nonlocal refused
            if scope.get(self.ADMITTED):
                await send(message)
            elif not refused:  # the check's own plain-text answer, replaced by the page
                refused = True
                await send_page(send, 400, "There is a problem",
                                "This service is not available at the address you used.")

        await self.check(scope, receive, send_or_refuse)
