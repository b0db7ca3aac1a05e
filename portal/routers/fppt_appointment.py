"""What the company secretary records of a board member's appointment on their FPPT page:
the references the appointment came with (from whom, when, covering which years) and
whether the person is clinically registered (the professional register's checks apply
then). Each refused with its problems beside their fields, nothing written; audited."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from appraisal_store.errors import ValidationFailed
from appraisal_store.services.fppt import set_clinically_registered
from appraisal_store.services.fppt_access import get_year
from appraisal_store.services.fppt_references import record_reference_received

from ..dates import date_from_form
from ..deps import Csrf, clock_of
from ..fppt_forms import posted_fields, yes_no
from ..paths import RecordId
from .fppt_assessments import act_on_year

router = APIRouter(prefix="/fppt")
RECEIVED_FIELDS = {"from whom": "from_whom", "covering": "covering", "date": "received_on"}


@router.post("/assessments/{fppt_year_id}/references-received")
async def reference_received(request: Request, fppt_year_id: RecordId, me: Csrf) -> Response:
    form = await request.form()
    posted = posted_fields(form)
    today = clock_of(request).date()

    def action(session: Session) -> object:
        year = get_year(session, me.actor, fppt_year_id)
        try:
            received_on = date_from_form(form, "received_on", "The date it was received",
                                         field="date")
            unreadable: list[str] = []
        except ValidationFailed as error:
            received_on, unreadable = None, error.problems
        try:
            return record_reference_received(
                session=session, actor=me.actor, appointment_id=year.appointment_id,
                from_whom=posted.get("from_whom", ""), received_on=received_on,
                covering=posted.get("covering", ""), today=today)
        except ValidationFailed as error:
            # Every problem of the form at once: the date as typed, and the others'.
            if not unreadable:
                raise
            raise ValidationFailed(error.summary, unreadable + [
                p for p in error.problems if not p.startswith("date:")]) from None
    return await run_in_threadpool(
        act_on_year, request, me, fppt_year_id, action, fields=RECEIVED_FIELDS,
        default_field="from_whom", done="reference-received", posted=posted,
        where=f"/fppt/assessments/{fppt_year_id}?done=reference-received#appointment")


@router.post("/assessments/{fppt_year_id}/registration")
async def registration(request: Request, fppt_year_id: RecordId, me: Csrf) -> Response:
    form = await request.form()
    posted = posted_fields(form)

    def action(session: Session) -> object:
        year = get_year(session, me.actor, fppt_year_id)
        return set_clinically_registered(
            session=session, actor=me.actor, person_id=year.person_id,
            organisation_id=year.organisation_id,
            registered=yes_no(posted.get("clinically_registered", "")))
    return await run_in_threadpool(
        act_on_year, request, me, fppt_year_id, action,
        fields={"clinically_registered": "clinically_registered"},
        default_field="clinically_registered", done="registration", posted=posted,
        where=f"/fppt/assessments/{fppt_year_id}?done=registration#appointment")
