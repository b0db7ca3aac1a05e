"""How the feedback rounds stand, per organisation: counts only, never a name or answer.

For ``appraisal feedback status`` and the company secretary's dashboard: rounds opened,
open, closed and overdue (still open past the closing date), respondents asked and
answered, and the response rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
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
    """The counts per organisation with any round, in one grouped query: the rounds with
    their respondents joined, each round counted once (distinct) and each respondent once
    (a round has one row per respondent, or one with none)."""
    still_open = col(FeedbackRound.closed_at).is_(None)
    round_id = col(FeedbackRound.id)
    status = col(FeedbackRespondent.status)
    statement = (
        select(col(Organisation.code), col(Organisation.name),
               func.count(round_id.distinct()),
               func.count(case((still_open, round_id)).distinct()),
               func.count(case((still_open & (col(FeedbackRound.closes_on) < today),
                                round_id)).distinct()),
               func.sum(case((status.in_(ASKED), 1), else_=0)),
               func.sum(case((status == RespondentStatus.SUBMITTED, 1), else_=0)))
        .select_from(FeedbackRound)
        .join(Organisation, col(Organisation.id) == col(FeedbackRound.organisation_id))
        .outerjoin(FeedbackRespondent, col(FeedbackRespondent.round_id) == round_id))
    if year:
        statement = statement.join(
            Appraisal, col(Appraisal.id) == col(FeedbackRound.appraisal_id)).join(
            Cycle, col(Cycle.id) == col(Appraisal.cycle_id)).where(col(Cycle.year) == year)
    if organisation_code:
        statement = statement.where(col(Organisation.code) == organisation_code.upper())
    if organisation_ids is not None:
        statement = statement.where(col(Organisation.id).in_(organisation_ids))
    rows = session.execute(
        statement.group_by(col(Organisation.code), col(Organisation.name))).all()
    return [RoundCounts(code, name, int(total), int(open_), int(total) - int(open_),
                        int(overdue), int(asked or 0), int(answered or 0))
            for code, name, total, open_, overdue, asked, answered in sorted(rows)]
