"""Read models of the FPPT: a board's year member by member, and the references."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from .config import settings
from .errors import NotFound
from .fppt_checklist import Checklist
from .fppt_status import (
    CheckStatus,
    check_statuses,
    earlier_entries,
    self_attestation_entry,
    year_bounds,
)
from .fppt_tables import (
    BoardMemberReference,
    FPPTCheckEntry,
    FPPTChecklistVersion,
    FPPTSubmission,
    FPPTYear,
    ReferenceReceived,
)
from .fppt_vocabulary import FPPTOutcome, FPPTYearState, ReferenceState
from .models import Appointment, Organisation, Person
from .vocabulary import BoardRole


@dataclass(frozen=True)
class MemberYear:
    """One board member's FPPT year as the dashboard, the exports and the submission show it."""

    year: FPPTYear
    name: str
    email: str
    staff_number: str | None
    interim: bool
    left_on: date | None
    checks: list[CheckStatus]
    signed_off_by: str | None
    clinically_registered: bool = False

    @property
    def applicable(self) -> list[CheckStatus]:
        return [c for c in self.checks if c.applies]

    @property
    def recorded(self) -> int:
        return sum(1 for c in self.applicable if c.recorded)

    def overdue(self, today: date) -> list[CheckStatus]:
        _, ends = year_bounds(self.year.year)
        if self.year.state in (FPPTYearState.SIGNED_OFF, FPPTYearState.NOT_REQUIRED):
            return []
        return [c for c in self.applicable if c.overdue(today, ends)]

    @property
    def self_attested_on(self) -> date | None:
        entry = self_attestation_entry(self.checks)
        return entry.done_on if entry is not None else None

    @property
    def mitigation(self) -> str:
        return "; ".join(f"{c.check.name}: {c.entry.mitigation}" for c in self.applicable
                         if c.entry is not None and c.entry.mitigation)


@dataclass(frozen=True)
class SubmissionState:
    deadline: date
    submitted: FPPTSubmission | None

    def overdue(self, today: date) -> bool:
        return self.submitted is None and today > self.deadline


def submission_deadline(year: str) -> date:
    """The annual submission's deadline: the setting's day and month in the year the
    financial year closes (30 June by default; a date to confirm with NHS England)."""
    month, day = (int(part) for part in settings().fppt_submission_deadline.split("-"))
    return date(year_bounds(year)[1].year, month, day)


def submission_state(session: Session, organisation_id: int, year: str) -> SubmissionState:
    submitted: FPPTSubmission | None = session.execute(select(FPPTSubmission).where(
        col(FPPTSubmission.organisation_id) == organisation_id,
        col(FPPTSubmission.year) == year)).scalar_one_or_none()
    return SubmissionState(submission_deadline(year), submitted)


# Parsed checklists by content hash: a stored version never changes, and its id alone
# would not do (ids repeat across stores, a test's or a benchmark's).
_checklists: dict[str, Checklist] = {}


def pinned_checklist(session: Session, version_id: int) -> Checklist:
    """The checklist version a year pinned, parsed once per content (its hash is read on
    every call, its content only the first time).

    Raises:
        NotFound: no such version.
    """
    from .fppt_checklist import checklist_from_dict

    content_hash = session.execute(select(col(FPPTChecklistVersion.content_hash)).where(
        col(FPPTChecklistVersion.id) == version_id)).scalar_one_or_none()
    if content_hash is None:
        raise NotFound(f"There is no FPPT checklist version {version_id}.")
    found = _checklists.get(content_hash)
    if found is None:
        content = session.execute(select(col(FPPTChecklistVersion.content)).where(
            col(FPPTChecklistVersion.id) == version_id)).scalar_one()
        found = _checklists[content_hash] = checklist_from_dict(content)
    return found


def member_year(session: Session, year: FPPTYear, *,
                entries: list[FPPTCheckEntry] | None = None,
                earlier: list[FPPTCheckEntry] | None = None) -> MemberYear:
    """One board member's year; ``entries`` and ``earlier`` as for ``check_statuses``."""
    person = session.get(Person, year.person_id)
    appointment = session.get(Appointment, year.appointment_id)
    assert person is not None and appointment is not None
    signer = session.get(Person, year.signed_off_by_id) if year.signed_off_by_id else None
    statuses = check_statuses(session, year, pinned_checklist(session, year.checklist_version_id),
                              entries=entries, earlier=earlier)
    return MemberYear(year, person.name, person.email, person.staff_number,
                      appointment.interim, appointment.end_date, statuses,
                      signer.name if signer else None, person.clinically_registered)


