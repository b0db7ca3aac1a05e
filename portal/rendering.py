"""Rendering pages: the pages' Jinja2 environment (``templates.environments``) with our
filters and globals, and form errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment
from markupsafe import Markup

from appraisal_store.date_words import long_date
from templates.environments import pages_environment

from .deps import clock_of

# The NHS.UK tag colour of each appraisal state (the ``state_tag`` macro).
STATE_COLOURS = {
    "complete": "green", "submitted_to_nhse": "green", "agreed": "blue",
    "signed_by_appraisee": "blue", "submitted": "purple", "in_review": "purple",
    "returned": "orange", "in_preparation": "yellow", "not_started": "grey",
    "withdrawn": "grey", "deferred": "grey",
}


def _environment() -> Environment:
    environment = pages_environment()
    environment.filters["uk_date"] = uk_date
    environment.filters["uk_time"] = uk_time
    environment.globals["state_colours"] = STATE_COLOURS
    environment.globals["rendered_once"] = _rendered_once(environment)
    return environment


def _rendered_once(environment: Environment) -> Callable[[str], Markup]:
    """``rendered_once(name)``: a template that needs no context (the NHS.UK header), rendered
    once per process; again on every use while templates reload (development)."""
    done: dict[str, Markup] = {}

    def rendered_once(name: str) -> Markup:
        if environment.auto_reload or name not in done:
            done[name] = Markup(environment.get_template(name).render())
        return done[name]

    return rendered_once


def uk_date(value: Any) -> str:
    """1 April 2026 (the NHS style), or an empty string."""
    return "" if value is None else long_date(value)


UK = ZoneInfo("Europe/London")


def uk_time(value: datetime | None) -> str:
    """10:42am or 3pm, in UK time (the NHS style), or an empty string."""
    if value is None:
        return ""
    local = value.astimezone(UK)
    hour, suffix = local.hour % 12 or 12, "am" if local.hour < 12 else "pm"
    return f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local:%M}{suffix}"


pages = Jinja2Templates(env=_environment())


@dataclass
class FormErrors:
    """Errors of one form: each tied to a field id, shown in the summary and beside the field."""

    items: list[tuple[str, str]] = field(default_factory=list)
    title: str = "There is a problem"

    def add(self, field_id: str, message: str) -> None:
        self.items.append((field_id, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def get(self, field_id: str) -> str | None:
        messages = [m for f, m in self.items if f == field_id]
        return " ".join(messages) if messages else None

    def summary_list(self) -> list[dict[str, str]]:
        # A field id that is a path (``/appraisals/1/domains/d2``) links to that page; a
        # problem tied to no field on the page (the error page's) is listed without a link.
        return [{"text": m, "href": f if f.startswith("/") else f"#{f}"} if f else {"text": m}
                for f, m in self.items]

    @classmethod
    def from_problems(cls, summary: str, problems: list[str], *, default_field: str,
                      fields: dict[str, str] | None = None) -> FormErrors:
        """Service problems like ``"reason: say why"`` tied to their fields where known."""
        errors = cls()
        known = fields or {}
        for problem in problems or [summary]:
            # A field named in words ("from whom: ...") as well as by its id, which may
            # be hyphenated ("good-character: ...").
            match = re.match(r"^([a-z_][a-z_ -]*): (.*)$", problem)
            if match and match.group(1) in known:
                # Upper-case the first letter only: capitalize() would lower "April".
                message = match.group(2)
                errors.add(known[match.group(1)], message[:1].upper() + message[1:])
            else:
                errors.add(default_field, problem[:1].upper() + problem[1:])
        if problems and summary not in problems:
            errors.title = summary
        return errors


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200) -> HTMLResponse:
    """Render a page with what every page needs (who is signed in, the CSRF token)."""
    signed_in = getattr(request.state, "signed_in", None)
    ends_at = getattr(request.state, "session_ends_at", None) if signed_in else None
    seconds_left = None
    if ends_at is not None:
        now = clock_of(request)
        seconds_left = max(0, int((ends_at - now).total_seconds()))
    full = {"signed_in": signed_in, "session_ends_at": ends_at,
            "session_seconds_left": seconds_left,
            "csrf_token": signed_in.csrf_token if signed_in else
            getattr(request.state, "pre_session_csrf", ""),
            "errors": FormErrors(), **(context or {})}
    return pages.TemplateResponse(request, name, full, status_code=status_code)


def error_page_html(title: str, message: str, errors: FormErrors | None = None) -> str:
    """The error page, for answers given before a request reaches the app (a refused host, a
    body too large, an unexpected failure): nobody is known to be signed in there."""
    return pages.env.get_template("error.html").render(
        signed_in=None, csrf_token="", title=title, message=message,
        errors=errors or FormErrors())
