"""Objectives through the year in the portal: the mid-year review and further check-ins
of a signed-off appraisal, where the appraisee and the appraiser each record progress on
every objective and action, with a joint note; each exportable as a PDF."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from appraisal_store.errors import AppraisalError, InvalidTransition, ValidationFailed
from appraisal_store.models import Appraisal
from appraisal_store.services.check_ins import (
    KINDS,
    check_in_record,
    save_progress,
    start_check_in,
    year_page,
)
from appraisal_store.services.content_views import record_content_view

from ..dates import date_from_form
from ..deps import Csrf, CurrentPerson, request_store
from ..paths import RecordId
from ..rendering import FormErrors, render

router = APIRouter()


def _page(request: Request, me: CurrentPerson, appraisal_id: int, *,
          errors: FormErrors | None = None, values: dict[str, str] | None = None
          ) -> Response:
    with request_store(request).unit_of_work() as session:
        page = year_page(session, me.actor, appraisal_id)
        record_content_view(session=session, actor=me.actor, appraisal=page.appraisal,
                            page="objectives through the year")
    return render(request, "year/page.html", {
        "page": page, "kinds": KINDS, "errors": errors or FormErrors(),
        "values": values or {}, "done": request.query_params.get("done", "")},
        status_code=400 if errors else 200)


@router.get("/appraisals/{appraisal_id}/year")
def year(request: Request, appraisal_id: RecordId, me: CurrentPerson) -> Response:
    return _page(request, me, appraisal_id)


def _refused(request: Request, me: CurrentPerson, appraisal_id: int, field_id: str,
             error: AppraisalError, values: dict[str, str]) -> Response:
    errors = FormErrors(title=error.message if not isinstance(error, ValidationFailed)
                        else error.summary)
    problems = error.problems if isinstance(error, ValidationFailed) else []
    for problem in problems or [error.message]:
        errors.add(field_id, problem)
    return _page(request, me, appraisal_id, errors=errors, values=values)


@router.post("/appraisals/{appraisal_id}/check-ins")
async def start(request: Request, appraisal_id: RecordId, me: Csrf) -> Response:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    now = request_store(request).now
    try:
        held_on = date_from_form(form, "held-on", "The date it was held", field="",
                                 required=True)
        assert held_on is not None
        with request_store(request).unit_of_work() as session:
            start_check_in(session=session, actor=me.actor, appraisal_id=appraisal_id,
                           kind=str(form.get("kind", "")), held_on=held_on, today=now.date())
    except (ValidationFailed, InvalidTransition) as error:
        return _refused(request, me, appraisal_id, "held-on-day", error, values)
    return RedirectResponse(f"/appraisals/{appraisal_id}/year?done=started", status_code=303)


@router.post("/check-ins/{check_in_id}")
async def save(request: Request, check_in_id: RecordId, me: Csrf) -> Response:
    form = await request.form()
    notes = {key.removeprefix("note-"): str(value) for key, value in form.items()
             if key.startswith("note-")}
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    with request_store(request).read() as session:
        page, _ = check_in_record(session, me.actor, check_in_id)
    appraisal_id = page.appraisal.id or 0
    try:
        with request_store(request).unit_of_work() as session:
            save_progress(session=session, actor=me.actor, check_in_id=check_in_id,
                          notes=notes, joint_note=str(form.get("joint_note", "")),
                          now=request_store(request).now)
    except ValidationFailed as error:
        return _refused(request, me, appraisal_id, f"check-in-{check_in_id}", error, values)
    return RedirectResponse(f"/appraisals/{appraisal_id}/year?done=saved#check-in-"
                            f"{check_in_id}", status_code=303)


def _pdf(request: Request, me: CurrentPerson, check_in_id: int) -> tuple[bytes, str]:
    from records.check_in_pdf import render_check_in

    with request_store(request).unit_of_work() as session:
        page, record = check_in_record(session, me.actor, check_in_id)
        appraisal = session.get(Appraisal, page.appraisal.id)
        assert appraisal is not None
        record_content_view(session=session, actor=me.actor, appraisal=appraisal,
                            page="check-in pdf")
    pdf = render_check_in(
        title=record.kind_label, organisation=page.organisation, year=page.year,
        appraisee=page.appraisee_name, appraiser=page.appraiser_name or "no appraiser",
        held_on=record.check_in.held_on,
        entries=[(line.title, line.appraisee_note, line.appraiser_note)
                 for line in record.lines], joint_note=record.check_in.joint_note)
    return pdf, f"{record.check_in.kind}-{page.appraisal.id}-{record.check_in.held_on}.pdf"


@router.get("/check-ins/{check_in_id}.pdf")
async def download(request: Request, check_in_id: RecordId, me: CurrentPerson) -> Response:
    pdf, name = await run_in_threadpool(_pdf, request, me, check_in_id)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
