"""Each board member's FPPT year: opened with the cycle (every board member in post, their
appraisal under way, deferred or later withdrawn) and at appointment during the year;
found by person, board and year; and what an appraisal needs of it before it is agreed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import PendingEvent, record_events
from ..errors import NotFound, ValidationFailed
from ..fppt_status import year_bounds
from ..fppt_tables import FPPTYear
from ..fppt_vocabulary import FPPTOutcome, FPPTYearState
from ..models import Appointment, Appraisal, Cycle, FPPTAttestation, Organisation, Person
from ..upsert import dialect_insert
from ..vocabulary import FPPTStatus
from .fppt_checklists import current_checklist_version


def attestation_path(fppt_year_id: int) -> str:
    return f"/fppt/assessments/{fppt_year_id}/attest"


def year_path(fppt_year_id: int) -> str:
    return f"/fppt/assessments/{fppt_year_id}"


def open_fppt_years(*, session: Session, actor: Actor, organisation_ids: Sequence[int],
                    year: str, today: date) -> int:
    """Open the year's FPPT assessment of every board member of the organisations: those
    in post on ``today`` (whatever their appraisal's state: under way, deferred, later
    withdrawn) and those whose appointment starts later in the year. Safe to re-run.

    Returns:
        How many were opened.
    """
    starts, ends = year_bounds(year)
    on = max(min(today, ends), starts)
    appointments = session.execute(
        select(Appointment).where(
            col(Appointment.organisation_id).in_(organisation_ids),
            col(Appointment.start_date) <= ends,
            (col(Appointment.end_date).is_(None)) | (col(Appointment.end_date) >= on))
        .order_by(col(Appointment.start_date))).scalars()
    return _open_for(session, actor, [a for a in appointments if a.role.is_board_member],
                     year)


def open_at_appointment(*, session: Session, actor: Actor,
                        appointments: Sequence[Appointment]) -> int:
    """A new appointment during a year whose cycle is open gets its FPPT year now."""
    opened = 0
    for appointment in appointments:
        if not appointment.role.is_board_member:
            continue
        cycle_years = list(session.execute(select(col(Cycle.year)).where(
            col(Cycle.organisation_id) == appointment.organisation_id,
            col(Cycle.starts_on) <= appointment.start_date,
            col(Cycle.ends_on) >= appointment.start_date)).scalars())
        for year in cycle_years:
            opened += _open_for(session, actor, [appointment], year)
    return opened


def _open_for(session: Session, actor: Actor, appointments: Sequence[Appointment],
              year: str) -> int:
    if not appointments:
        return 0
    checklist = current_checklist_version(session, actor)
    existing = set(session.execute(select(
        col(FPPTYear.organisation_id), col(FPPTYear.person_id)).where(
        col(FPPTYear.year) == year,
        col(FPPTYear.organisation_id).in_({a.organisation_id for a in appointments}))
    ).tuples())
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for a in appointments:
        key = (a.organisation_id, a.person_id)
        if key in existing:
            continue
        # A person with two appointments on one board has one FPPT: the latest role's.
        rows[key] = {"organisation_id": a.organisation_id, "person_id": a.person_id,
                     "appointment_id": a.id, "role": a.role, "year": year,
                     "checklist_version_id": checklist.id,
                     "state": FPPTYearState.NOT_STARTED}
    if not rows:
        return 0
    session.connection().execute(
        dialect_insert(session.get_bind().dialect.name)(FPPTYear).on_conflict_do_nothing(
            index_elements=["organisation_id", "person_id", "year"]), list(rows.values()))
    opened = list(session.execute(select(FPPTYear).where(
        col(FPPTYear.year) == year,
        col(FPPTYear.appointment_id).in_([r["appointment_id"] for r in rows.values()]))
    ).scalars())
    # The director is asked for the self-attestation by the next daily sweep
    # (``services.fppt_submissions.queue_fppt_reminders``), not here.
    record_events(session, actor, [
        PendingEvent("fppt_opened", "fppt_year", y.id or 0, y.organisation_id,
                     {"year": year, "person_id": y.person_id, "role": y.role.value,
                      "checklist_version_id": y.checklist_version_id})
        for y in opened])
    return len(opened)


def find_year(session: Session, *, email: str, organisation_code: str | None,
              year: str | None) -> FPPTYear:
    """The FPPT year of the person with ``email`` (on the board of ``organisation_code``,
    in ``year``; the latest when not given).

    Raises:
        NotFound: nobody with that email was on that board that year.
    """
    statement = (select(FPPTYear).join(Person, col(Person.id) == FPPTYear.person_id)
                 .join(Organisation, col(Organisation.id) == FPPTYear.organisation_id)
                 .where(col(Person.email) == email.strip().lower()))
    if organisation_code:
        statement = statement.where(col(Organisation.code) == organisation_code.strip().upper())
    if year:
        statement = statement.where(col(FPPTYear.year) == year.strip())
    newest_first = statement.order_by(col(FPPTYear.year).desc())
    years: list[FPPTYear] = list(session.execute(newest_first).scalars())
    where = (f" of {organisation_code.upper()}" if organisation_code else "") + (
        f" in {year}" if year else "")
    if not years:
        raise NotFound(f"{email} is not on the board{where} with an FPPT assessment "
                       "(see 'appraisal fppt status').")
    if organisation_code is None and len({y.organisation_id for y in years}) > 1:
        raise ValidationFailed(f"{email} is on more than one board: name it with --org.")
    return years[0]


def fppt_year_of(session: Session, *, organisation_id: int, person_id: int,
                 year: str) -> FPPTYear | None:
    found: FPPTYear | None = session.execute(select(FPPTYear).where(
        col(FPPTYear.organisation_id) == organisation_id, col(FPPTYear.person_id) == person_id,
        col(FPPTYear.year) == year)).scalar_one_or_none()
    return found


def appraisal_fppt_gaps(session: Session, *, organisation_id: int, person_id: int,
                        year: str, confirmed: FPPTStatus | None) -> list[str]:
    """What the FPPT asks of an appraisal before it is agreed: nothing when the year is
    signed off (its outcome stands instead of the appraiser's confirmation), unless it is
    "not fit and proper" without the chair's recorded decision."""
    fppt = fppt_year_of(session, organisation_id=organisation_id, person_id=person_id,
                        year=year)
    decided = fppt is not None and bool(fppt.chair_decision)
    if fppt is not None and fppt.state is FPPTYearState.SIGNED_OFF:
        if fppt.outcome is FPPTOutcome.NOT_FIT_AND_PROPER and not decided:
            return ["fppt: the FPPT was signed off as not fit and proper; the chair must "
                    "record a decision before the appraisal is agreed"]
        return []
    if confirmed is None:
        return ["fppt: confirm the fit and proper person test status"]
    if confirmed is FPPTStatus.NOT_FIT_AND_PROPER and not decided:
        return ["fppt: not fit and proper: the FPPT must be signed off and the chair's "
                "decision recorded before the appraisal is agreed"]
    return []


def fppt_outcome_label(session: Session, appraisal: Appraisal) -> str:
    """The FPPT outcome to report for an appraisal (the NHS England submission index):
    the chair's sign-off of the person's FPPT year for the appraisal's year where there is
    one, else the appraiser's confirmation in the appraisal (appraisals from before the
    FPPT year), else "Not confirmed"."""
    cycle = session.get(Cycle, appraisal.cycle_id)
    year = (fppt_year_of(session, organisation_id=appraisal.organisation_id,
                         person_id=appraisal.appraisee_id, year=cycle.year)
            if cycle is not None else None)
    if year is not None and year.outcome is not None:
        return year.outcome.label
    confirmed = session.execute(select(col(FPPTAttestation.status)).where(
        col(FPPTAttestation.appraisal_id) == appraisal.id)).scalar_one_or_none()
    return confirmed.label if confirmed else "Not confirmed"
