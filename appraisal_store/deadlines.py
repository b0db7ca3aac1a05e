"""Which due date an appraisal is working towards in each state."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from .vocabulary import AppraisalState

S = AppraisalState

DUE_KIND_BY_STATE: dict[AppraisalState, str] = {
    S.NOT_STARTED: "self_assessment",
    S.IN_PREPARATION: "self_assessment",
    S.RETURNED: "self_assessment",
    S.SUBMITTED: "review",
    S.IN_REVIEW: "review",
    S.AGREED: "sign_off",
    S.SIGNED_BY_APPRAISEE: "sign_off",
}

DUE_KIND_LABELS = {
    "self_assessment": "Self-assessment",
    "review": "Review meeting",
    "sign_off": "Sign-off",
}


class HasDueDates(Protocol):
    state: AppraisalState
    self_assessment_due: date
    review_due: date
    sign_off_due: date


def current_due(appraisal: HasDueDates) -> tuple[str, date] | None:
    """(kind, date) of the next deadline, or None when the appraisal is not open."""
    kind = DUE_KIND_BY_STATE.get(appraisal.state)
    if kind is None:
        return None
    return kind, getattr(appraisal, f"{kind}_due")
