"""Recording a board member's FPPT year: the checks as append-only entries (a correction
supersedes), the director's self-attestation, a year marked not required, the sign-off by
the chair (the senior independent director for the chair), and the chair's decision on a
"not fit and proper" outcome; and who is clinically registered."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from ..actors import Actor
from ..audit import record_event
from ..clock import day_of, moment_of
from ..date_words import long_date
from ..errors import InvalidTransition, NotFound, ValidationFailed
from ..fppt_checklist import SELF_ATTESTATION
from ..fppt_status import (
    check_statuses,
    current_entries,
    has_concern,
    missing_for_sign_off,
    year_bounds,
    year_entries,
)
from ..fppt_tables import FPPTCheckEntry, FPPTYear
from ..fppt_vocabulary import CheckOutcome, FPPTOutcome, FPPTYearState
from ..models import Appointment, Person
from ..names import text_problems
from ..outbox import queue_messages
from .fppt_access import check_may_record, check_may_sign_off, get_year, runs_fppt
from .fppt_checklists import checklist_of
from .fppt_submissions import sign_off_requests
from .self_assessment import known

# An evidence file is a screenshot or a scanned letter.
LARGEST_EVIDENCE = 10 * 1024 * 1024
EVIDENCE_NAME_LONGEST = 200
FINAL_STATES = frozenset({FPPTYearState.SIGNED_OFF, FPPTYearState.NOT_REQUIRED})


@dataclass(frozen=True)
class EvidenceFile:
    name: str
    content: bytes


@dataclass(frozen=True)
class Answer:
    """A self-attestation declaration answered: yes needs details."""

    answer: bool | None
    details: str = ""


def _refresh_state(session: Session, year: FPPTYear) -> None:
    if year.state in FINAL_STATES:
        return
    statuses = check_statuses(session, year, checklist_of(session, year.checklist_version_id))
    if not missing_for_sign_off(statuses):
        was_ready = year.state is FPPTYearState.READY_FOR_SIGN_OFF
        year.state = FPPTYearState.READY_FOR_SIGN_OFF
        session.add(year)
        if not was_ready:
            # Told now, in this transaction (delivered as soon as it commits); the daily
            # sweep's request has the same key, so nobody is told twice.
            queue_messages(session, sign_off_requests(session, day_of(session),
                                                      year_id=year.id))
        return
    elif any(s.recorded for s in statuses):
        year.state = FPPTYearState.IN_PROGRESS
    else:
        year.state = FPPTYearState.NOT_STARTED
    session.add(year)


def _opening(text: str, words: int = 8) -> str:
    """A declaration's first few words, quoted, to name it in a message."""
    parts = text.split()
    return "“" + " ".join(parts[:words]) + ("…" if len(parts) > words else "") + "”"


def _check_open(year: FPPTYear, what: str) -> None:
    if year.state in FINAL_STATES:
        raise InvalidTransition(f"This FPPT assessment is {year.state.label.lower()}: "
                                f"{what} is no longer possible.")


