"""The chair's annual FPPT submission to NHS England's regional director, kept sealed
with the date and by whom; and its reminders to the company secretary and the chair."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import record_event
from ..clock import moment_of
from ..errors import InvalidTransition, NotAllowed, ValidationFailed
from ..fppt_checklist import SELF_ATTESTATION
from ..fppt_queries import (
    ReferenceRow,
    board_year,
    references,
    sign_off_counts,
    submission_deadline,
    submission_state,
)
from ..fppt_status import year_bounds
from ..fppt_tables import BoardMemberReference, FPPTCheckEntry, FPPTSubmission, FPPTYear
from ..fppt_vocabulary import FPPTYearState, ReferenceState
from ..models import Appointment, Organisation, Person
from ..names import text_problems
from ..outbox import QueuedMessage, queue_messages
from ..vocabulary import BoardRole
from .access import current_roles
from .fppt_access import board_members_in_role, chairs_signer
from .fppt_references import reference_path
from .fppt_years import attestation_path, year_path

# Days before the deadline on which the secretary and the chair are reminded.
SUBMISSION_REMINDER_DAYS = (28, 7, 0)
REFERENCE_REMINDER_DAYS = (7, 0)


def default_declaration(organisation: str, year: str) -> str:
    return (f"As chair of {organisation}, I declare that the fit and proper person test has "
            f"been carried out for each board member for {year}, that I have reviewed each "
            "board member's evidence, and that the outcomes below are those signed off.")


def submission_path(organisation_id: int, year: str) -> str:
    return f"/fppt/boards/{organisation_id}/{year.replace('/', '-')}"


def submission_gaps(session: Session, organisation_id: int, year: str) -> list[str]:
    """Board members whose FPPT is neither signed off nor marked not required."""
    return [f"{m.name}: the FPPT is {m.year.state.label.lower()}"
            for m in board_year(session, organisation_id, year)
            if m.year.state not in (FPPTYearState.SIGNED_OFF, FPPTYearState.NOT_REQUIRED)]


def check_may_submit(session: Session, actor: Actor, organisation_id: int, year: str,
                     today: date) -> None:
    """Raises unless the actor chairs the board and every member is signed off.

    Raises:
        NotAllowed: not the chair in post.
        InvalidTransition: already submitted.
        ValidationFailed: members not yet signed off (each named).
    """
    if actor.person_id is None or BoardRole.CHAIR not in current_roles(
            session, actor.person_id, organisation_id, on=today):
        raise NotAllowed("Only the chair makes the annual FPPT submission.")
    if submission_state(session, organisation_id, year).submitted is not None:
        raise InvalidTransition(f"The {year} FPPT submission was already made.")
    gaps = submission_gaps(session, organisation_id, year)
    if gaps:
        raise ValidationFailed("The submission cannot be made yet.", gaps)


def record_submission(*, session: Session, actor: Actor, organisation_id: int, year: str,
                      declaration: str, pdf: bytes, xlsx: bytes, today: date
                      ) -> FPPTSubmission:
    """Keep the sealed submission (rendered and sealed by ``records``), with its date and
    who made it; audited.

    Raises:
        as :func:`check_may_submit`; ValidationFailed for an empty declaration.
    """
    check_may_submit(session, actor, organisation_id, year, today)
    problems = [] if declaration.strip() else ["declaration: write the chair's declaration"]
    problems += text_problems({"the declaration": declaration})
    if problems:
        raise ValidationFailed("The submission was not recorded.", problems)
    submission = FPPTSubmission(
        organisation_id=organisation_id, year=year, declaration=declaration.strip(),
        submitted_by_id=actor.person_id, submitted_by_label=actor.label, submitted_on=today,
        pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), xlsx=xlsx, recorded_at=moment_of(session))
    session.add(submission)
    session.flush()
    record_event(session, actor, "fppt_submitted", subject_type="fppt_submission",
                 subject_id=submission.id or 0, organisation_id=organisation_id,
                 details={"year": year, "sha256": submission.sha256, "submitted_on": today})
    return submission


def leavers_in_year(session: Session, organisation_id: int, year: str) -> list[ReferenceRow]:
    starts, ends = year_bounds(year)
    return references(session, organisation_id=organisation_id, left_between=(starts, ends))


def _people_to_remind(session: Session, organisation_id: int, today: date
                      ) -> list[tuple[str, str]]:
    return [(name, email) for name, email in session.execute(
        select(col(Person.name), col(Person.email))
        .join(Appointment, col(Appointment.person_id) == Person.id)
        .where(col(Appointment.organisation_id) == organisation_id,
               col(Appointment.role).in_([BoardRole.CHAIR, BoardRole.COMPANY_SECRETARY]),
               col(Appointment.start_date) <= today,
               col(Appointment.end_date).is_(None) | (col(Appointment.end_date) >= today))
        .order_by(col(Person.email))).tuples()]


def queue_fppt_reminders(*, session: Session, today: date) -> int:
    """Queue the FPPT's reminders due today, once each: the annual submission (to the
    company secretary and the chair, ahead of and after its deadline), each director's
    self-attestation, each year ready for sign-off (to the chair; the senior independent
    director or deputy chair for the chair's) and each open Board Member Reference (to
    the company secretary, ahead of and after its due date).

    Returns:
        How many messages were new.
    """
    messages: list[QueuedMessage] = []
    open_years = session.execute(
        select(col(FPPTYear.organisation_id), col(FPPTYear.year)).distinct()).tuples().all()
    submitted = set(session.execute(select(col(FPPTSubmission.organisation_id),
                                           col(FPPTSubmission.year))).tuples())
    for organisation_id, year in open_years:
        # The day first (no reminder most days), then what is already submitted: no read
        # of any board on a day without a reminder.
        deadline = submission_deadline(year)
        stage = _stage(today, deadline, SUBMISSION_REMINDER_DAYS)
        if stage is None or (organisation_id, year) in submitted:
            continue
        organisation = session.get(Organisation, organisation_id)
        assert organisation is not None
        signed, members = next((signed, members) for counted, signed, members
                               in sign_off_counts(session, organisation_id) if counted == year)
        messages += [QueuedMessage(
            f"fppt_submission:{organisation_id}:{year}:{stage}:{email}", "fppt_submission",
            email, name, None, {"organisation": organisation.name, "year": year,
                                "due": deadline.isoformat(), "stage": stage,
                                "signed_off": signed, "members": members,
                                "path": submission_path(organisation_id, year)})
            for name, email in _people_to_remind(session, organisation_id, today)]
    messages += _attestation_requests(session)
    messages += sign_off_requests(session, today)
    for reference in session.execute(select(BoardMemberReference).where(
            col(BoardMemberReference.state) == ReferenceState.OPEN)).scalars():
        # Told once when it opens, then ahead of and after its due date.
        stage = _stage(today, reference.due_on, REFERENCE_REMINDER_DAYS) or "opened"
        organisation = session.get(Organisation, reference.organisation_id)
        person = session.get(Person, reference.person_id)
        assert organisation is not None and person is not None
        messages += [QueuedMessage(
            f"reference_reminder:{reference.id}:{stage}:{email}", "fppt_reference", email,
            name, None, {"organisation": organisation.name, "appraisee_name": person.name,
                         "due": reference.due_on.isoformat(), "stage": stage,
                         "path": reference_path(reference.id or 0)})
            for name, email in _people_to_remind(session, reference.organisation_id, today)
            if (name, email) != (person.name, person.email)]
    return queue_messages(session, messages)


def _stage(today: date, due: date, days_before: tuple[int, ...]) -> str | None:
    """The reminder stage of ``today`` (days before due, or "overdue" once it has passed,
    reminded once), None when no reminder is due today."""
    for days in days_before:
        if due - timedelta(days=days) == today:
            return str(days)
    if today > due:
        return "overdue"
    return None


def _attestation_requests(session: Session) -> list[QueuedMessage]:
    """Each director of a year not yet attested is asked once for the self-attestation."""
    attested = select(col(FPPTCheckEntry.fppt_year_id)).where(
        col(FPPTCheckEntry.check_id) == SELF_ATTESTATION)
    rows = session.execute(
        select(FPPTYear, col(Person.name), col(Person.email), col(Organisation.name))
        .join(Person, col(Person.id) == FPPTYear.person_id)
        .join(Organisation, col(Organisation.id) == FPPTYear.organisation_id)
        .where(col(FPPTYear.state).in_([FPPTYearState.NOT_STARTED,
                                        FPPTYearState.IN_PROGRESS]),
               col(FPPTYear.id).not_in(attested))).tuples()
    return [QueuedMessage(f"fppt_attestation:{year.id}", "fppt_attestation", email, name,
                          None, {"organisation": organisation, "year": year.year,
                                 "path": attestation_path(year.id or 0)})
            for year, name, email, organisation in rows]


def sign_off_requests(session: Session, today: date, *, year_id: int | None = None
                      ) -> list[QueuedMessage]:
    """Whoever signs a year off is told once, when every applicable check is recorded:
    the chair, or for the chair's own year the senior independent director (the deputy
    chair where there is none). Every year ready for sign-off, or only ``year_id``'s."""
    messages = []
    query = (select(FPPTYear, col(Person.name), col(Organisation.name))
             .join(Person, col(Person.id) == FPPTYear.person_id)
             .join(Organisation, col(Organisation.id) == FPPTYear.organisation_id)
             .where(col(FPPTYear.state) == FPPTYearState.READY_FOR_SIGN_OFF))
    if year_id is not None:
        query = query.where(col(FPPTYear.id) == year_id)
    rows = session.execute(query).tuples()
    for year, member, organisation in rows:
        signer = (chairs_signer(session, year.organisation_id, today)
                  if year.role is BoardRole.CHAIR else BoardRole.CHAIR)
        messages += [QueuedMessage(
            f"fppt_sign_off:{year.id}:{email}", "fppt_sign_off", email, name, None,
            {"organisation": organisation, "year": year.year, "appraisee_name": member,
             "path": year_path(year.id or 0)})
            for name, email in board_members_in_role(session, year.organisation_id, signer,
                                                     today, besides=year.person_id)]
    return messages