_ROLE_ORDER = list(BoardRole)


def board_year(session: Session, organisation_id: int, year: str) -> list[MemberYear]:
    """Every board member's FPPT year of the organisation, the chair first."""
    years = list(session.execute(select(FPPTYear).where(
        col(FPPTYear.organisation_id) == organisation_id, col(FPPTYear.year) == year)).scalars())
    # The board read in a few statements, not several a member: the people (signers too)
    # and appointments into the session, held here while the members are built (the
    # session's identity map keeps only what something refers to), and every entry of this
    # year and the earlier ones.
    people = {y.person_id for y in years} | {y.signed_off_by_id for y in years
                                             if y.signed_off_by_id is not None}
    held = [*session.execute(select(Person).where(col(Person.id).in_(people))).scalars(),
            *session.execute(select(Appointment).where(
                col(Appointment.id).in_([y.appointment_id for y in years]))).scalars()]
    entries: dict[int, list[FPPTCheckEntry]] = {y.id or 0: [] for y in years}
    for entry in session.execute(select(FPPTCheckEntry).where(
            col(FPPTCheckEntry.fppt_year_id).in_(list(entries)))
            .order_by(col(FPPTCheckEntry.id))).scalars():
        entries[entry.fppt_year_id].append(entry)
    earlier = earlier_entries(session, organisation_id, year, {y.person_id for y in years})
    members = [member_year(session, y, entries=entries[y.id or 0], earlier=earlier[y.person_id])
               for y in years]
    del held
    return sorted(members, key=lambda m: (_ROLE_ORDER.index(m.year.role), m.name))


def sign_off_counts(session: Session, organisation_id: int) -> list[tuple[str, int, int]]:
    """Each FPPT year of the organisation, newest first: how many board members are signed
    off, of how many (counted in the database; no member's checks are read)."""
    rows = session.execute(
        select(col(FPPTYear.year), func.count(),
               func.sum(case((col(FPPTYear.state) == FPPTYearState.SIGNED_OFF, 1), else_=0)))
        .where(col(FPPTYear.organisation_id) == organisation_id)
        .group_by(col(FPPTYear.year))).tuples()
    return sorted(((year, int(signed or 0), int(members)) for year, members, signed in rows),
                  reverse=True)


def fppt_years_of(session: Session, organisation_id: int) -> list[str]:
    return sorted(set(session.execute(select(col(FPPTYear.year)).where(
        col(FPPTYear.organisation_id) == organisation_id)).scalars()), reverse=True)


@dataclass(frozen=True)
class ReferenceRow:
    reference: BoardMemberReference
    organisation_code: str
    name: str
    email: str
    role: BoardRole
    signed_by: str | None

    def overdue(self, today: date) -> bool:
        return self.reference.state is ReferenceState.OPEN and today > self.reference.due_on


def references(session: Session, *, organisation_id: int | None = None,
               left_between: tuple[date, date] | None = None) -> list[ReferenceRow]:
    statement = (select(BoardMemberReference, col(Organisation.code), col(Person.name),
                        col(Person.email), col(Appointment.role))
                 .join(Organisation,
                       col(Organisation.id) == BoardMemberReference.organisation_id)
                 .join(Person, col(Person.id) == BoardMemberReference.person_id)
                 .join(Appointment, col(Appointment.id) == BoardMemberReference.appointment_id)
                 .order_by(col(BoardMemberReference.left_on), col(Person.name)))
    if organisation_id is not None:
        statement = statement.where(
            col(BoardMemberReference.organisation_id) == organisation_id)
    if left_between is not None:
        statement = statement.where(col(BoardMemberReference.left_on).between(*left_between))
    rows = []
    for reference, code, name, email, role in session.execute(statement):
        signer = session.get(Person, reference.signed_by_id) if reference.signed_by_id else None
        rows.append(ReferenceRow(reference, code, name, email, role,
                                 signer.name if signer else None))
    return rows


def references_received(session: Session, appointment_id: int) -> list[ReferenceReceived]:
    """The references an appointment came with, the earliest received first."""
    return list(session.execute(select(ReferenceReceived).where(
        col(ReferenceReceived.appointment_id) == appointment_id).order_by(
        col(ReferenceReceived.received_on), col(ReferenceReceived.id))).scalars())


def outcome_label(outcome: FPPTOutcome | None, state: FPPTYearState) -> str:
    if outcome is not None:
        return outcome.label
    return state.label