def record_check(*, session: Session, actor: Actor, fppt_year_id: int, check_id: str,
                 done_on: date, outcome: CheckOutcome | str, today: date, note: str = "",
                 mitigation: str = "", evidence_reference: str = "",
                 evidence: EvidenceFile | None = None,
                 supersedes_id: int | None = None) -> FPPTCheckEntry:
    """Record one check as a new entry (a correction supersedes the entry it names; no
    entry is ever changed), audited.

    Raises:
        NotFound: no such year that the actor sees, or no such entry to supersede.
        NotAllowed: the actor does not record this board's checks, or it is their own.
        InvalidTransition: the year is signed off or not required.
        ValidationFailed: an unknown check id, a date in the future or before the
            appointment's year, an outcome outside the list, unusable text or file.
    """
    year = get_year(session, actor, fppt_year_id, for_update=True)
    check_may_record(session, actor, year)
    _check_open(year, "recording a check")
    checklist = checklist_of(session, year.checklist_version_id)
    problems: list[str] = []
    check = checklist.check(check_id)
    if check is None:
        problems.append(f"check: unknown check id '{check_id}' (use one of: "
                        + ", ".join(c.id for c in checklist.checks) + ")")
    elif check.id == SELF_ATTESTATION and actor.person_id is not None:
        problems.append("check: the self-attestation is made by the director in the portal")
    if not known(CheckOutcome, outcome):
        problems.append(f"outcome: '{outcome}' is not one of: "
                        + ", ".join(o.value for o in CheckOutcome))
    if done_on > today:
        problems.append(f"date: {long_date(done_on)} is in the future: enter the day it "
                        "was done")
    starts, _ = year_bounds(year.year)
    if done_on < date(starts.year - 1, starts.month, starts.day):
        problems.append(f"date: {long_date(done_on)} is more than a year before the "
                        f"{year.year} year")
    problems += text_problems({"the note": note, "the mitigation": mitigation,
                               "the evidence reference": evidence_reference})
    if evidence is not None:
        if not evidence.content:
            problems.append("evidence file: the file is empty")
        elif len(evidence.content) > LARGEST_EVIDENCE:
            problems.append(f"evidence file: larger than {LARGEST_EVIDENCE // (1024 * 1024)} MB")
        if not evidence.name.strip() or len(evidence.name) > EVIDENCE_NAME_LONGEST:
            problems.append("evidence file: its name must be 1 to 200 characters")
    if supersedes_id is not None:
        old = session.get(FPPTCheckEntry, supersedes_id)
        if old is None or old.fppt_year_id != year.id:
            problems.append(f"supersedes: there is no entry {supersedes_id} in this assessment")
        elif check is not None and old.check_id != check.id:
            problems.append(f"supersedes: entry {supersedes_id} is of another check")
    if problems:
        raise ValidationFailed("The check was not recorded.", problems)
    return _append(session, actor, year, check_id, done_on, CheckOutcome(outcome), note=note,
                   mitigation=mitigation, evidence_reference=evidence_reference,
                   evidence=evidence, supersedes_id=supersedes_id)


def _append(session: Session, actor: Actor, year: FPPTYear, check_id: str, done_on: date,
            outcome: CheckOutcome, *, note: str = "", mitigation: str = "",
            evidence_reference: str = "", evidence: EvidenceFile | None = None,
            supersedes_id: int | None = None,
            answers: dict[str, Any] | None = None) -> FPPTCheckEntry:
    if supersedes_id is None:
        current = current_entries(year_entries(session, year.id or 0)).get(check_id)
        supersedes_id = current.id if current is not None else None
    entry = FPPTCheckEntry(
        fppt_year_id=year.id or 0, check_id=check_id, done_on=done_on, outcome=outcome,
        note=note.strip(), mitigation=mitigation.strip(),
        evidence_reference=evidence_reference.strip(),
        evidence_file_name=evidence.name.strip() if evidence else None,
        evidence_file=evidence.content if evidence else None,
        evidence_sha256=hashlib.sha256(evidence.content).hexdigest() if evidence else None,
        answers=answers, recorded_by_id=actor.person_id, recorded_by_label=actor.label,
        supersedes_id=supersedes_id, recorded_at=moment_of(session))
    session.add(entry)
    session.flush()
    record_event(session, actor, "fppt_check_recorded", subject_type="fppt_year",
                 subject_id=year.id or 0, organisation_id=year.organisation_id,
                 details={"entry_id": entry.id, "check_id": check_id, "done_on": done_on,
                          "outcome": outcome.value, "supersedes_id": supersedes_id,
                          "evidence_sha256": entry.evidence_sha256,
                          "mitigation": bool(entry.mitigation)})
    _refresh_state(session, year)
    return entry


