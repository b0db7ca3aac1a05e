"""Planning the day's reminders and escalations: a pure function of the rows and the date.

The plan only says which messages are due today; ``queue_messages`` makes them happen once.
Every key is ``reminder:{appraisal_id}:{deadline}:{due}:{stage}``, so a reminder is sent
once per appraisal, deadline and due date however often the sweep runs, and a deadline
extension (a new due date) starts its reminders afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from appraisal_store.deadlines import DUE_KIND_LABELS
from appraisal_store.lifecycle import AWAITING_APPRAISER
from appraisal_store.links import Page, for_reader
from appraisal_store.outbox import QueuedMessage
from appraisal_store.vocabulary import AppraisalState

from .working_days import WorkingCalendar

BEFORE_DUE = (14, 7, 1, 0)  # working days before the due date; 0 is the day itself
ESCALATE_TO_APPRAISER_AFTER = 5  # working days overdue
ESCALATE_TO_SECRETARY_AFTER = 10



@dataclass(frozen=True)
class Contact:
    name: str
    email: str


@dataclass(frozen=True)
class OpenAppraisal:
    """What the reminder plan needs to know about one open appraisal."""

    appraisal_id: int
    state: AppraisalState
    deadline: str  # self_assessment, review or sign_off
    due: date
    organisation: str
    year: str
    appraisee: Contact
    appraiser: Contact | None
    secretaries: tuple[Contact, ...] = ()


def reminder_stage(due: date, today: date, calendar: WorkingCalendar) -> str | None:
    """Which reminder is due today for a deadline, or None.

    Before the date: the latest of 14, 7, 1 and 0 working days before it that has been
    reached (so a day the sweep did not run is caught up the next working day, still once).
    After it: ``overdue-w{n}``, one a week while overdue.
    """
    if today <= due:
        remaining = calendar.working_days_between(today, due)
        reached = [offset for offset in BEFORE_DUE if remaining <= offset]
        return str(min(reached)) if reached and remaining <= max(BEFORE_DUE) else None
    return f"overdue-w{(today - due).days // 7 + 1}"


def _payload(row: OpenAppraisal, stage: str, overdue_days: int) -> dict[str, object]:
    return {"organisation": row.organisation, "year": row.year,
            "appraisee_name": row.appraisee.name,
            "appraiser_name": row.appraiser.name if row.appraiser else None,
            "due": row.due.isoformat(), "deadline": DUE_KIND_LABELS[row.deadline],
            "stage": stage, "working_days_overdue": overdue_days,
            "state": row.state.label}


def plan_reminders(rows: list[OpenAppraisal], today: date,
                   calendar: WorkingCalendar) -> list[QueuedMessage]:
    """The reminders and escalations due on ``today`` (none on a weekend or bank holiday).

    The party whose move it is gets the reminder. After 5 working days overdue the
    appraiser is told (when the appraisee is the one behind), after 10 the organisation's
    company secretaries. Idempotent by construction: the same inputs give the same keys.
    """
    if not calendar.is_working_day(today):
        return []
    messages: list[QueuedMessage] = []
    for row in rows:
        stage = reminder_stage(row.due, today, calendar)
        overdue_days = max(calendar.working_days_between(row.due, today), 0)
        prefix = f"reminder:{row.appraisal_id}:{row.deadline}:{row.due.isoformat()}"
        payload = _payload(row, stage or "", overdue_days)
        appraiser_acts = row.state in AWAITING_APPRAISER
        actor = row.appraiser if appraiser_acts else row.appraisee
        if stage is not None and actor is not None:
            messages.append(QueuedMessage(
                f"{prefix}:{stage}", "reminder", actor.email, actor.name, row.appraisal_id,
                payload | for_reader(Page.REVIEW if appraiser_acts else Page.APPRAISAL)))
        if (overdue_days >= ESCALATE_TO_APPRAISER_AFTER and row.appraiser is not None
                and row.state not in AWAITING_APPRAISER):
            messages.append(QueuedMessage(
                f"{prefix}:escalate-appraiser", "escalation", row.appraiser.email,
                row.appraiser.name, row.appraisal_id,
                {**payload, "escalated_to": "appraiser", **for_reader(Page.REVIEW)}))
        if overdue_days >= ESCALATE_TO_SECRETARY_AFTER:
            messages += [QueuedMessage(
                f"{prefix}:escalate-secretary:{secretary.email}", "escalation",
                secretary.email, secretary.name, row.appraisal_id,
                {**payload, "escalated_to": "company secretary",
                 **for_reader(Page.MANAGEMENT)})
                for secretary in row.secretaries]
    return messages
