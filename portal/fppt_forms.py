"""What the FPPT pages share: the year in an address (2025-26), a form's fields, and a
refused form shown again with its problems beside their fields."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from appraisal_store.errors import AppraisalError, NotFound, ValidationFailed

from .rendering import FormErrors, render

YEAR_SLUG = re.compile(r"(\d{4})-(\d{2})")


def year_of_slug(slug: str) -> str:
    """``2025-26`` (an address's form of the year) -> ``2025/26``; NotFound otherwise."""
    match = YEAR_SLUG.fullmatch(slug)
    if not match:
        raise NotFound("There is no such page.")
    return f"{match.group(1)}/{match.group(2)}"


def slug_of(year: str) -> str:
    return year.replace("/", "-")


def posted_fields(form: Any) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


def yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def refusal_page(request: Request, template: str, context: dict[str, Any],
             error: AppraisalError, *, default_field: str, fields: dict[str, str],
             posted: dict[str, str]) -> Response:
    """The page again, with the service's problems beside their fields (400)."""
    summary = error.summary if isinstance(error, ValidationFailed) else error.message
    problems = error.problems if isinstance(error, ValidationFailed) else [error.message]
    context["errors"] = FormErrors.from_problems(summary, problems,
                                                 default_field=default_field, fields=fields)
    context["posted"] = posted
    return render(request, template, context, status_code=400)
