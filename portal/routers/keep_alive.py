"""Staying signed in: the timeout warning's "Stay signed in" button posts here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from appraisal_store.services.sign_in import touch_session

from ..authentication import IDLE_TIMEOUT
from ..deps import Csrf, Now, SessionDep

router = APIRouter()


@router.post("/session/keep-alive")
def keep_alive(request: Request, store: SessionDep, me: Csrf, now: Now) -> JSONResponse:
    """Move the session's idle timer on now (not once a minute, as a page does).

    Its lifetime does not move: near its end, what is left is less than the idle timeout.
    """
    with store.unit_of_work() as session:
        touch_session(session=session, session_id=me.session_id, now=now)
    ends_at = min(now + IDLE_TIMEOUT, request.state.session_lifetime_ends_at)
    return JSONResponse({"seconds_left": max(0, int((ends_at - now).total_seconds()))},
                        headers={"Cache-Control": "no-store"})
