"""A foundation trust chair's appraisal outcome, for the council of governors' nominations
committee's registered contact, from the emailed link. Every read is audited; a refusal
is logged and answers as if there were nothing there."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from appraisal_store.services.chair_outcomes import PAGE, chair_outcome

from ..appraisal_views import refusals_logged
from ..deps import CurrentPerson, SessionDep
from ..paths import RecordId
from ..rendering import render

router = APIRouter(prefix="/outcomes")


@router.get("/{appraisal_id}")
def outcome(request: Request, store: SessionDep, appraisal_id: RecordId,
            me: CurrentPerson) -> Response:
    with store.unit_of_work() as session, refusals_logged(session, me.actor, appraisal_id,
                                                          PAGE):
        shown = chair_outcome(session=session, actor=me.actor, appraisal_id=appraisal_id)
    return render(request, "outcomes/chair.html", {"outcome": shown})
