"""Objectives through the year: after sign-off the agreed objectives and development actions
stay live. A mid-year review (its date set in the cycle, reminders to both parties), any
number of further check-ins, each recording progress per objective and action in each
party's words and a short joint note; all of it read back in next year's review of last
year's objectives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..appraisal_year import appraisal_year
from ..audit import record_event
from ..clock import moment_of
from ..date_words import long_date
from ..errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from ..lifecycle import Party
from ..links import Page, for_reader
from ..models import Appraisal, Cycle, DevelopmentAction, Objective
from ..names import text_problems
from ..nhse_tables import CheckIn, CheckInProgress, CheckInSchedule
from ..outbox import QueuedMessage, queue_messages
from ..vocabulary import FINISHED_STATES
from .access import get_appraisal, is_org_administrator
from .appraisal_changes import context_of
from .organisations import organisation_by_code

MID_YEAR = "mid-year"
CHECK_IN = "check-in"
KINDS = {MID_YEAR: "Mid-year review", CHECK_IN: "Check-in"}
NOTE_LONGEST = 4000
# Both parties hear this many days before the mid-year review is due.
REMIND_DAYS_BEFORE = 14


def default_mid_year_review(year: str) -> date:
    """Half way through the year the objectives run for (the one after the year appraised):
    31 October."""
    return date(appraisal_year(year).ends.year, 10, 31)


def mid_year_review_due(session: Session, cycle_id: int) -> date:
    """The cycle's mid-year review date: as set, or the default."""
    set_on = session.execute(select(col(CheckInSchedule.mid_year_review_due)).where(
        col(CheckInSchedule.cycle_id) == cycle_id)).scalar_one_or_none()
    if set_on is not None:
        return date.fromisoformat(str(set_on))
    year = session.execute(select(col(Cycle.year)).where(col(Cycle.id) == cycle_id)).scalar_one()
    return default_mid_year_review(str(year))


def set_mid_year_review_date(*, session: Session, actor: Actor, organisation_code: str,
                             year: str, due: date) -> CheckInSchedule:
    """Set the date of the cycle's mid-year review of the objectives it agreed. Audited.

    Raises:
        NotFound: no such organisation or cycle.
        NotAllowed: not one of the organisation's administrators.
        ValidationFailed: a date before the cycle's sign-off is due, or outside the year
            the objectives run for.
    """
    organisation = organisation_by_code(session, organisation_code)
    if organisation is None or organisation.id is None:
        raise NotFound(f"There is no organisation with the code '{organisation_code}'.")
    if not is_org_administrator(session, actor, organisation.id):
        raise NotAllowed("Only the organisation's administrators set its mid-year review.")
    cycle = session.execute(select(Cycle).where(col(Cycle.organisation_id) == organisation.id,
                                                col(Cycle.year) == year)).scalar_one_or_none()
    if cycle is None or cycle.id is None:
        raise NotFound(f"{organisation.code} has no {year} cycle.")
    ends = appraisal_year(year).ends
    following_ends = date(ends.year + 1, 3, 31)
    if due <= cycle.sign_off_due or due > following_ends:
        raise ValidationFailed("The mid-year review date was not set.", [
            f"mid-year review due: {due.isoformat()} must fall after the sign-off is due "
            f"({cycle.sign_off_due.isoformat()}) and by {following_ends.isoformat()}, in "
            "the year the objectives run for"])
    schedule = session.execute(select(CheckInSchedule).where(
        col(CheckInSchedule.cycle_id) == cycle.id)).scalar_one_or_none()
    if schedule is None:
        schedule = CheckInSchedule(cycle_id=cycle.id, mid_year_review_due=due,
                                   set_by=actor.label, set_at=moment_of(session))
    schedule.mid_year_review_due, schedule.set_by = due, actor.label
    session.add(schedule)
    session.flush()
    record_event(session, actor, "mid_year_review_date_set", subject_type="cycle",
                 subject_id=cycle.id, organisation_id=organisation.id,
                 details={"year": year, "due": due.isoformat()})
    return schedule


@dataclass(frozen=True)
class ProgressLine:
    """One objective or action at one check-in."""

    key: str  # objective-<id> or action-<id>
    title: str
    appraisee_note: str
    appraiser_note: str


@dataclass
class CheckInRecord:
    """A check-in as its page and its PDF show it."""

    check_in: CheckIn
    kind_label: str
    lines: list[ProgressLine] = field(default_factory=list)


@dataclass
class YearPage:
    """The appraisal's year after sign-off: its objectives, actions and check-ins."""

    appraisal: Appraisal
    organisation: str
    year: str
    appraisee_name: str
    appraiser_name: str | None
    parties: set[Party]
    mid_year_due: date
    objectives: list[Objective]
    actions: list[DevelopmentAction]
    check_ins: list[CheckInRecord]

    @property
    def has_mid_year(self) -> bool:
        return any(c.check_in.kind == MID_YEAR for c in self.check_ins)


