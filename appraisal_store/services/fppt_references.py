"""Board Member References: opened whenever an appointment ends (an end date imported, a
withdrawal, ``appraisal people leave``), completed by the organisation, signed by the
chair, sealed and kept; and the references a new appointment came with."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import record_event
from ..clock import day_of, moment_of
from ..date_words import long_date
from ..errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from ..fppt_checklist import ReferenceSection, SectionKind
from ..fppt_tables import BoardMemberReference, FPPTYear, ReferenceReceived
from ..fppt_vocabulary import FPPTYearState, ReferenceState
from ..models import Appointment, Appraisal, Organisation, Person
from ..names import field_problem, text_problems
from ..outbox import QueuedMessage, queue_messages
from ..vocabulary import OPEN_STATES, BoardRole
from .access import current_roles
from .fppt_access import board_members_in_role, chairs_signer, runs_fppt
from .fppt_checklists import checklist_of, current_checklist_version

FROM_WHOM_LONGEST = 300
COVERING_LONGEST = 200


@dataclass(frozen=True)
class SectionAnswer:
    """A section completed: a yes/no section's answer (and details), or a text section's
    text."""

    answer: bool | None = None
    text: str = ""


def reference_path(reference_id: int) -> str:
    return f"/fppt/references/{reference_id}"


def open_reference(session: Session, actor: Actor, appointment: Appointment, *,
                   left_on: date, reason: str) -> BoardMemberReference | None:
    """Open the leaver's reference (once per appointment), due within the checklist's days,
    and tell the company secretary. None for someone who is not a board member."""
    if not appointment.role.is_board_member:
        return None
    existing: BoardMemberReference | None = session.execute(select(BoardMemberReference).where(
        col(BoardMemberReference.appointment_id) == appointment.id)).scalar_one_or_none()
    if existing is not None:
        return existing
    checklist = checklist_of(session, current_checklist_version(session, actor).id or 0)
    reference = BoardMemberReference(
        organisation_id=appointment.organisation_id, person_id=appointment.person_id,
        appointment_id=appointment.id or 0, left_on=left_on, leaving_reason=reason.strip(),
        due_on=left_on + timedelta(days=checklist.reference_due_days),
        state=ReferenceState.OPEN,
        sections=[{"id": s.id, "title": s.title, "kind": s.kind.value}
                  for s in checklist.reference_sections], opened_at=moment_of(session))
    session.add(reference)
    session.flush()
    record_event(session, actor, "reference_opened", subject_type="board_member_reference",
                 subject_id=reference.id or 0, organisation_id=appointment.organisation_id,
                 details={"person_id": appointment.person_id, "left_on": left_on,
                          "reason": reason.strip(), "due_on": reference.due_on})
    # The company secretary is told by the next daily sweep
    # (``services.fppt_submissions.queue_fppt_reminders``).
    return reference


def references_on_leaving(session: Session, actor: Actor,
                          appointments: Sequence[Appointment], reason: str) -> int:
    """A reference for each ended board appointment (an import's end dates)."""
    opened = 0
    for appointment in appointments:
        if appointment.end_date is not None and open_reference(
                session, actor, appointment, left_on=appointment.end_date, reason=reason):
            opened += 1
    return opened


def reference_on_withdrawal(session: Session, actor: Actor, appraisal: Appraisal,
                            reason: str, today: date) -> None:
    """A withdrawn appraisal means the director left: their reference is opened."""
    appointment = session.get(Appointment, appraisal.appointment_id)
    if appointment is not None:
        open_reference(session, actor, appointment,
                       left_on=appointment.end_date or today, reason=reason)


def leave(*, session: Session, actor: Actor, email: str, organisation_code: str, on: date,
          reason: str, today: date) -> list[BoardMemberReference]:
    """The person leaves the organisation's board on ``on``: each appointment in post
    ends, their open appraisals are withdrawn, an FPPT year not yet begun is marked not
    required, and a Board Member Reference is opened for each appointment.

    Raises:
        NotAllowed: the actor does not administer the organisation.
        NotFound: no such person in post on that board.
        ValidationFailed: no reason, or a leaving date more than a year ahead.
    """
    from .administration import withdraw

    organisation = session.execute(select(Organisation).where(
        col(Organisation.code) == organisation_code.strip().upper())).scalar_one_or_none()
    if organisation is None:
        raise NotFound(f"There is no organisation '{organisation_code}' on record.")
    if not runs_fppt(session, actor, organisation.id or 0, on=today):
        raise NotAllowed(f"Only the chair or company secretary of {organisation.code} records "
                         "a board member leaving.")
    problems = [] if reason.strip() else ["reason: say why they are leaving"]
    problems += text_problems({"the reason": reason})
    if on > today + timedelta(days=366):
        problems.append(f"date: {on} is more than a year ahead")
    if problems:
        raise ValidationFailed("Nothing was recorded.", problems)
    person = session.execute(select(Person).where(
        col(Person.email) == email.strip().lower())).scalar_one_or_none()
    appointments = [] if person is None else list(session.execute(select(Appointment).where(
        col(Appointment.person_id) == person.id,
        col(Appointment.organisation_id) == organisation.id,
        col(Appointment.start_date) <= on,
        (col(Appointment.end_date).is_(None)) | (col(Appointment.end_date) >= on))).scalars())
    appointments = [a for a in appointments if a.role.is_board_member]
    if person is None or not appointments:
        raise NotFound(f"{email} is not on the board of {organisation.code} on {on}.")
    references = []
    for appointment in appointments:
        appointment.end_date = on
        session.add(appointment)
        record_event(session, actor, "appointment_ended", subject_type="person",
                     subject_id=person.email, organisation_id=organisation.id,
                     details={"role": appointment.role.value, "end_date": on,
                              "reason": reason.strip()})
        reference = open_reference(session, actor, appointment, left_on=on, reason=reason)
        if reference is not None:
            references.append(reference)
        for appraisal in session.execute(select(Appraisal).where(
                col(Appraisal.appointment_id) == appointment.id,
                col(Appraisal.state).in_(list(OPEN_STATES)))).scalars():
            withdraw(session=session, actor=actor, appraisal_id=appraisal.id or 0,
                     reason=f"Left the board on {on}: {reason.strip()}", today=today)
    for fppt in session.execute(select(FPPTYear).where(
            col(FPPTYear.person_id) == person.id, col(FPPTYear.organisation_id) == organisation.id,
            col(FPPTYear.state) == FPPTYearState.NOT_STARTED)).scalars():
        fppt.state = FPPTYearState.NOT_REQUIRED
        fppt.not_required_reason = f"Left the board on {on} before any check was recorded"
        session.add(fppt)
    return references


def _reference_for_change(session: Session, actor: Actor, reference_id: int
                          ) -> BoardMemberReference:
    reference: BoardMemberReference | None = session.execute(select(BoardMemberReference).where(
        col(BoardMemberReference.id) == reference_id).with_for_update()).scalar_one_or_none()
    if reference is None or not sees_reference(session, actor, reference):
        raise NotFound(f"There is no board member reference {reference_id} that you can see.")
    if reference.state is ReferenceState.SIGNED:
        raise InvalidTransition("This reference is signed and sealed; it cannot change.")
    return reference


def sees_reference(session: Session, actor: Actor, reference: BoardMemberReference) -> bool:
    """The organisation's chair and company secretary (not the leaver: it is about them)."""
    return runs_fppt(session, actor, reference.organisation_id) and (
        actor.person_id != reference.person_id)


def sections_of(reference: BoardMemberReference) -> list[ReferenceSection]:
    return [ReferenceSection(s["id"], s["title"], SectionKind(s["kind"]))
            for s in reference.sections]


def reference_gaps(reference: BoardMemberReference) -> list[str]:
    """The sections still to complete before the chair signs."""
    gaps = []
    for section in sections_of(reference):
        given = reference.answers.get(section.id) or {}
        if section.kind is SectionKind.YES_NO:
            if given.get("answer") is None:
                gaps.append(f"{section.id}: answer yes or no")
            elif given["answer"] and not str(given.get("text", "")).strip():
                gaps.append(f"{section.id}: give the details of a yes")
        elif not str(given.get("text", "")).strip():
            gaps.append(f"{section.id}: write this section")
    return gaps


def save_reference(*, session: Session, actor: Actor, reference_id: int,
                   answers: Mapping[str, SectionAnswer]) -> BoardMemberReference:
    """Save the sections completed so far (audited; unchanged once signed).

    Raises:
        ValidationFailed: an unknown section or unusable text.
    """
    reference = _reference_for_change(session, actor, reference_id)
    known = {s.id for s in sections_of(reference)}
    problems = [f"{k}: there is no such section" for k in answers if k not in known]
    problems += text_problems({f"the section {k}": a.text for k, a in answers.items()})
    if problems:
        raise ValidationFailed("The reference was not saved.", problems)
    was_complete = not reference_gaps(reference)
    merged = dict(reference.answers)
    for key, given in answers.items():
        merged[key] = {"answer": given.answer, "text": given.text.strip()}
    reference.answers = merged
    session.add(reference)
    record_event(session, actor, "reference_saved", subject_type="board_member_reference",
                 subject_id=reference_id, organisation_id=reference.organisation_id,
                 details={"sections": sorted(answers)})
    if not was_complete and not reference_gaps(reference):
        queue_messages(session, _signing_requests(session, reference))
    return reference


def _signing_requests(session: Session, reference: BoardMemberReference
                      ) -> list[QueuedMessage]:
    """Whoever signs the reference is told, once, that every section is complete."""
    today = day_of(session)
    leaver = session.get(Appointment, reference.appointment_id)
    person = session.get(Person, reference.person_id)
    organisation = session.get(Organisation, reference.organisation_id)
    assert leaver is not None and person is not None and organisation is not None
    signer = (chairs_signer(session, reference.organisation_id, today)
              if leaver.role is BoardRole.CHAIR else BoardRole.CHAIR)
    return [QueuedMessage(
        f"reference_sign:{reference.id}:{email}", "fppt_reference_sign", email, name, None,
        {"organisation": organisation.name, "appraisee_name": person.name,
         "path": reference_path(reference.id or 0)})
        for name, email in board_members_in_role(session, reference.organisation_id, signer,
                                                 today, besides=reference.person_id)]


def check_may_sign_reference(session: Session, actor: Actor,
                             reference: BoardMemberReference, on: date) -> None:
    """The chair signs (the senior independent director, or the deputy chair standing in,
    a chair's reference)."""
    roles = (set() if actor.person_id is None else
             current_roles(session, actor.person_id, reference.organisation_id, on=on))
    leaver = session.get(Appointment, reference.appointment_id)
    wanted = (chairs_signer(session, reference.organisation_id, on)
              if leaver is not None and leaver.role is BoardRole.CHAIR else BoardRole.CHAIR)
    if wanted not in roles or actor.person_id == reference.person_id:
        raise NotAllowed(f"Only the {wanted.label.lower()} signs this reference.")


def sign_reference(*, session: Session, actor: Actor, reference_id: int, pdf: bytes,
                   now: datetime) -> BoardMemberReference:
    """Keep the signed, sealed reference (rendered and sealed by ``records`` from what
    the store holds); it never changes after.

    Raises:
        NotAllowed: not the chair.
        ValidationFailed: sections incomplete.
    """
    reference = _reference_for_change(session, actor, reference_id)
    check_may_sign_reference(session, actor, reference, now.date())
    gaps = reference_gaps(reference)
    if gaps:
        raise ValidationFailed("The reference cannot be signed yet.", gaps)
    reference.state, reference.signed_by_id, reference.signed_at = (
        ReferenceState.SIGNED, actor.person_id, now)
    reference.pdf, reference.sha256 = pdf, hashlib.sha256(pdf).hexdigest()
    session.add(reference)
    record_event(session, actor, "reference_signed", subject_type="board_member_reference",
                 subject_id=reference_id, organisation_id=reference.organisation_id,
                 details={"sha256": reference.sha256})
    return reference


def record_reference_received(*, session: Session, actor: Actor, appointment_id: int,
                              from_whom: str, received_on: date | None, covering: str,
                              today: date) -> ReferenceReceived:
    """A reference a new appointment came with.

    Raises:
        NotFound: no such appointment on a board the actor runs.
        ValidationFailed: empty or unusable fields, no date (None) or a date in the
            future.
    """
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or not runs_fppt(session, actor, appointment.organisation_id):
        raise NotFound(f"There is no appointment {appointment_id} on a board you run.")
    problems = []
    for label, value, longest, ask in (
            ("from whom", from_whom, FROM_WHOM_LONGEST, "say who gave the reference"),
            ("covering", covering, COVERING_LONGEST, "say which years the reference covers")):
        if not value.strip():
            problems.append(f"{label}: {ask}")
        elif problem := field_problem(value, longest=longest):
            problems.append(f"{label}: {problem}")
    if received_on is None:
        problems.append("date: enter the date it was received")
    elif received_on > today:
        problems.append(f"date: {long_date(received_on)} is in the future: enter the day it "
                        "was received")
    if problems or received_on is None:
        raise ValidationFailed("The reference received was not recorded.", problems)
    received = ReferenceReceived(appointment_id=appointment_id, from_whom=from_whom.strip(),
                                 received_on=received_on, covering=covering.strip(),
                                 recorded_by_label=actor.label, recorded_at=moment_of(session))
    session.add(received)
    session.flush()
    record_event(session, actor, "reference_received", subject_type="appointment",
                 subject_id=appointment_id, organisation_id=appointment.organisation_id,
                 details={"from_whom": from_whom.strip(), "received_on": received_on,
                          "covering": covering.strip()})
    return received
