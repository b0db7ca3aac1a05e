"""Administration: organisations, people import, opening a cycle; per-appraisal adjustments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from appraisal_store.actors import Actor
from appraisal_store.appraisal_year import YEAR_MEANING
from appraisal_store.errors import AppraisalError, NotAllowed, NotFound, ValidationFailed
from appraisal_store.lifecycle import Party
from appraisal_store.models import Appraisal, Organisation
from appraisal_store.queries import appraisal_rows
from appraisal_store.services import administration
from appraisal_store.services.access import (
    administered_organisation_ids,
    get_appraisal,
    is_national_administrator,
)
from appraisal_store.services.appraisers import eligible_appraisers
from appraisal_store.services.cycles import check_may_open_cycles, open_cycles, resolve_dates
from appraisal_store.services.organisations import add_organisation
from appraisal_store.services.people import import_people
from appraisal_store.vocabulary import OrgType

from ..dates import date_from_form, date_parts
from ..deps import Csrf, CurrentPerson, SessionDep, SignedIn, request_store
from ..paths import RecordId
from ..rendering import FormErrors, render

router = APIRouter()


@dataclass(frozen=True)
class Standing:
    """What the signed-in person administers: some organisations, and or the national view."""

    organisation_ids: set[int]
    national: bool


def administration_standing(session: Session, actor: Actor) -> Standing:
    return Standing(administered_organisation_ids(session, actor),
                    is_national_administrator(session, actor))


def _require_admin(request: Request, me: SignedIn) -> Standing:
    """The administration pages are for those who administer an organisation and for
    national administrators; to anyone else they do not exist."""
    with request_store(request).read() as session:
        standing = administration_standing(session, me.actor)
    if not standing.organisation_ids and not standing.national:
        raise NotFound("There is no such page.")
    return standing


def _admin_page(request: Request, standing: Standing, *, errors: FormErrors | None = None,
                posted: dict[str, str] | None = None, done: str = "") -> Response:
    statement = select(Organisation).order_by(Organisation.code)
    if not standing.national:
        statement = statement.where(
            col(Organisation.id).in_(standing.organisation_ids))
    with request_store(request).read() as session:
        organisations = list(session.execute(statement).scalars())
    return render(request, "admin/index.html", {
        "organisations": organisations, "org_types": list(OrgType),
        "administered": [o for o in organisations if o.id in standing.organisation_ids],
        "national": standing.national, "errors": errors or FormErrors(),
        "posted": posted or {}, "done": done, "year_meaning": YEAR_MEANING},
        status_code=400 if errors else 200)


@router.get("/admin")
def admin_home(request: Request, me: CurrentPerson, done: str = "") -> Response:
    return _admin_page(request, _require_admin(request, me), done=done)


def _admin_action(request: Request, standing: Standing, posted: dict[str, str], field: str,
                  action: Callable[[Session], object], done: str) -> Response:
    try:
        with request_store(request).unit_of_work() as session:
            action(session)
    except (NotAllowed, NotFound):
        raise  # who may act is answered by the error page, not beside a field
    except AppraisalError as error:
        errors = FormErrors()
        if isinstance(error, ValidationFailed):
            errors.title = error.summary
            for problem in error.problems or [error.summary]:
                errors.add(field, problem)
        else:
            errors.add(field, error.message)
        return _admin_page(request, standing, errors=errors, posted=posted)
    return RedirectResponse(f"/admin?done={done}", status_code=303)


@router.post("/admin/organisations")
def create_organisation(request: Request, me: Csrf, code: Annotated[str, Form()] = "",
                        name: Annotated[str, Form()] = "", org_type: Annotated[str, Form()] = "",
                        region: Annotated[str, Form()] = "") -> Response:
    standing = _require_admin(request, me)
    if not standing.national:
        raise NotAllowed("Only a national administrator (or the operator, at the command "
                         "line) can add organisations.")
    return _admin_action(
        request, standing, {"code": code, "name": name, "org_type": org_type,
                            "region": region},
        "code", lambda session: add_organisation(session=session, actor=me.actor, code=code,
                                                 name=name, org_type=org_type,
                                                 region=region or None), "organisation")


@router.post("/admin/people")
async def upload_people(request: Request, me: Csrf,
                        people_csv: Annotated[UploadFile | None, File()] = None) -> Response:
    # Who may act before what they sent: the file is optional here so that a person who
    # administers nothing is told so rather than that a field is missing.
    standing = await run_in_threadpool(_require_admin, request, me)  # a read: off the event loop
    if not standing.organisation_ids:
        raise NotAllowed("Only an organisation's administrators can import its people.")
    if people_csv is None:
        errors = FormErrors()
        errors.add("people_csv", "Choose the CSV file of board members to import")
        return _admin_page(request, standing, errors=errors)
    raw = await people_csv.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors = FormErrors()
        errors.add("people_csv", "The file must be a CSV saved as UTF-8")
        return _admin_page(request, standing, errors=errors)
    return await run_in_threadpool(
        _admin_action, request, standing, {}, "people_csv", lambda session: import_people(
            session=session, actor=me.actor, csv_text=text), "people")


@router.post("/admin/cycles")
def open_cycle(request: Request, store: SessionDep, me: Csrf, year: Annotated[str, Form()] = "",
               organisation_code: Annotated[str, Form()] = "") -> Response:
    standing = _require_admin(request, me)
    with store.read() as session:
        check_may_open_cycles(session, me.actor)  # before what they typed
    return _admin_action(
        request, standing, {"year": year, "organisation_code": organisation_code}, "year",
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
    with request_store(request).read() as session:
        appraisal = _managed(session, me, appraisal_id)
        rows = appraisal_rows(session, organisation_ids=[appraisal.organisation_id],
                              appraisee_id=appraisal.appraisee_id)
        eligible = eligible_appraisers(session, appraisal) if appraisal.state.is_open else []
    row_of = next(r for r in rows if r.id == appraisal_id)
    return render(request, "admin/manage.html", {
        "row": row_of, "appraisal": appraisal, "errors": errors or FormErrors(),
        "eligible": [(e.email, e.choice) for e in eligible
                     if e.person_id != appraisal.appraiser_id],
        "posted": posted or {}, "done": done,
        "today": request_store(request).now.astimezone().date()},
        status_code=400 if errors else 200)


@router.get("/manage/appraisals/{appraisal_id}")
def manage(request: Request, appraisal_id: RecordId, me: CurrentPerson, done: str = "") -> Response:
    return _manage_page(request, me, appraisal_id, done=done)


def _manage_action(request: Request, me: SignedIn, appraisal_id: int, step: str,
                   posted: dict[str, str], action: Callable[[Session], object]) -> Response:
    try:
        with request_store(request).unit_of_work() as session:
            _managed(session, me, appraisal_id)
            action(session)
    except NotFound:
        raise
    except AppraisalError as error:
        errors = FormErrors()
        if isinstance(error, ValidationFailed) and step == "reassign" \
                and not any(p.startswith("reason:") for p in error.problems):
            # Who may appraise: why this person is refused, then who may be chosen.
            for message in (error.summary, *error.problems):
                errors.add("appraiser_email", message)
        elif isinstance(error, ValidationFailed):
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
        "deadline": deadline,
        "new_date": date_parts(typed, "new_date"),  # type: ignore[dict-item]  # the parts, a dict
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
