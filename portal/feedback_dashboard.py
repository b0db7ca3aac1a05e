"""The company secretary's dashboard's feedback section: counts only, never a name."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from appraisal_store.clock import day_of
from appraisal_store.feedback_status import RoundCounts, round_counts


def feedback_counts(session: Session, organisation_id: int, year: str | None,
                    today: date | None = None) -> dict[str, RoundCounts | None]:
    """The dashboard's context entry: the organisation's rounds opened, open, closed and
    overdue, and the response rate (None when no round has been opened), judged on
    ``today`` or else the day ``session`` acts on (the request's)."""
    found = round_counts(session, today=today or day_of(session), year=year,
                         organisation_ids={organisation_id})
    return {"feedback_counts": found[0] if found else None}
