"""Where an FPPT year stands: which checks apply, their current entries, what is missing
(read models for the services, the portal, the exports and the submission)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from .date_words import long_date
from .fppt_checklist import SELF_ATTESTATION, AppliesTo, Check, CheckDue, Checklist
from .fppt_tables import FPPTCheckEntry, FPPTYear
from .fppt_vocabulary import CheckOutcome
from .models import Appointment, Person
from .vocabulary import BoardRole

EXECUTIVE_ROLES = frozenset({BoardRole.CHIEF_EXECUTIVE, BoardRole.EXECUTIVE_DIRECTOR})


def year_bounds(year: str) -> tuple[date, date]:
    """``"2025/26"`` -> (1 April 2025, 31 March 2026): the year must already be checked."""
    start = int(year[:4])
    return date(start, 4, 1), date(start + 1, 3, 31)


@dataclass(frozen=True)
class CheckStatus:
    """One check of a year: whether it applies, its current entry, and what it lacks."""

    check: Check
    applies: bool
    why_not: str
    entry: FPPTCheckEntry | None
    history: tuple[FPPTCheckEntry, ...]

    @property
    def recorded(self) -> bool:
        return self.entry is not None

    @property
    def needs_mitigation(self) -> bool:
        return (self.entry is not None and self.entry.outcome is CheckOutcome.CONCERN
                and not self.entry.mitigation.strip())

    def overdue(self, today: date, due: date) -> bool:
        return self.applies and self.entry is None and today > due


def current_entries(entries: list[FPPTCheckEntry]) -> dict[str, FPPTCheckEntry]:
    """The newest entry of each check that no later entry supersedes."""
    superseded = {e.supersedes_id for e in entries if e.supersedes_id is not None}
    current: dict[str, FPPTCheckEntry] = {}
    for entry in sorted(entries, key=lambda e: e.id or 0):
        if entry.id not in superseded:
            current[entry.check_id] = entry
    return current


def year_entries(session: Session, fppt_year_id: int) -> list[FPPTCheckEntry]:
    return list(session.execute(select(FPPTCheckEntry).where(
        FPPTCheckEntry.fppt_year_id == fppt_year_id).order_by(col(FPPTCheckEntry.id))).scalars())


def earlier_entries(session: Session, organisation_id: int, year: str,
                    person_ids: Collection[int]) -> dict[int, list[FPPTCheckEntry]]:
    """Each person's check entries on the board in the years before ``year``: what says
    whether a check due every N years is due again."""
    found: dict[int, list[FPPTCheckEntry]] = {person_id: [] for person_id in person_ids}
    for entry, person_id in session.execute(
            select(FPPTCheckEntry, col(FPPTYear.person_id))
            .join(FPPTYear, col(FPPTYear.id) == FPPTCheckEntry.fppt_year_id)
            .where(col(FPPTYear.organisation_id) == organisation_id,
                   col(FPPTYear.year) < year, col(FPPTYear.person_id).in_(person_ids))
            .order_by(col(FPPTCheckEntry.id))).tuples():
        found[person_id].append(entry)
    return found


def _done_within(earlier: list[FPPTCheckEntry], check: Check, since: date) -> bool:
    """Whether an earlier year of the same person and board recorded ``check`` on or after
    ``since`` (a check due every N years is then not due again yet)."""
    return any(e.done_on >= since and e.outcome is not CheckOutcome.NOT_APPLICABLE
               for e in current_entries([e for e in earlier if e.check_id == check.id])
               .values())


def applicability(session: Session, year: FPPTYear, check: Check, appointment: Appointment,
                  earlier: list[FPPTCheckEntry] | None = None, *,
                  clinically_registered: bool | None = None) -> tuple[bool, str]:
    """Whether ``check`` applies to the year, and why not when it does not. ``earlier`` is
    the person's entries of earlier years (:func:`earlier_entries`) and
    ``clinically_registered`` theirs, each read here if not given."""
    starts, ends = year_bounds(year.year)
    if check.applies_to is AppliesTo.EXECUTIVE and year.role not in EXECUTIVE_ROLES:
        return False, "executive directors only"
    if check.applies_to is AppliesTo.CLINICALLY_REGISTERED:
        if clinically_registered is None:
            person = session.get(Person, year.person_id)
            assert person is not None  # a year's person is never deleted
            clinically_registered = person.clinically_registered
        if not clinically_registered:
            return False, "clinically registered members only"
    if check.due is CheckDue.AT_APPOINTMENT and appointment.start_date < starts:
        return False, f"done at appointment ({long_date(appointment.start_date)})"
    if check.due is CheckDue.EVERY_N_YEARS and check.every_years:
        since = date(ends.year - check.every_years, ends.month, ends.day)
        if earlier is None:
            earlier = earlier_entries(session, year.organisation_id, year.year,
                                      [year.person_id])[year.person_id]
        if _done_within(earlier, check, since):
            return False, f"done within the last {check.every_years} years"
    return True, ""


def check_statuses(session: Session, year: FPPTYear, checklist: Checklist, *,
                   entries: list[FPPTCheckEntry] | None = None,
                   earlier: list[FPPTCheckEntry] | None = None) -> list[CheckStatus]:
    """Every check of the year's checklist, in the file's order. ``entries`` (the year's,
    by id) and ``earlier`` (:func:`earlier_entries`) are read here unless a caller reading
    a whole board gives them."""
    appointment = session.get(Appointment, year.appointment_id)
    assert appointment is not None  # a year's appointment is never deleted
    if entries is None:
        entries = year_entries(session, year.id or 0)
    current = current_entries(entries)
    person = session.get(Person, year.person_id)
    assert person is not None  # a year's person is never deleted
    statuses = []
    for check in checklist.checks:
        applies, why_not = applicability(session, year, check, appointment, earlier,
                                         clinically_registered=person.clinically_registered)
        statuses.append(CheckStatus(check, applies, why_not, current.get(check.id),
                                    tuple(e for e in entries if e.check_id == check.id)))
    return statuses


def missing_for_sign_off(statuses: list[CheckStatus]) -> list[str]:
    """What stops the sign-off: each applicable check not recorded, each concern without
    its mitigation."""
    problems = [f"{s.check.name}: not recorded yet" for s in statuses
                if s.applies and not s.recorded]
    problems += [f"{s.check.name}: a concern needs a mitigation note" for s in statuses
                 if s.applies and s.needs_mitigation]
    return problems


def self_attestation_entry(statuses: list[CheckStatus]) -> FPPTCheckEntry | None:
    return next((s.entry for s in statuses if s.check.id == SELF_ATTESTATION), None)


def has_concern(statuses: list[CheckStatus]) -> bool:
    return any(s.applies and s.entry is not None and s.entry.outcome is CheckOutcome.CONCERN
               for s in statuses)
