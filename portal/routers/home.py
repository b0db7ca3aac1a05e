"""The home page: what the signed-in person can do, by their roles."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlmodel import col

from appraisal_store.models import Organisation
from appraisal_store.queries import appraisal_rows, appraiser_queue
from appraisal_store.services.access import (
    administered_organisation_ids,
    boards_led,
    is_national_administrator,
)
from appraisal_store.services.chair_outcomes import outcomes_for
from appraisal_store.services.endorsement import endorsement_queue
from appraisal_store.services.regional_input import awaiting_input
from appraisal_store.vocabulary import BoardRole

from ..deps import CurrentPerson, SessionDep, Today
from ..rendering import render

router = APIRouter()


@router.get("/")
def home(request: Request, store: SessionDep, me: CurrentPerson, today: Today) -> Response:
    person_id = me.person.id
    with store.read() as session:
        mine = appraisal_rows(session, appraisee_id=person_id)
        queue = appraiser_queue(session, person_id)
        to_endorse = [v for v in endorsement_queue(session, me.actor) if not v.endorsement]
        to_inform = awaiting_input(session, me.actor)
        outcomes = outcomes_for(session, me.actor)
        led: list[tuple[int, str, BoardRole | None]] = [
            *boards_led(session, person_id, on=today)]
        national = is_national_administrator(session, me.actor)
        # A national administrator sees every board's status; others the boards they
        # were granted beside the ones they lead.
        shown = select(col(Organisation.id), col(Organisation.name)).where(
            col(Organisation.id).notin_({o for o, _, _ in led}))
        if not national:
            shown = shown.where(col(Organisation.id).in_(
                administered_organisation_ids(session, me.actor)))
        led += [(organisation_id, name, None) for organisation_id, name
                in session.execute(shown.order_by(col(Organisation.name)))]
    return render(request, "home.html", {"mine": mine, "queue": queue, "led": led,
                                         "to_endorse": to_endorse,
                                         "to_inform": to_inform,
                                         "outcomes": outcomes,
                                         "administers": bool(led) or national,
                                         "national": national,
                                         "today": today})
