"""The portal: FastAPI serving NHS.UK-styled pages for every role in the appraisal."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from appraisal_store.config import settings
from appraisal_store.errors import (
    AppraisalError,
    InvalidTransition,
    NotAllowed,
    NotFound,
    ValidationFailed,
)
from appraisal_store.sql_types import utcnow

from . import follow_ups
from .deps import SignInRequired
from .rendering import pages, render
from .routers import admin, director, home, review, secretary, sign_in
from .security import MAX_BODY_BYTES, SecurityMiddleware

STATIC_DIR = Path(__file__).parent / "static"
# A page is CPU work under one GIL: more threads than it needs do not answer more pages a
# second, they only make each page wait longer for the GIL, let reads overtake the writes
# queued for the store, and stretch the write lock each writer holds. Two let one page wait
# for the store (SQLite's write turn, or a round trip to PostgreSQL) while another runs.
# On PostgreSQL four were tried: in four A/B pairs of the benchmark's load they answered no
# more pages a second than two, and the p95 was 10 to 40% higher. (Starlette's default
# is 40.)
PAGE_THREADS = 2


log = logging.getLogger("portal")


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", {"title": title, "message": message},
                  status_code=status)


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, _: SignInRequired) -> Response:
        return RedirectResponse("/sign-in", status_code=303)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> Response:
        return _error_page(request, 404, "Page not found", error.message)

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, error: NotAllowed) -> Response:
        return _error_page(request, 403, "You cannot do this", error.message)

    @app.exception_handler(InvalidTransition)
    async def invalid_transition(request: Request, error: InvalidTransition) -> Response:
        return _error_page(request, 409, "This cannot be done now", error.message)

    @app.exception_handler(ValidationFailed)
    async def validation_failed(request: Request, error: ValidationFailed) -> Response:
        return _error_page(request, 400, error.summary, "; ".join(error.problems))

    @app.exception_handler(AppraisalError)
    async def appraisal_error(request: Request, error: AppraisalError) -> Response:
        return _error_page(request, 400, "There is a problem", error.message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        titles = {403: "You cannot do this", 404: "Page not found",
                  405: "Page not found", 429: "Too many requests"}
        detail = error.detail if isinstance(error.detail, str) else ""
        return _error_page(request, error.status_code,
                           titles.get(error.status_code, "There is a problem"), detail)


def _limit_page_threads(threads: int) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    return lifespan


def create_app(*, clock: Callable[[], datetime] = utcnow,
               max_body: int = MAX_BODY_BYTES, page_threads: int | None = None) -> FastAPI:
    """The portal application.

    Args:
        clock: Gives the current time (UTC, aware): sign-in expiry and idle sessions use it,
            so tests move time instead of sleeping.
        max_body: The largest request body accepted, in bytes.
        page_threads: Pages (synchronous handlers) run at once in one process; the others
            wait their turn, first come first served. By default ``PAGE_THREADS``.
    """
    config = settings()
    app = FastAPI(title="Board appraisal", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=_limit_page_threads(page_threads or PAGE_THREADS))
    app.state.clock = clock
    app.state.base_url = config.base_url
    app.state.secure_cookies = config.base_url.startswith("https://")
    app.state.development = config.is_development
    # Outside development the templates are compiled once; checking each file's time on
    # every page would cost a stat per template (and per imported macro file) per request.
    pages.env.auto_reload = config.is_development
    _install_error_pages(app)
    follow_ups.install()
    for router in (sign_in.router, home.router, director.router, review.router,
                   secretary.router, admin.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    # The compiled CSS refers to its images at /assets/images/...
    app.mount("/assets", StaticFiles(directory=STATIC_DIR / "nhsuk" / "assets", check_dir=False),
              name="nhsuk-assets")
    app.add_middleware(SecurityMiddleware, max_body=max_body,
                       hsts=app.state.secure_cookies)
    return app
