"""The portal: FastAPI serving NHS.UK-styled pages for every role in the appraisal."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from appraisal_store.clock import utcnow
from appraisal_store.config import settings
from appraisal_store.environment import EnvironmentFailure, environment_failure
from appraisal_store.errors import (
    AppraisalError,
    InvalidTransition,
    NotAllowed,
    NotFound,
    ValidationFailed,
)
from appraisal_store.logs import configure_logging

from . import follow_ups
from .deps import SignInRequired, app_now
from .metrics import Observability
from .parking import send_to_sign_in
from .rendering import FormErrors, pages, render
from .routers import (
    admin,
    chair_outcomes,
    check_ins,
    director,
    endorsement,
    feedback_respondent,
    feedback_rounds,
    fppt,
    fppt_appointment,
    fppt_assessments,
    fppt_references,
    home,
    keep_alive,
    regional_input,
    reports,
    review,
    review_tasks,
    secretary,
    sign_in,
    submissions,
)
from .security import MAX_BODY_BYTES, BodyTooLarge, SecurityMiddleware, ServedHosts

STATIC_DIR = Path(__file__).parent / "static"
# A page is CPU work under one GIL: more threads than it needs do not answer more pages a
# second, they only make each page wait longer for the GIL, let reads overtake the writes
# queued for the store, and stretch the write lock each writer holds. Two let one page wait
# for the store (SQLite's write turn, or a round trip to PostgreSQL) while another runs.
# Four were no better on PostgreSQL either (bench/FINDINGS.md). Starlette's default is 40.
PAGE_THREADS = 2


log = logging.getLogger("portal")


# The title and message of each status the framework may answer by itself.
STATUS_PAGES = {
    400: ("There is a problem", "Go back and try again."),
    403: ("You cannot do this", ""),
    404: ("Page not found", "If you typed the web address, check it is correct. If you "
                            "pasted the web address, check you copied the entire address."),
    405: ("This page cannot be used that way", "Go back and use the page's own links and "
                                               "buttons."),
    409: ("This cannot be done now", ""),
    413: ("What you sent is too large", "Go back and send less."),
    429: ("Too many requests", "Wait a few minutes and try again."),
}


def _error_page(request: Request, status: int, title: str, message: str, *,
                errors: FormErrors | None = None,
                headers: Mapping[str, str] | None = None) -> Response:
    response = render(request, "error.html", {"title": title, "message": message,
                                              "errors": errors or FormErrors()},
                      status_code=status)
    response.headers.update(headers or {})
    return response


def _unavailable(request: Request, failure: EnvironmentFailure) -> Response:
    log.error("The service is unavailable: %s", failure.message)
    return _error_page(request, 503, "The service is unavailable",
                       f"The service is unavailable: {failure.message}",
                       headers={"Retry-After": "60"})


def _field_problem(error: Mapping[str, Any]) -> str:
    """One problem of a request the framework refused, naming the field in the person's words."""
    name = str(error["loc"][-1]).replace("_", " ") if error.get("loc") else "the form"
    if error.get("type") == "missing":
        return f"The form was sent without “{name}”: go back and fill it in"
    return f"Check “{name}”: {str(error.get('msg', 'it is not valid')).lower()}"


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, _: SignInRequired) -> Response:
        return await send_to_sign_in(request)

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
        errors = FormErrors(title=error.summary)
        for problem in error.problems or [error.summary]:
            errors.add("", problem[:1].upper() + problem[1:])
        return _error_page(request, 400, error.summary, "Go back and try again.",
                           errors=errors)

    # The machine around us failed (the database server, a full disk, the seal): the
    # one sentence that names it and what to do, as 503, the same for every page.
    @app.exception_handler(EnvironmentFailure)
    async def service_unavailable(request: Request, error: EnvironmentFailure) -> Response:
        return _unavailable(request, error)

    @app.exception_handler(SQLAlchemyError)
    @app.exception_handler(OSError)
    async def environment_error(request: Request, error: Exception) -> Response:
        failure = environment_failure(error, database_url=settings().database)
        if failure is None:
            raise error  # not the machine's: the page of last resort answers it
        return _unavailable(request, failure)

    @app.exception_handler(AppraisalError)
    async def appraisal_error(request: Request, error: AppraisalError) -> Response:
        return _error_page(request, 400, "There is a problem", error.message)

    @app.exception_handler(RequestValidationError)
    async def request_refused(request: Request, error: RequestValidationError) -> Response:
        # An id in the address that cannot be (a word, a zero, beyond the store's range)
        # names no page; anything else is the form's problem, named in the summary.
        if any(e.get("loc", ("",))[0] == "path" for e in error.errors()):
            return _error_page(request, 404, *STATUS_PAGES[404])
        errors = FormErrors(title="There is a problem with what you sent")
        for problem in dict.fromkeys(_field_problem(e) for e in error.errors()):
            errors.add("", problem)
        return _error_page(request, 400, errors.title, "Go back and try again.",
                           errors=errors)

    # Starlette's own (routing's 404 and 405, the static files' 404), FastAPI's and ours.
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        status = error.status_code
        if isinstance(error.__cause__, BodyTooLarge):  # FastAPI's form parsing wraps it
            status = 413
        title, message = STATUS_PAGES.get(status, STATUS_PAGES[400])
        detail = error.detail if isinstance(error.detail, str) else ""
        if status == error.status_code and detail and detail != HTTPStatus(status).phrase:
            message = detail
        return _error_page(request, status, title, message, headers=error.headers)


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
    configure_logging()  # after uvicorn's own set-up, in each worker process
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
                   review_tasks.router, keep_alive.router,
                   secretary.router, admin.router, reports.router,
                   feedback_respondent.router, feedback_rounds.router, fppt.router,
                   fppt_assessments.router, fppt_appointment.router,
                   fppt_references.router):
        app.include_router(router)
    app.include_router(endorsement.router)
    app.include_router(submissions.router)
    app.include_router(check_ins.router)
    app.include_router(regional_input.router)
    app.include_router(chair_outcomes.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    # The compiled CSS refers to its images at /assets/images/...
    app.mount("/assets", StaticFiles(directory=STATIC_DIR / "nhsuk" / "assets", check_dir=False),
              name="nhsuk-assets")
    # The last added is the outermost: the host check's refusal gets the headers too.
    app.add_middleware(ServedHosts, allowed_hosts=config.served_hosts)
    app.add_middleware(SecurityMiddleware, max_body=max_body,
                       hsts=app.state.secure_cookies)
    # Outermost: every answer gets its request id and is counted, and the probes and
    # /metrics answer before the host check (see portal.metrics).
    app.add_middleware(Observability, config=config, clock=lambda: app_now(app))
    return app
