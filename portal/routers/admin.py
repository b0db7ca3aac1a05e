"""Administration: organisations, people import, opening a cycle; per-appraisal adjustments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from appraisal_store.errors import AppraisalError, NotFound, ValidationFailed
from appraisal_store.lifecycle import Party
from appraisal_store.models import Appraisal, Organisation
from appraisal_store.queries import appraisal_rows
from appraisal_store.services import administration
from appraisal_store.services.access import get_appraisal
from appraisal_store.services.cycles import open_cycles, resolve_dates
from appraisal_store.services.organisations import add_organisation
from appraisal_store.services.people import import_people
from appraisal_store.vocabulary import OrgType

from ..dates import date_from_form, date_parts
from ..deps import Csrf, CurrentPerson, SignedIn
from ..paths import RecordId
from ..rendering import FormErrors, render
from ..store import read_session, write_session

router = APIRouter()


def _require_admin(me: SignedIn) -> None:
    if not me.person.is_admin:
        raise NotFound("There is no such page.")


def _admin_page(request: Request, *, errors: FormErrors | None = None,
                posted: dict[str, str] | None = None, done: str = "") -> Response:
    with read_session() as session:
        organisations = list(session.execute(select(Organisation)
                                             .order_by(Organisation.code)).scalars())
    return render(request, "admin/index.html", {
        "organisations": organisations, "org_types": list(OrgType),
        "errors": errors or FormErrors(),
        "posted": posted or {}, "done": done}, status_code=400 if errors else 200)


@router.get("/admin")
def admin_home(request: Request, me: CurrentPerson, done: str = "") -> Response:
    _require_admin(me)
    return _admin_page(request, done=done)


def _admin_action(request: Request, posted: dict[str, str], field: str,
                  action: Callable[[Session], object], done: str) -> Response:
    try:
        with write_session() as session:
            action(session)
    except AppraisalError as error:
        errors = FormErrors()
        if isinstance(error, ValidationFailed):
            errors.title = error.summary
            for problem in error.problems or [error.summary]:
                errors.add(field, problem)
        else:
            errors.add(field, error.message)
        return _admin_page(request, errors=errors, posted=posted)
    return RedirectResponse(f"/admin?done={done}", status_code=303)


@router.post("/admin/organisations")
def create_organisation(request: Request, me: Csrf, code: Annotated[str, Form()] = "",
                        name: Annotated[str, Form()] = "", org_type: Annotated[str, Form()] = "",
                        region: Annotated[str, Form()] = "") -> Response:
    _require_admin(me)
    return _admin_action(
        request, {"code": code, "name": name, "org_type": org_type, "region": region},
        "code", lambda session: add_organisation(session=session, actor=me.actor, code=code,
                                                 name=name, org_type=org_type,
                                                 region=region or None), "organisation")


@router.post("/admin/people")
async def upload_people(request: Request, me: Csrf,
                        people_csv: Annotated[UploadFile, File()]) -> Response:
    _require_admin(me)
    raw = await people_csv.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors = FormErrors()
        errors.add("people_csv", "The file must be a CSV saved as UTF-8")
        return _admin_page(request, errors=errors)
    return await run_in_threadpool(
        _admin_action, request, {}, "people_csv", lambda session: import_people(
            session=session, actor=me.actor, csv_text=text), "people")


@router.post("/admin/cycles")
def open_cycle(request: Request, me: Csrf, year: Annotated[str, Form()] = "",
               organisation_code: Annotated[str, Form()] = "") -> Response:
    _require_admin(me)
    return _admin_action(
        request, {"year": year, "organisation_code": organisation_code}, "year",
        lambda session: open_cycles(session=session, actor=me.actor, year=year,
                                    organisation_codes=[organisation_code],
                                    dates=resolve_dates(year)), "cycle")


def _managed(session: Session, me: SignedIn, appraisal_id: int) -> Appraisal:
    appraisal, parties = get_appraisal(session, me.actor, appraisal_id)
    if Party.ADMINISTRATOR not in parties:
        raise NotFound(f"There is no appraisal {appraisal_id} that you manage.")
    return appraisal


def _manage_page(request: Request, me: SignedIn, appraisal_id: int, *,
                 errors: FormErrors | None = None, posted: dict[str, str] | None = None,
                 done: str = "") -> Response:
    with read_session() as session:
        appraisal = _managed(session, me, appraisal_id)
        rows = appraisal_rows(session, organisation_ids=[appraisal.organisation_id],
                              appraisee_id=appraisal.appraisee_id)
    row_of = next(r for r in rows if r.id == appraisal_id)
    return render(request, "admin/manage.html", {
        "row": row_of, "appraisal": appraisal, "errors": errors or FormErrors(),
        "posted": posted or {}, "done": done, "today": date.today()},
        status_code=400 if errors else 200)


@router.get("/manage/appraisals/{appraisal_id}")
def manage(request: Request, appraisal_id: RecordId, me: CurrentPerson, done: str = "") -> Response:
    return _manage_page(request, me, appraisal_id, done=done)


def _manage_action(request: Request, me: SignedIn, appraisal_id: int, step: str,
                   posted: dict[str, str], action: Callable[[Session], object]) -> Response:
    try:
        with write_session() as session:
            _managed(session, me, appraisal_id)
            action(session)
    except NotFound:
        raise
    except AppraisalError as error:
        errors = FormErrors()
        if isinstance(error, ValidationFailed):
            for problem in error.problems or [error.summary]:
                errors.add(f"{step}-reason" if "reason" in problem else f"{step}-form",
                           problem.removeprefix("reason: ").capitalize())
        else:
            errors.add(f"{step}-form", error.message)
        return _manage_page(request, me, appraisal_id, errors=errors, posted=posted)
    return RedirectResponse(f"/manage/appraisals/{appraisal_id}?done={step}", status_code=303)


@router.post("/manage/appraisals/{appraisal_id}/extend")
def extend(request: Request, appraisal_id: RecordId, me: Csrf,
           deadline: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
           day: Annotated[str, Form(alias="new_date-day")] = "",
           month: Annotated[str, Form(alias="new_date-month")] = "",
           year: Annotated[str, Form(alias="new_date-year")] = "") -> Response:
    typed = {"new_date-day": day, "new_date-month": month, "new_date-year": year}

    def run(session: Session) -> None:
        when = date_from_form(typed, "new_date", "The new date", field="",
                              required=True)
        assert when is not None
        administration.extend_deadline(session=session, actor=me.actor,
                                       appraisal_id=appraisal_id, deadline=deadline,
                                       new_date=when, reason=reason)

    return _manage_action(request, me, appraisal_id, "extend", {
        "deadline": deadline, "new_date": date_parts(typed, "new_date"),  # type: ignore[dict-item]
        "extend_reason": reason}, run)


@router.post("/manage/appraisals/{appraisal_id}/reassign")
def reassign(request: Request, appraisal_id: RecordId, me: Csrf,
             appraiser_email: Annotated[str, Form()] = "",
             reason: Annotated[str, Form()] = "") -> Response:
    return _manage_action(request, me, appraisal_id, "reassign", {
        "appraiser_email": appraiser_email, "reassign_reason": reason},
        lambda session: administration.reassign_appraiser(
            session=session, actor=me.actor, appraisal_id=appraisal_id,
            appraiser_email=appraiser_email, reason=reason))


@router.post("/manage/appraisals/{appraisal_id}/{closure}")
def close(request: Request, appraisal_id: RecordId, closure: str, me: Csrf,
          reason: Annotated[str, Form()] = "") -> Response:
    actions = {"withdraw": administration.withdraw, "defer": administration.defer,
               "resume": administration.resume}
    if closure not in actions:
        raise NotFound("There is no such page.")
    return _manage_action(request, me, appraisal_id, closure, {f"{closure}_reason": reason},
                          lambda session: actions[closure](
                              session=session, actor=me.actor, appraisal_id=appraisal_id,
                              reason=reason))
