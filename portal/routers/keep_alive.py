"""Staying signed in: the timeout warning's "Stay signed in" button posts here."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..authentication import IDLE_TIMEOUT, touch_session
from ..deps import Csrf, Now
from ..store import write_session

router = APIRouter()


@router.post("/session/keep-alive")
def keep_alive(me: Csrf, now: Now) -> JSONResponse:
    """Move the session's idle timer on now (not once a minute, as a page does)."""
    with write_session() as session:
        touch_session(session, session_id=me.session_id, now=now)
    return JSONResponse({"seconds_left": int(IDLE_TIMEOUT.total_seconds())},
                        headers={"Cache-Control": "no-store"})