def _items(session: Session, appraisal_id: int
           ) -> tuple[list[Objective], list[DevelopmentAction]]:
    objectives = list(session.execute(select(Objective).where(
        col(Objective.appraisal_id) == appraisal_id).order_by(col(Objective.position))).scalars())
    actions = list(session.execute(select(DevelopmentAction).where(
        col(DevelopmentAction.appraisal_id) == appraisal_id)
        .order_by(col(DevelopmentAction.position))).scalars())
    return objectives, actions


def _records(session: Session, appraisal_id: int, objectives: list[Objective],
             actions: list[DevelopmentAction]) -> list[CheckInRecord]:
    titles = {f"objective-{o.id}": o.text for o in objectives} | {
        f"action-{a.id}": a.action for a in actions}
    records = []
    for check_in in session.execute(select(CheckIn).where(
            col(CheckIn.appraisal_id) == appraisal_id)
            .order_by(col(CheckIn.held_on), col(CheckIn.id))
    ).scalars():
        notes = {(f"objective-{p.objective_id}" if p.objective_id else f"action-{p.action_id}"):
                 p for p in session.execute(select(CheckInProgress).where(
                     col(CheckInProgress.check_in_id) == check_in.id)).scalars()}
        records.append(CheckInRecord(check_in, KINDS[check_in.kind], [
            ProgressLine(key, title, notes[key].appraisee_note if key in notes else "",
                         notes[key].appraiser_note if key in notes else "")
            for key, title in titles.items()]))
    return records


def _in_hand(session: Session, actor: Actor, appraisal_id: int
             ) -> tuple[Appraisal, set[Party]]:
    appraisal, parties = get_appraisal(session, actor, appraisal_id)
    if not parties & {Party.APPRAISEE, Party.APPRAISER}:
        raise NotFound(f"There is no appraisal {appraisal_id} of yours to follow up.")
    return appraisal, parties


def year_page(session: Session, actor: Actor, appraisal_id: int) -> YearPage:
    """The appraisee's and the appraiser's page of the year after sign-off.

    Raises:
        NotFound: not the appraisee's or the appraiser's.
    """
    appraisal, parties = _in_hand(session, actor, appraisal_id)
    context = context_of(session, appraisal)
    objectives, actions = _items(session, appraisal_id)
    return YearPage(appraisal, context.organisation, context.year, context.appraisee_name,
                    context.appraiser_name, parties,
                    mid_year_review_due(session, appraisal.cycle_id), objectives, actions,
                    _records(session, appraisal_id, objectives, actions))


def start_check_in(*, session: Session, actor: Actor, appraisal_id: int, kind: str,
                   held_on: date, today: date) -> CheckIn:
    """Start the mid-year review or a further check-in of a signed-off appraisal. Audited.

    Raises:
        NotFound: not the appraisee's or the appraiser's.
        InvalidTransition: not signed off yet (a mid-year review follows the sign-off), or
            a second mid-year review.
        ValidationFailed: an unknown kind, or a date in the future.
    """
    appraisal, _ = _in_hand(session, actor, appraisal_id)
    if appraisal.state not in FINISHED_STATES:
        raise InvalidTransition(
            f"This appraisal is {appraisal.state.label.lower()}: a mid-year review or "
            "check-in follows the sign-off, once both have signed.")
    problems = []
    if kind not in KINDS:
        problems.append(f"kind: '{kind}' is not a kind of check-in (use "
                        + ", ".join(KINDS) + ")")
    if held_on > today:
        problems.append(f"held on: {long_date(held_on)} is in the future: enter the day it "
                        "was held")
    if problems:
        raise ValidationFailed("The check-in was not started.", problems)
    if kind == MID_YEAR and session.execute(select(col(CheckIn.id)).where(
            col(CheckIn.appraisal_id) == appraisal_id, col(CheckIn.kind) == MID_YEAR)).first():
        raise InvalidTransition("The mid-year review is already recorded: add a check-in.")
    check_in = CheckIn(appraisal_id=appraisal_id, kind=kind, held_on=held_on,
                       recorded_by_id=actor.person_id, created_at=moment_of(session),
                       updated_at=moment_of(session))
    session.add(check_in)
    session.flush()
    record_event(session, actor, "check_in_started", subject_type="appraisal",
                 subject_id=appraisal_id, organisation_id=appraisal.organisation_id,
                 details={"kind": kind, "held_on": held_on.isoformat(),
                          "check_in": check_in.id})
    return check_in


