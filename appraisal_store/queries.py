"""Read models: what the portal, the command line and the reports show. No writes here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Set
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Case, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from .clock import day_of
from .deadlines import DUE_KIND_BY_STATE
from .lifecycle import AWAITING_APPRAISER
from .models import (
    Appointment,
    Appraisal,
    ContentDelegation,
    Cycle,
    Organisation,
    Person,
    Signature,
)
from .sessions import run_columns
from .vocabulary import AppraisalState, BoardRole, SignatureRole


def _current_due_column() -> Case[Any]:
    """SQL for the date the appraisal is working towards in its state (NULL when closed)."""
    return case(
        *[(col(Appraisal.state) == state, getattr(Appraisal, f"{kind}_due"))
          for state, kind in DUE_KIND_BY_STATE.items()],
        else_=None,
    )


_LATEST_YEAR = select(func.max(col(Cycle.year)))
_ORGANISATIONS_LATEST_YEAR = _LATEST_YEAR.where(
    col(Cycle.organisation_id) == bindparam("organisation_id"))


def latest_year(session: Session, organisation_id: int | None = None) -> str | None:
    """The latest cycle's year, of one organisation when given (each board's dashboard
    opens on its own latest year, which may be ahead of another's)."""
    if organisation_id is None:
        return run_columns(session, _LATEST_YEAR).scalar_one_or_none()
    return run_columns(session, _ORGANISATIONS_LATEST_YEAR,
                       {"organisation_id": organisation_id}).scalar_one_or_none()


@dataclass
class OrganisationStatus:
    code: str
    name: str
    total: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    overdue: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "total": self.total,
                "by_state": self.by_state, "overdue": self.overdue}


@dataclass
class CompletionStatus:
    cycle: str | None
    total: int
    by_state: dict[str, int]
    overdue: int
    organisations: list[OrganisationStatus]

    def as_dict(self) -> dict[str, object]:
        return {"cycle": self.cycle, "total": self.total, "by_state": self.by_state,
                "overdue": self.overdue,
                "organisations": [o.as_dict() for o in self.organisations]}


def completion_status(session: Session, *, year: str | None = None,
                      organisation_code: str | None = None, today: date | None = None
                      ) -> CompletionStatus:
    """Counts by state and overdue, nationally and per organisation, in one grouped query."""
    year = year or latest_year(session)
    today = today or day_of(session)
    due = _current_due_column()
    statement = (
        select(col(Organisation.code), col(Organisation.name), col(Appraisal.state), func.count(),
               func.sum(case((due < today, 1), else_=0)))
        .join(Cycle, col(Cycle.id) == Appraisal.cycle_id)
        .join(Organisation, col(Organisation.id) == Appraisal.organisation_id)
        .where(col(Cycle.year) == year)
        .group_by(col(Organisation.code), col(Organisation.name), col(Appraisal.state))
        .order_by(col(Organisation.code))
    )
    if organisation_code:
        statement = statement.where(col(Organisation.code) == organisation_code.upper())
    organisations: dict[str, OrganisationStatus] = {}
    totals: Counter[str] = Counter()
    overdue_total = 0
    for code, name, state, count, overdue in session.execute(statement):
        org = organisations.setdefault(code, OrganisationStatus(code, name))
        org.by_state[state.value] = count
        org.total += count
        org.overdue += int(overdue or 0)
        totals[state.value] += count
        overdue_total += int(overdue or 0)
    ordered = {s.value: totals[s.value] for s in AppraisalState if totals[s.value]}
    return CompletionStatus(year, sum(totals.values()), ordered, overdue_total,
                            list(organisations.values()))


@dataclass(frozen=True)
class AppraisalRow:
    """One appraisal as a line in a list: status metadata only, never content."""

    id: int
    year: str
    organisation_code: str
    organisation_name: str
    appraisee_name: str
    appraisee_email: str
    role: BoardRole
    appraiser_name: str | None
    state: AppraisalState
    self_assessment_due: date
    review_due: date
    sign_off_due: date
    current_due: date | None
    nhse_due: date | None
    meeting_date: date | None
    signed_by_appraisee: bool
    signed_by_appraiser: bool
    interim: bool

    def overdue(self, today: date) -> bool:
        return self.current_due is not None and self.current_due < today

    def as_dict(self, today: date) -> dict[str, object]:
        data = {k: (v.isoformat() if isinstance(v, date) else
                    (v.value if hasattr(v, "value") else v)) for k, v in vars(self).items()}
        data["overdue"] = self.overdue(today)
        return data


@cache
def _row_statement() -> tuple[Select[Any], Any, Any]:
    """The joins behind every list row, built once (building them costs more than running
    them): the statement, the appraisee alias and the current-due column."""
    appraisee = aliased(Person)
    appraiser = aliased(Person)
    sign_appraisee = aliased(Signature)
    sign_appraiser = aliased(Signature)
    due = _current_due_column().label("current_due")
    statement = (
        select(col(Appraisal.id), col(Cycle.year), col(Organisation.code), col(Organisation.name),
               col(appraisee.name), col(appraisee.email), col(Appointment.role),
               col(appraiser.name), col(Appraisal.state), col(Appraisal.self_assessment_due),
               col(Appraisal.review_due), col(Appraisal.sign_off_due), due, col(Appraisal.nhse_due),
               col(Appraisal.meeting_date), col(sign_appraisee.id), col(sign_appraiser.id),
               col(Appointment.interim))
        .join(Cycle, col(Cycle.id) == Appraisal.cycle_id)
        .join(Organisation, col(Organisation.id) == Appraisal.organisation_id)
        .join(Appointment, col(Appointment.id) == Appraisal.appointment_id)
        .join(appraisee, col(appraisee.id) == col(Appraisal.appraisee_id))
        .outerjoin(appraiser, col(appraiser.id) == col(Appraisal.appraiser_id))
        .outerjoin(sign_appraisee, and_(
            col(sign_appraisee.appraisal_id) == col(Appraisal.id),
            col(sign_appraisee.record_version) == col(Appraisal.record_version),
            col(sign_appraisee.role) == SignatureRole.APPRAISEE))
        .outerjoin(sign_appraiser, and_(
            col(sign_appraiser.appraisal_id) == col(Appraisal.id),
            col(sign_appraiser.record_version) == col(Appraisal.record_version),
            col(sign_appraiser.role) == SignatureRole.APPRAISER))
    )
    return statement, appraisee, due


