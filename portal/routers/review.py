"""The appraiser's queue. The review itself is a task list: ``review_tasks``."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from appraisal_store.queries import appraiser_queue

from ..deps import CurrentPerson
from ..rendering import render
from ..store import read_session

router = APIRouter()


@router.get("/queue")
def queue(request: Request, me: CurrentPerson) -> Response:
    with read_session() as session:
        rows = appraiser_queue(session, me.person.id)
    return render(request, "review/queue.html", {"rows": rows, "today": date.today()})
