"""NHS England's regional director (or their delegate) endorses a signed record from the
emailed link: the page, the record to read, and the endorsement itself."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from appraisal_store.errors import NotFound, ValidationFailed
from appraisal_store.models import Appraisal, Record
from appraisal_store.services.content_views import record_content_view
from appraisal_store.services.endorsement import (
    COMMENT_LONGEST,
    endorse,
    endorsement_queue,
    endorsement_view,
)
from appraisal_store.vocabulary import RecordStage

from .. import follow_ups
from ..deps import Csrf, CurrentPerson, SessionDep, request_store
from ..paths import RecordId
from ..rendering import FormErrors, render

router = APIRouter(prefix="/endorsements")


@router.get("")
def queue(request: Request, store: SessionDep, me: CurrentPerson) -> Response:
    with store.read() as session:
        rows = endorsement_queue(session, me.actor)
    return render(request, "endorsement/queue.html", {"rows": rows})


def _page(request: Request, session: Session, me: CurrentPerson, appraisal_id: int, *,
          errors: FormErrors | None = None, comment: str = "") -> Response:
    view = endorsement_view(session, me.actor, appraisal_id)
    return render(request, "endorsement/endorse.html",
                  {"view": view, "errors": errors or FormErrors(), "comment": comment,
                   "longest": COMMENT_LONGEST, "done": request.query_params.get("done")},
                  status_code=400 if errors else 200)


@router.get("/{appraisal_id}")
def page(request: Request, store: SessionDep, appraisal_id: RecordId,
         me: CurrentPerson) -> Response:
    with store.read() as session:
        return _page(request, session, me, appraisal_id)


@router.get("/{appraisal_id}/record.pdf")
def record(store: SessionDep, appraisal_id: RecordId, me: CurrentPerson) -> Response:
    """The sealed record the endorser reads (endorsed once it is); the view is audited."""
    with store.unit_of_work() as session:
        endorsement_view(session, me.actor, appraisal_id)  # NotFound unless the endorser
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal is not None
        found = session.execute(
            select(Record).where(col(Record.appraisal_id) == appraisal_id,
                                 col(Record.version) == appraisal.record_version,
                                 col(Record.stage).in_([RecordStage.COMPLETE,
                                                        RecordStage.ENDORSED]))
            .order_by(col(Record.id).desc())).scalars().first()
        if found is None:
            raise NotFound("The sealed record is not ready yet; it appears here once sealed.")
        record_content_view(session=session, actor=me.actor, appraisal=appraisal,
                            page="endorsement record")
    return Response(found.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="appraisal-{appraisal_id}'
                               f'-v{found.version}-{found.stage.value}.pdf"',
        "Cache-Control": "no-store"})


def _seal_now(appraisal_id: int, now: datetime) -> None:
    """Sign the endorsement into the record before the page answers, at the endorsing
    request's moment ``now``, then deliver what is due as the follow-ups do; the sealing
    sweep finds any that fails here."""
    from records.endorsement import seal_endorsement
    from records.errors import RecordError

    try:
        seal_endorsement(appraisal_id, now=now)
    except RecordError:
        return
    follow_ups.deliver_due(appraisal_id)


@router.post("/{appraisal_id}")
async def endorse_record(request: Request, appraisal_id: RecordId, me: Csrf,
                         comment: Annotated[str, Form()] = "") -> Response:
    now = request_store(request).now
    try:
        with request_store(request).unit_of_work() as session:
            endorse(session=session, actor=me.actor, appraisal_id=appraisal_id,
                    comment=comment, now=now)
    except ValidationFailed as error:
        errors = FormErrors(title=error.summary)
        for problem in error.problems:
            errors.add("comment", problem.partition(": ")[2] or problem)
        with request_store(request).read() as session:
            return _page(request, session, me, appraisal_id, errors=errors, comment=comment)
    await run_in_threadpool(_seal_now, appraisal_id, now)
    return RedirectResponse(f"/endorsements/{appraisal_id}?done=endorsed", status_code=303)