_ROW_FILTERS = ("year", "organisation_code", "state", "states", "appraiser_id", "appraisee_id",
                "organisation_ids")


@cache
def _rows_statement(filters: frozenset[str], order_by_due: bool) -> Select[Any]:
    """The list-row statement for one combination of filters, built once (bound parameters
    carry the values, so SQLAlchemy's compiled form is reused too)."""
    statement, appraisee, due = _row_statement()
    conditions = {
        "year": col(Cycle.year) == bindparam("year"),
        "organisation_code": col(Organisation.code) == bindparam("organisation_code"),
        "state": col(Appraisal.state) == bindparam("state"),
        "states": col(Appraisal.state).in_(bindparam("states", expanding=True)),
        "appraiser_id": col(Appraisal.appraiser_id) == bindparam("appraiser_id"),
        "appraisee_id": col(Appraisal.appraisee_id) == bindparam("appraisee_id"),
        "organisation_ids": col(Appraisal.organisation_id).in_(
            bindparam("organisation_ids", expanding=True)),
    }
    for name in _ROW_FILTERS:
        if name in filters:
            statement = statement.where(conditions[name])
    if order_by_due:
        return statement.order_by(or_(due.is_(None)), due, col(Appraisal.id))
    return statement.order_by(col(Organisation.code), col(appraisee.name), col(Appraisal.id))


def appraisal_rows(session: Session, *, year: str | None = None,
                   organisation_code: str | None = None, state: AppraisalState | None = None,
                   states: Set[AppraisalState] | None = None,
                   appraiser_id: int | None = None, appraisee_id: int | None = None,
                   organisation_ids: list[int] | None = None, limit: int | None = None,
                   order_by_due: bool = False) -> list[AppraisalRow]:
    """Appraisals as list rows, filtered in SQL (no query per row)."""
    given = {"year": year or None,
             "organisation_code": organisation_code.upper() if organisation_code else None,
             "state": state or None, "states": sorted(states) if states else None,
             "appraiser_id": appraiser_id, "appraisee_id": appraisee_id,
             "organisation_ids": organisation_ids}
    values = {name: value for name, value in given.items() if value is not None}
    statement = _rows_statement(frozenset(values), order_by_due)
    if limit:
        statement = statement.limit(limit)
    return [AppraisalRow(*row[:15], row[15] is not None, row[16] is not None, row[17])  # type: ignore[call-arg]  # a Row[Any] slice reads as 1
            for row in run_columns(session, statement, values)]


def appraiser_queue(session: Session, appraiser_id: int) -> list[AppraisalRow]:
    """The appraisals awaiting this appraiser: soonest due first."""
    return appraisal_rows(session, appraiser_id=appraiser_id, states=AWAITING_APPRAISER,
                          order_by_due=True)


@dataclass(frozen=True)
class SecretaryAccess:
    """A company secretary in post and whether the chair has delegated content to them."""

    name: str
    email: str
    delegated: bool


def secretary_access(session: Session, organisation_id: int, *, on: date | None = None
                     ) -> list[SecretaryAccess]:
    """The organisation's company secretaries in post, with their access to content."""
    day = on or day_of(session)
    live = (select(col(ContentDelegation.delegate_id))
            .where(col(ContentDelegation.organisation_id) == organisation_id,
                   col(ContentDelegation.revoked_at).is_(None))
            .scalar_subquery())
    rows = session.execute(
        select(col(Person.name), col(Person.email), col(Person.id).in_(live))
        .join(Appointment, col(Appointment.person_id) == Person.id)
        .where(col(Appointment.organisation_id) == organisation_id,
               col(Appointment.role) == BoardRole.COMPANY_SECRETARY,
               col(Appointment.start_date) <= day,
               or_(col(Appointment.end_date).is_(None), col(Appointment.end_date) >= day))
        .order_by(col(Person.name))
    ).all()
    return [SecretaryAccess(name, email, bool(delegated)) for name, email, delegated in rows]


def company_secretaries(session: Session, organisation_ids: set[int], *,
                        on: date | None = None) -> dict[int, list[tuple[str, str]]]:
    """(name, email) of the company secretaries in post, per organisation, in one query."""
    day = on or day_of(session)
    found: dict[int, list[tuple[str, str]]] = {}
    for organisation_id, name, email in session.execute(
        select(col(Appointment.organisation_id), col(Person.name), col(Person.email))
        .join(Person, col(Person.id) == Appointment.person_id)
        .where(col(Appointment.role) == BoardRole.COMPANY_SECRETARY,
               col(Appointment.organisation_id).in_(organisation_ids),
               col(Appointment.start_date) <= day,
               or_(col(Appointment.end_date).is_(None), col(Appointment.end_date) >= day))
        .order_by(col(Person.email))
    ):
        found.setdefault(organisation_id, []).append((name, email))
    return found
