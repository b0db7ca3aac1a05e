"""How the feedback rounds stand, per organisation: counts only, never a name or answer.

For ``appraisal feedback status`` and the company secretary's dashboard: rounds opened,
open, closed and overdue (still open past the closing date), respondents asked and
answered, and the response rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlmodel import Session, col

from .feedback_tables import FeedbackRespondent, FeedbackRound, RespondentStatus
from .models import Appraisal, Cycle, Organisation

ASKED = (RespondentStatus.INVITED, RespondentStatus.SUBMITTED, RespondentStatus.DECLINED)


@dataclass(frozen=True)
class RoundCounts:
    organisation_code: str
    organisation_name: str
    rounds: int
    open: int
    closed: int
    overdue: int
    asked: int
    answered: int

    @property
    def response_rate(self) -> str:
        return f"{round(100 * self.answered / self.asked)}%" if self.asked else "–"


def round_counts(session: Session, *, today: date, year: str | None = None,
                 organisation_code: str | None = None,
                 organisation_ids: set[int] | None = None) -> list[RoundCounts]:
    """The counts per organisation with any round (two grouped queries)."""
    def scoped(statement: Select[Any]) -> Select[Any]:
        statement = statement.join(
            Organisation, col(Organisation.id) == col(FeedbackRound.organisation_id))
        if year:
            statement = statement.join(
                Appraisal, col(Appraisal.id) == col(FeedbackRound.appraisal_id)).join(
                Cycle, col(Cycle.id) == col(Appraisal.cycle_id)).where(col(Cycle.year) == year)
        if organisation_code:
            statement = statement.where(col(Organisation.code) == organisation_code.upper())
        if organisation_ids is not None:
            statement = statement.where(col(Organisation.id).in_(organisation_ids))
        return statement.group_by(col(Organisation.code), col(Organisation.name))

    still_open = col(FeedbackRound.closed_at).is_(None)
    rounds = session.execute(scoped(
        select(col(Organisation.code), col(Organisation.name),
               func.count(col(FeedbackRound.id)), func.sum(case((still_open, 1), else_=0)),
               func.sum(case((still_open & (col(FeedbackRound.closes_on) < today), 1),
                             else_=0))).select_from(FeedbackRound))).all()
    people = {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in session.execute(scoped(
        select(col(Organisation.code),
               func.sum(case((col(FeedbackRespondent.status).in_(ASKED), 1), else_=0)),
               func.sum(case((col(FeedbackRespondent.status) == RespondentStatus.SUBMITTED, 1),
                             else_=0)))
        .select_from(FeedbackRespondent)
        .join(FeedbackRound, col(FeedbackRound.id) == col(FeedbackRespondent.round_id))))}
    return [RoundCounts(code, name, int(total), int(open_ or 0), int(total) - int(open_ or 0),
                        int(overdue or 0), *people.get(code, (0, 0)))
            for code, name, total, open_, overdue in sorted(rounds)]