def save_progress(*, session: Session, actor: Actor, check_in_id: int,
                  notes: Mapping[str, str], joint_note: str, now: datetime) -> CheckIn:
    """Save the actor's own words on each objective and action (``objective-<id>`` or
    ``action-<id>`` -> text) and the joint note, which either party may write. Audited.

    Raises:
        NotFound: no such check-in of the actor's.
        ValidationFailed: a key that is not this appraisal's objective or action, or text
            too long; nothing is written.
    """
    check_in = session.get(CheckIn, check_in_id)
    if check_in is None:
        raise NotFound(f"There is no check-in {check_in_id} of yours.")
    appraisal, parties = _in_hand(session, actor, check_in.appraisal_id)
    objectives, actions = _items(session, appraisal.id or 0)
    known = {f"objective-{o.id}": ("objective", o.id) for o in objectives} | {
        f"action-{a.id}": ("action", a.id) for a in actions}
    problems = [f"{key}: not an objective or action of this appraisal"
                for key in notes if key not in known]
    problems += text_problems({f"{k}: the note": v for k, v in notes.items()},
                              longest=NOTE_LONGEST)
    problems += text_problems({"joint note: the joint note": joint_note}, longest=NOTE_LONGEST)
    if problems:
        raise ValidationFailed("The progress was not saved.", problems)
    column = "appraisee_note" if Party.APPRAISEE in parties else "appraiser_note"
    existing = {(p.objective_id, p.action_id): p for p in session.execute(
        select(CheckInProgress).where(col(CheckInProgress.check_in_id) == check_in_id)).scalars()}
    for key, text in notes.items():
        kind, item_id = known[key]
        ids = (item_id, None) if kind == "objective" else (None, item_id)
        line = existing.get(ids) or CheckInProgress(
            check_in_id=check_in_id, objective_id=ids[0], action_id=ids[1])
        setattr(line, column, text.strip())
        session.add(line)
    check_in.joint_note = joint_note.strip()
    check_in.updated_at = now
    session.add(check_in)
    session.flush()
    record_event(session, actor, "check_in_progress_saved", subject_type="appraisal",
                 subject_id=appraisal.id or 0, organisation_id=appraisal.organisation_id,
                 details={"check_in": check_in_id, "items": sorted(notes)}, at=now)
    return check_in


def carried_progress(session: Session, previous_appraisal_id: int
                     ) -> dict[int, list[tuple[str, date, str, str]]]:
    """Last year's objectives' progress through the year, for this year's review of them:
    objective id -> [(kind label, held on, appraisee's note, appraiser's note)]."""
    found: dict[int, list[tuple[str, date, str, str]]] = {}
    for progress, check_in in session.execute(
        select(CheckInProgress, CheckIn)
        .join(CheckIn, col(CheckIn.id) == CheckInProgress.check_in_id)
        .where(col(CheckIn.appraisal_id) == previous_appraisal_id,
               col(CheckInProgress.objective_id).is_not(None))
        .order_by(col(CheckIn.held_on), col(CheckIn.id))
    ).tuples():
        found.setdefault(progress.objective_id or 0, []).append(
            (KINDS[check_in.kind], check_in.held_on, progress.appraisee_note,
             progress.appraiser_note))
    return found


def check_in_record(session: Session, actor: Actor, check_in_id: int) -> tuple[
        YearPage, CheckInRecord]:
    """One check-in with its page, for its PDF.

    Raises:
        NotFound: no such check-in of the actor's.
    """
    check_in = session.get(CheckIn, check_in_id)
    if check_in is None:
        raise NotFound(f"There is no check-in {check_in_id} of yours.")
    page = year_page(session, actor, check_in.appraisal_id)
    return page, next(r for r in page.check_ins if r.check_in.id == check_in_id)


def mid_year_reminders(session: Session, *, today: date) -> list[QueuedMessage]:
    """Both parties of each signed-off appraisal whose mid-year review is due within
    ``REMIND_DAYS_BEFORE`` days and not yet recorded; once per appraisal (keyed)."""
    messages: list[QueuedMessage] = []
    for cycle in session.execute(select(Cycle)).scalars():
        due = mid_year_review_due(session, cycle.id or 0)
        if not today <= due <= today + timedelta(days=REMIND_DAYS_BEFORE):
            continue
        done = set(session.execute(select(col(CheckIn.appraisal_id)).join(
            Appraisal, col(Appraisal.id) == CheckIn.appraisal_id).where(
            col(Appraisal.cycle_id) == cycle.id, col(CheckIn.kind) == MID_YEAR)).scalars())
        for appraisal in session.execute(select(Appraisal).where(
                col(Appraisal.cycle_id) == cycle.id,
                col(Appraisal.state).in_(FINISHED_STATES))).scalars():
            if appraisal.id in done:
                continue
            context = context_of(session, appraisal)
            payload = context.payload(due=due) | for_reader(Page.YEAR)
            for name, email in ((context.appraisee_name, context.appraisee_email),
                                (context.appraiser_name, context.appraiser_email)):
                if email:
                    messages.append(QueuedMessage(
                        f"mid_year_review:{appraisal.id}:{email}", "mid_year_review",
                        email, name or "", appraisal.id, payload))
    return messages


def queue_mid_year_reminders(*, session: Session, today: date) -> int:
    """Queue the day's mid-year review reminders; how many were new."""
    return queue_messages(session, mid_year_reminders(session, today=today))
