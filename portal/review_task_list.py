"""The review's task list: its sections and each one's status, derived from what it holds.

"Completed" means the section has what the national form needs; nothing is ticked by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from appraisal_store.date_words import long_date
from appraisal_store.feedback_summary import RoundStatus
from appraisal_store.models import Appraisal, AppraisalMeeting
from appraisal_store.services import meetings
from appraisal_store.vocabulary import ObjectiveKind

from .appraisal_views import AppraisalView, fppt_signed_off

NOT_STARTED, IN_PROGRESS, COMPLETED = "Not started", "In progress", "Completed"
CANNOT_START = "Cannot start yet"


@dataclass(frozen=True)
class Task:
    """One line of the task list."""

    key: str
    title: str
    href: str | None
    status: str
    hint: str = ""

    @property
    def item(self) -> dict[str, Any]:
        """The NHS.UK task list macro's item."""
        item: dict[str, Any] = {"title": {"text": self.title}, "href": self.href,
                                "hint": {"text": self.hint} if self.hint else {}}
        if self.status == COMPLETED or self.status == CANNOT_START or self.href is None:
            item["status"] = {"text": self.status,
                              "classes": "nhsuk-task-list__status--cannot-start-yet"
                              if self.status == CANNOT_START else ""}
        else:
            colour = "blue" if self.status == NOT_STARTED else "white"
            item["status"] = {"tag": {"text": self.status, "classes": f"nhsuk-tag--{colour}"}}
        return item


def _status(done: bool, started: bool) -> str:
    return COMPLETED if done else IN_PROGRESS if started else NOT_STARTED


def meeting_hint(appraisal: Appraisal, meeting: AppraisalMeeting | None) -> str:
    """The meeting as the task list says it: when, how long and where, once scheduled."""
    if meeting is not None:
        return (f"{meetings.meeting_words(meeting.starts_at)}, for "
                f"{meetings.duration_words(meeting.duration_minutes)}, at {meeting.place}.")
    if appraisal.meeting_date is not None:
        return f"Held on {long_date(appraisal.meeting_date)}."
    return "Not scheduled yet."


def feedback_hint(status: RoundStatus | None) -> str:
    """The feedback round as the task list says it: counts only."""
    if status is None:
        return "No feedback round opened yet"
    return f"{status.response_rate}; {'closed: the summary is ready' if status.closed else 'open'}"


def tasks(view: AppraisalView, meeting: AppraisalMeeting | None = None,
          feedback: RoundStatus | None = None) -> list[Task]:
    """The review's sections and their status, from what each holds.

    Commentary on a domain is completed with both the commentary and a view; the feedback
    summary with its text; last year's objectives when each has an outcome (nothing to do
    when none were carried forward); this year's objectives with at least one, one of them
    on EDI; the plan with at least one action; the FPPT with its status; the meeting once
    it is scheduled (``services.meetings`` keeps the appraisal's meeting date in step).
    Agree or return can start once every other section is completed.
    """
    a = view.appraisal
    base = f"/review/{a.id}"
    found: list[Task] = []
    for d in view.framework.domains:
        mine = view.appraiser_reflections.get(d.id)
        text, chosen = bool(mine and mine.text), bool(mine and mine.view)
        found.append(Task(f"commentary-{d.id}", f"{d.number}. {d.name}",
                          f"{base}/commentary/{d.id}", _status(text and chosen, text or chosen)))
    found.append(Task("feedback", "Multi-source feedback summary", f"{base}/feedback",
                      _status(bool(a.msf_summary), bool(a.appraiser_comments)),
                      feedback_hint(feedback)))
    reviewed = {r.previous_objective_id for r in view.objective_reviews}
    carried = view.previous_objectives
    if carried:
        done = sum(1 for o in carried if o.id in reviewed)
        found.append(Task("last-year", "Last year's objectives", f"{base}/last-year",
                          _status(done == len(carried), done > 0),
                          f"{len(carried)} carried forward from last year's appraisal"))
    else:
        found.append(Task("last-year", "Last year's objectives", f"{base}/last-year",
                          COMPLETED, "None carried forward: there was no agreed appraisal "
                          "for this appointment last year"))
    kinds = {o.kind for o in view.objectives}
    found.append(Task("objectives", "This year's objectives", f"{base}/objectives",
                      _status(ObjectiveKind.EDI in kinds, bool(kinds)),
                      "" if not kinds or ObjectiveKind.EDI in kinds else
                      "At least one must be on equality, diversity and inclusion"))
    found.append(Task("plan", "Development plan", f"{base}/plan",
                      _status(bool(view.development_actions), False)))
    found.append(Task("fppt", "Fit and proper person test", f"{base}/fppt",
                      _status(bool(view.fppt and view.fppt.status) or fppt_signed_off(view),
                              False)))
    found.append(Task("meeting", "The appraisal meeting", f"{base}/meeting",
                      _status(a.meeting_date is not None, False), meeting_hint(a, meeting)))
    ready = all(t.status == COMPLETED for t in found)
    if a.agreed_at is not None:
        decision = COMPLETED
    else:
        decision = NOT_STARTED if ready else CANNOT_START
    found.append(Task("decision", "Agree or return the appraisal", f"{base}/decision",
                      decision))
    return found
