"""NHS England's regional director gives input to a chair's appraisal, where the routing
policy says so; the appraiser reads it beside the review."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from appraisal_store.errors import InvalidTransition, ValidationFailed
from appraisal_store.services.regional_input import INPUT_LONGEST, give_input, input_page

from ..deps import Csrf, CurrentPerson, SessionDep, request_store
from ..paths import RecordId
from ..rendering import FormErrors, render

router = APIRouter(prefix="/regional-input")


def _page(request: Request, me: CurrentPerson, appraisal_id: int, *,
          errors: FormErrors | None = None, text: str = "") -> Response:
    with request_store(request).read() as session:
        page = input_page(session, me.actor, appraisal_id)
    return render(request, "regional_input/page.html", {
        "page": page, "errors": errors or FormErrors(), "text": text,
        "longest": INPUT_LONGEST, "done": request.query_params.get("done", "")},
        status_code=400 if errors else 200)


@router.get("/{appraisal_id}")
def page(request: Request, appraisal_id: RecordId, me: CurrentPerson) -> Response:
    return _page(request, me, appraisal_id)


@router.post("/{appraisal_id}")
def give(request: Request, store: SessionDep, appraisal_id: RecordId, me: Csrf,
         text: Annotated[str, Form()] = "") -> Response:
    try:
        with store.unit_of_work() as session:
            give_input(session=session, actor=me.actor, appraisal_id=appraisal_id, text=text,
                       now=store.now)
    except (ValidationFailed, InvalidTransition) as error:
        problems = error.problems if isinstance(error, ValidationFailed) else [error.message]
        summary = error.summary if isinstance(error, ValidationFailed) else error.message
        errors = FormErrors.from_problems(summary, problems, default_field="text",
                                          fields={"input": "text"})
        return _page(request, me, appraisal_id, errors=errors, text=text)
    return RedirectResponse(f"/regional-input/{appraisal_id}?done=given", status_code=303)