def attest(*, session: Session, actor: Actor, fppt_year_id: int,
           answers: Mapping[str, Answer], today: date) -> FPPTCheckEntry:
    """The director's annual self-attestation, signed in the portal: every declaration
    answered yes or no, details with each yes. A yes is recorded as a concern, for the
    chair to weigh and mitigate; all no is clear.

    Raises:
        NotFound: not the actor's own assessment.
        ValidationFailed: a declaration unanswered, or a yes without details.
    """
    year = get_year(session, actor, fppt_year_id, for_update=True)
    if actor.person_id != year.person_id:
        raise NotFound(f"There is no FPPT self-attestation {fppt_year_id} of yours.")
    _check_open(year, "attesting")
    checklist = checklist_of(session, year.checklist_version_id)
    problems = []
    for declaration in checklist.declarations:
        given = answers.get(declaration.id)
        # Named by its opening words: eight "answer yes or no" in a row would not say which.
        quoted = _opening(declaration.text)
        if given is None or given.answer is None:
            problems.append(f"{declaration.id}: answer yes or no to {quoted}")
        elif given.answer and not given.details.strip():
            problems.append(f"{declaration.id}: give the details of your yes to {quoted}")
    problems += text_problems({f"the details of {k}": a.details for k, a in answers.items()})
    if problems:
        raise ValidationFailed("The self-attestation was not signed.", problems)
    stored = {d.id: {"answer": bool(answers[d.id].answer),
                     "details": answers[d.id].details.strip()} for d in checklist.declarations}
    yes = [k for k, v in stored.items() if v["answer"]]
    return _append(session, actor, year, SELF_ATTESTATION, today,
                   CheckOutcome.CONCERN if yes else CheckOutcome.CLEAR,
                   note=("Declared: " + ", ".join(yes)) if yes else "Nothing to declare",
                   answers=stored)


def mitigate_self_attestation(*, session: Session, actor: Actor, fppt_year_id: int,
                              mitigation: str) -> FPPTCheckEntry:
    """The mitigation of what a director declared (a yes in the self-attestation), recorded
    by the company secretary or the chair: a new entry superseding the attestation, with
    its date, answers and note, so the director's declaration is kept as they signed it.

    Raises:
        NotFound / NotAllowed / InvalidTransition: as for :func:`record_check`.
        ValidationFailed: no mitigation written, or the attestation declares nothing.
    """
    year = get_year(session, actor, fppt_year_id, for_update=True)
    check_may_record(session, actor, year)
    _check_open(year, "recording a mitigation")
    signed = current_entries(year_entries(session, year.id or 0)).get(SELF_ATTESTATION)
    problems = []
    if signed is None or signed.outcome is not CheckOutcome.CONCERN:
        problems.append("mitigation: the self-attestation declares nothing to mitigate")
    elif not mitigation.strip():
        problems.append("mitigation: write how what was declared is mitigated")
    problems += text_problems({"the mitigation": mitigation})
    if problems or signed is None:
        raise ValidationFailed("The mitigation was not recorded.", problems)
    return _append(session, actor, year, SELF_ATTESTATION, signed.done_on, signed.outcome,
                   note=signed.note, mitigation=mitigation, answers=signed.answers,
                   supersedes_id=signed.id)


def mark_not_required(*, session: Session, actor: Actor, fppt_year_id: int,
                      reason: str) -> FPPTYear:
    """No FPPT this year for this person, with the reason (left before any check, say).

    Raises:
        ValidationFailed: no reason given.
    """
    year = get_year(session, actor, fppt_year_id, for_update=True)
    check_may_record(session, actor, year)
    _check_open(year, "marking it not required")
    problems = [] if reason.strip() else ["reason: say why no FPPT is needed this year"]
    problems += text_problems({"the reason": reason})
    if problems:
        raise ValidationFailed("The FPPT assessment was not changed.", problems)
    year.state, year.not_required_reason = FPPTYearState.NOT_REQUIRED, reason.strip()
    session.add(year)
    record_event(session, actor, "fppt_not_required", subject_type="fppt_year",
                 subject_id=year.id or 0, organisation_id=year.organisation_id,
                 details={"reason": reason.strip()})
    return year


