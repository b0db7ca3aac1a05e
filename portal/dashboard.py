"""The company secretary's completion dashboard and the chair's board outcomes: status only."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from appraisal_store.actors import Actor
from appraisal_store.clock import day_of
from appraisal_store.errors import NotFound
from appraisal_store.exports import (
    completion_sheet,
    completion_workbook,
    csv_bytes,
    due_rows,
    xlsx_bytes,
)
from appraisal_store.models import FPPTAttestation, Organisation
from appraisal_store.queries import AppraisalRow, appraisal_rows, latest_year
from appraisal_store.services.access import check_chair, check_status_access
from appraisal_store.services.outbox import Undelivered, undelivered_messages
from appraisal_store.sessions import run_columns
from appraisal_store.vocabulary import FINISHED_STATES, AppraisalState, FPPTStatus

_ORGANISATION = select(col(Organisation.id), col(Organisation.code), col(Organisation.name)).where(
    col(Organisation.id) == bindparam("organisation_id"))
CHART_WIDTH = 600
BAR_HEIGHT = 24
LABEL_WIDTH = 190


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    y: int
    width: int


@dataclass(frozen=True)
class NHSEDeadline:
    due: date
    total: int
    missing: list[AppraisalRow]


@dataclass(frozen=True)
class BoardName:
    """What the dashboard shows of its organisation."""

    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Dashboard:
    """One board's status; each figure is worked out once (the page uses several twice)."""

    organisation: BoardName
    year: str | None
    rows: list[AppraisalRow]
    today: date
    manages: bool = True  # False for a national administrator, who sees status only
    # Emails about this board's appraisals that the mail server refused for good.
    undelivered: list[Undelivered] = field(default_factory=list)

    @cached_property
    def counts(self) -> dict[AppraisalState, int]:
        found = Counter(row.state for row in self.rows)
        return {state: found[state] for state in AppraisalState if found[state]}

    @cached_property
    def complete(self) -> int:
        return sum(1 for row in self.rows if row.state in FINISHED_STATES)

    @cached_property
    def overdue(self) -> list[AppraisalRow]:
        return [row for row in self.rows if row.overdue(self.today)]

    @cached_property
    def bars(self) -> list[Bar]:
        counts = self.counts
        most = max(counts.values(), default=1)
        room = CHART_WIDTH - LABEL_WIDTH - 40
        return [Bar(state.label, count, i * (BAR_HEIGHT + 8), max(2, room * count // most))
                for i, (state, count) in enumerate(counts.items())]

    @cached_property
    def chart_height(self) -> int:
        return max(1, len(self.counts)) * (BAR_HEIGHT + 8)

    @cached_property
    def nhse_deadlines(self) -> list[NHSEDeadline]:
        """30 June (chairs) and 30 September (NEDs): who still has to finish."""
        by_due: dict[date, list[AppraisalRow]] = {}
        for row in due_rows(self.rows):
            if row.nhse_due is not None:
                by_due.setdefault(row.nhse_due, []).append(row)
        return [NHSEDeadline(due, len(rows), [r for r in rows if r.state not in FINISHED_STATES])
                for due, rows in sorted(by_due.items())]


def administered_organisation(session: Session, actor: Actor, organisation_id: int
                              ) -> tuple[BoardName, bool]:
    """The organisation, if the actor may see its status, and whether they administer it
    (a national administrator sees every organisation's status and administers none);
    otherwise NotFound (no hint it exists)."""
    found = run_columns(session, _ORGANISATION, {"organisation_id": organisation_id}).first()
    if found is None:
        raise NotFound(f"There is no organisation {organisation_id} that you administer.")
    manages = check_status_access(session=session, actor=actor, organisation_id=organisation_id)
    return BoardName(*found), manages


def completion_dashboard(session: Session, actor: Actor, organisation_id: int, *,
                         year: str | None = None, today: date | None = None) -> Dashboard:
    organisation, manages = administered_organisation(session, actor, organisation_id)
    year = year or latest_year(session, organisation_id)
    rows = appraisal_rows(session, year=year, organisation_ids=[organisation_id])
    return Dashboard(organisation, year, rows, today or day_of(session), manages,
                     undelivered_messages(session, organisation_id=organisation_id, limit=50))


@dataclass(frozen=True)
class Outcome:
    row: AppraisalRow
    fppt_status: str


def board_outcomes(session: Session, actor: Actor, organisation_id: int, *,
                   year: str | None = None) -> tuple[Organisation, list[Outcome]]:
    """The chair's view of the board: each director's state and FPPT status (two queries)."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"There is no board {organisation_id} that you chair.")
    check_chair(session=session, actor=actor, organisation_id=organisation_id)
    rows = appraisal_rows(session, year=year or latest_year(session, organisation_id),
                          organisation_ids=[organisation_id])
    statuses: dict[int, FPPTStatus | None] = dict(session.execute(
        select(col(FPPTAttestation.appraisal_id), col(FPPTAttestation.status))
                                    .where(col(FPPTAttestation.appraisal_id).in_(
                                        [r.id for r in rows]))).tuples().all())
    return organisation, [Outcome(r, s.label if (s := statuses.get(r.id)) else
                                  "Not confirmed") for r in rows]


def export_csv(dashboard: Dashboard) -> bytes:
    """The dashboard's appraisals as CSV: the completion report's columns and writer."""
    return csv_bytes(completion_sheet(dashboard.rows, dashboard.today))


def export_xlsx(dashboard: Dashboard) -> bytes:
    """The dashboard's appraisals and their summary as a workbook (the report's sheets)."""
    return xlsx_bytes(completion_workbook(dashboard.rows, dashboard.today))
