"""The home page: what the signed-in person can do, by their roles."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import literal, select

from appraisal_store.models import Appointment, Organisation
from appraisal_store.queries import appraisal_rows, appraiser_queue
from appraisal_store.services.access import (
    administered_organisation_ids,
    is_national_administrator,
)
from appraisal_store.services.endorsement import endorsement_queue
from appraisal_store.vocabulary import BoardRole

from ..deps import CurrentPerson
from ..rendering import render
from ..store import read_session

router = APIRouter()


@router.get("/")
def home(request: Request, me: CurrentPerson) -> Response:
    person_id = me.person.id
    today = date.today()
    with read_session() as session:
        mine = appraisal_rows(session, appraisee_id=person_id)
        queue = appraiser_queue(session, person_id)
        to_endorse = [v for v in endorsement_queue(session, me.actor) if not v.endorsement]
        led = session.execute(
            select(Organisation.id, Organisation.name, Appointment.role)
            .join(Appointment, Appointment.organisation_id == Organisation.id)
            .where(Appointment.person_id == person_id,
                   Appointment.role.in_([BoardRole.CHAIR, BoardRole.COMPANY_SECRETARY]),  # type: ignore[attr-defined]
                   Appointment.start_date <= today,
                   (Appointment.end_date.is_(None)) | (Appointment.end_date >= today))  # type: ignore[union-attr, operator]
        ).all()
        national = is_national_administrator(session, me.actor)
        # A national administrator sees every board's status; others the boards they
        # were granted beside the ones they lead.
        shown = select(Organisation.id, Organisation.name, literal(None)).where(
            Organisation.id.notin_({o for o, _, _ in led}))  # type: ignore[union-attr]
        if not national:
            shown = shown.where(Organisation.id.in_(  # type: ignore[union-attr]
                administered_organisation_ids(session, me.actor)))
        led = [*led, *session.execute(shown.order_by(Organisation.name)).all()]
    return render(request, "home.html", {"mine": mine, "queue": queue, "led": led,
                                         "to_endorse": to_endorse,
                                         "administers": bool(led) or national,
                                         "national": national,
                                         "today": today})