def sign_off(*, session: Session, actor: Actor, fppt_year_id: int,
             outcome: FPPTOutcome | str, now: datetime, note: str = "") -> FPPTYear:
    """The chair (the senior independent director for the chair) signs the year off, with
    its outcome, once every applicable check is recorded and every concern mitigated.

    Raises:
        NotAllowed: the actor is not entitled (nobody signs off their own).
        InvalidTransition: already signed off or not required.
        ValidationFailed: checks missing (each named), an unknown outcome, or "fit and
            proper" plainly while a concern stands.
    """
    year = get_year(session, actor, fppt_year_id, for_update=True)
    check_may_sign_off(session, actor, year, now.date())
    _check_open(year, "signing off")
    statuses = check_statuses(session, year, checklist_of(session, year.checklist_version_id))
    problems = missing_for_sign_off(statuses)
    if not known(FPPTOutcome, outcome):
        problems.append(f"outcome: '{outcome}' is not one of: "
                        + ", ".join(o.value for o in FPPTOutcome))
    elif outcome == FPPTOutcome.FIT_AND_PROPER and has_concern(statuses):
        problems.append("outcome: a concern was recorded; sign off as fit and proper with "
                        "mitigation recorded, or not fit and proper")
    problems += text_problems({"the note": note})
    if problems:
        raise ValidationFailed("The FPPT was not signed off.", problems)
    year.state, year.outcome = FPPTYearState.SIGNED_OFF, FPPTOutcome(outcome)
    year.signed_off_by_id, year.signed_off_at, year.sign_off_note = (
        actor.person_id, now, note.strip())
    session.add(year)
    record_event(session, actor, "fppt_signed_off", subject_type="fppt_year",
                 subject_id=year.id or 0, organisation_id=year.organisation_id,
                 details={"outcome": year.outcome.value, "year": year.year})
    return year


def record_chair_decision(*, session: Session, actor: Actor, fppt_year_id: int,
                          decision: str, now: datetime) -> FPPTYear:
    """The chair's decision on a "not fit and proper" outcome (what follows for the
    person's role), without which their appraisal cannot be agreed.

    Raises:
        NotAllowed: only the chair (the SID for the chair) decides.
        InvalidTransition: the outcome is not "not fit and proper".
        ValidationFailed: no decision written.
    """
    year = get_year(session, actor, fppt_year_id, for_update=True)
    check_may_sign_off(session, actor, year, now.date())
    if year.outcome is not FPPTOutcome.NOT_FIT_AND_PROPER:
        raise InvalidTransition("A chair's decision is recorded on a \"not fit and proper\" "
                                "outcome only.")
    problems = [] if decision.strip() else ["decision: write the decision"]
    problems += text_problems({"the decision": decision})
    if problems:
        raise ValidationFailed("The decision was not recorded.", problems)
    year.chair_decision, year.chair_decision_by_id, year.chair_decision_at = (
        decision.strip(), actor.person_id, now)
    session.add(year)
    record_event(session, actor, "fppt_chair_decision", subject_type="fppt_year",
                 subject_id=year.id or 0, organisation_id=year.organisation_id,
                 details={"decision": decision.strip()})
    return year


def evidence_of(session: Session, actor: Actor, entry_id: int) -> FPPTCheckEntry:
    """An entry with its evidence file, for someone who sees its year."""
    entry = session.get(FPPTCheckEntry, entry_id)
    if entry is None or entry.evidence_file is None:
        raise NotFound(f"There is no evidence file {entry_id} that you can see.")
    get_year(session, actor, entry.fppt_year_id)
    return entry


def set_clinically_registered(*, session: Session, actor: Actor, person_id: int,
                              organisation_id: int, registered: bool | None) -> Person:
    """Record whether the board member is clinically registered (the checks of the
    professional register apply to them then), audited; their open FPPT years follow.

    Raises:
        NotFound: no such person on a board the actor runs.
        ValidationFailed: neither yes nor no.
    """
    person = session.get(Person, person_id)
    if person is None or not runs_fppt(session, actor, organisation_id) or not session.execute(
            select(col(Appointment.id)).where(col(Appointment.person_id) == person_id,
                                              col(Appointment.organisation_id)
                                              == organisation_id)).first():
        who = person.email if person is not None else f"Board member {person_id}"
        raise NotFound(f"{who} is not on the board of an organisation whose FPPT you run.")
    if registered is None:
        raise ValidationFailed("The clinical registration was not changed.",
                               ["clinically_registered: answer yes or no"])
    if person.clinically_registered != registered:
        person.clinically_registered = registered
        session.add(person)
        record_event(session, actor, "clinical_registration_set", subject_type="person",
                     subject_id=person.email, organisation_id=organisation_id,
                     details={"clinically_registered": registered})
        for year in session.execute(select(FPPTYear).where(
                col(FPPTYear.person_id) == person_id)).scalars():
            _refresh_state(session, year)
    return person
