"""Board Member References in the portal: the company secretary completes a leaver's
reference, the chair signs it and it is sealed; the sealed PDF can be downloaded for a
future employer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from appraisal_store.clock import day_of
from appraisal_store.errors import NotAllowed, NotFound, ValidationFailed
from appraisal_store.fppt_tables import BoardMemberReference
from appraisal_store.models import Organisation, Person
from appraisal_store.services.fppt_references import (
    SectionAnswer,
    check_may_sign_reference,
    reference_gaps,
    save_reference,
    sections_of,
    sees_reference,
)

from ..deps import Csrf, CurrentPerson, SessionDep
from ..fppt_forms import posted_fields, refusal_page, yes_no
from ..paths import RecordId
from ..rendering import render

router = APIRouter(prefix="/fppt")


def _reference_context(session: Session, me: CurrentPerson, reference_id: int
                       ) -> dict[str, Any]:
    """The reference's page, as of the day ``session`` acts on (the request's)."""
    reference = session.get(BoardMemberReference, reference_id)
    if reference is None or not sees_reference(session, me.actor, reference):
        raise NotFound(f"There is no board member reference {reference_id} that you can see.")
    person = session.get(Person, reference.person_id)
    organisation = session.get(Organisation, reference.organisation_id)
    try:
        check_may_sign_reference(session, me.actor, reference, day_of(session))
        signs = True
    except NotAllowed:
        signs = False
    starts = reference.left_on.year - (1 if reference.left_on.month < 4 else 0)
    titles = {section.id: section.title for section in sections_of(reference)}
    return {"reference": reference, "person": person, "organisation": organisation,
            "sections": sections_of(reference), "gaps": [
                (titles.get(gap.partition(":")[0], ""), gap.partition(": ")[2])
                for gap in reference_gaps(reference)],
            "posted": {}, "signs": signs, "dashboard": f"/fppt/boards/{reference.organisation_id}/"
                                       f"{starts}-{(starts + 1) % 100:02d}"}


DONE = {"saved": "The reference was saved. You can come back and finish it later.",
        "signed": "The reference is signed and sealed."}


@router.get("/references/{reference_id}")
def reference_page(request: Request, store: SessionDep, reference_id: RecordId,
                   me: CurrentPerson, done: str = "") -> Response:
    with store.read() as session:
        context = _reference_context(session, me, reference_id)
    context["done"] = DONE.get(done)
    return render(request, "fppt/reference.html", context)


@router.post("/references/{reference_id}")
async def reference_save(request: Request, store: SessionDep, reference_id: RecordId,
                         me: Csrf) -> Response:
    form = await request.form()
    posted = posted_fields(form)
    now = store.now

    def act() -> Response:
        with store.read() as session:
            context = _reference_context(session, me, reference_id)
        answers = {s.id: SectionAnswer(yes_no(posted.get(f"{s.id}-answer", "")),
                                   posted.get(s.id, "")) for s in context["sections"]}
        try:
            with store.unit_of_work() as session:
                save_reference(session=session, actor=me.actor, reference_id=reference_id,
                               answers=answers)
            if posted.get("action") == "sign":
                # Imported here: ReportLab and pyHanko load only where a reference is sealed.
                from records.fppt_sealing import make_reference

                make_reference(actor=me.actor, reference_id=reference_id, now=now)
        except ValidationFailed as error:
            with store.read() as session:
                context = _reference_context(session, me, reference_id)
            return refusal_page(request, "fppt/reference.html", context, error,
                            default_field="reference", posted=posted,
                            fields={s.id: s.id for s in context["sections"]})
        done = "signed" if posted.get("action") == "sign" else "saved"
        return RedirectResponse(f"/fppt/references/{reference_id}?done={done}",
                                status_code=303)
    return await run_in_threadpool(act)


@router.get("/references/{reference_id}/reference.pdf")
def reference_file(store: SessionDep, reference_id: RecordId, me: CurrentPerson) -> Response:
    with store.read() as session:
        context = _reference_context(session, me, reference_id)
    reference = context["reference"]
    if reference.pdf is None:
        raise NotFound("This reference is not signed yet.")
    return Response(reference.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="board-member-reference-'
                               f'{reference.id}.pdf"'})


