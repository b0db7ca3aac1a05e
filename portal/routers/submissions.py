"""The NHS England hand-over in the portal: per deadline, what is due, endorsed, in a pack
and sent; building the pack, downloading it, recording it sent; and NHS England's national
view of every organisation's submissions against the deadlines."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from appraisal_store.errors import ValidationFailed
from appraisal_store.services.submission_downloads import download_pack
from appraisal_store.services.submissions import (
    build_submission_pack,
    deadline_statuses,
    mark_pack_sent,
    national_submissions,
    read_pack,
)

from ..dashboard import administered_organisation
from ..dates import date_from_form
from ..deps import Csrf, CurrentPerson, SessionDep, request_store
from ..paths import RecordId
from ..rendering import FormErrors, render

router = APIRouter()


def _page(request: Request, me: CurrentPerson, organisation_id: int, *,
          errors: FormErrors | None = None, values: dict[str, str] | None = None
          ) -> Response:
    with request_store(request).read() as session:
        organisation, manages = administered_organisation(session, me.actor, organisation_id)
        statuses = deadline_statuses(session, [organisation_id])
    return render(request, "submissions/organisation.html", {
        "organisation": organisation, "manages": manages, "statuses": statuses,
        "errors": errors or FormErrors(), "values": values or {},
        "done": request.query_params.get("done", "")},
        status_code=400 if errors else 200)


@router.get("/organisations/{organisation_id}/submissions")
def organisation_submissions(request: Request, organisation_id: RecordId,
                             me: CurrentPerson) -> Response:
    return _page(request, me, organisation_id)


def _refused(request: Request, me: CurrentPerson, organisation_id: int, field_id: str,
             error: ValidationFailed, values: dict[str, str]) -> Response:
    errors = FormErrors(title=error.summary)
    for problem in error.problems or [error.summary]:
        message = (problem.partition(": ")[2] if ": " in problem
                   and problem.split(": ")[0] in ("sent_on", "channel") else problem)
        # A sentence on its own in the summary: upper-case its first letter only.
        errors.add(field_id, message[:1].upper() + message[1:])
    return _page(request, me, organisation_id, errors=errors, values=values)


@router.post("/organisations/{organisation_id}/submissions/packs")
async def build_pack(request: Request, organisation_id: RecordId, me: Csrf) -> Response:
    form = await request.form()
    deadline_text = str(form.get("deadline", ""))
    try:
        deadline = date.fromisoformat(deadline_text)
    except ValueError:
        return _refused(request, me, organisation_id, "deadline",
                        ValidationFailed("Choose the NHS England deadline."), {})
    try:
        with request_store(request).unit_of_work() as session:
            build_submission_pack(session=session, actor=me.actor,
                                  organisation_id=organisation_id, deadline=deadline,
                                  now=request_store(request).now)
    except ValidationFailed as error:
        return _refused(request, me, organisation_id, f"build-{deadline_text}", error, {})
    return RedirectResponse(f"/organisations/{organisation_id}/submissions?done=built",
                            status_code=303)


@router.post("/submission-packs/{pack_id}/sent")
async def record_sent(request: Request, pack_id: RecordId, me: Csrf) -> Response:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    with request_store(request).read() as session:
        organisation_id = read_pack(session=session, actor=me.actor,
                                    pack_id=pack_id).organisation_id
    now = request_store(request).now
    field_id = f"sent-{pack_id}"
    try:
        sent_on = date_from_form(form, field_id, "The date it was sent", field="",
                                 required=True)
        assert sent_on is not None
        with request_store(request).unit_of_work() as session:
            mark_pack_sent(session=session, actor=me.actor, pack_id=pack_id, sent_on=sent_on,
                           channel=str(form.get("channel", "")), today=now.date(), now=now)
    except ValidationFailed as error:
        return _refused(request, me, organisation_id, field_id, error, values)
    return RedirectResponse(f"/organisations/{organisation_id}/submissions?done=sent",
                            status_code=303)


@router.get("/submission-packs/{pack_id}.zip")
def download(store: SessionDep, pack_id: RecordId, me: CurrentPerson) -> Response:
    with store.unit_of_work() as session:
        pack = download_pack(session=session, actor=me.actor, pack_id=pack_id)
        content, filename = pack.content, pack.filename
    return Response(content, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


@router.get("/national/submissions")
def national(request: Request, store: SessionDep, me: CurrentPerson) -> Response:
    with store.read() as session:
        statuses = national_submissions(session, me.actor)
    return render(request, "submissions/national.html", {"statuses": statuses})
