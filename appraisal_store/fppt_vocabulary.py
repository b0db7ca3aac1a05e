"""The FPPT's controlled vocabularies (stored as their values, shown as their labels)."""

from __future__ import annotations

from enum import StrEnum


class FPPTYearState(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    READY_FOR_SIGN_OFF = "ready_for_sign_off"
    SIGNED_OFF = "signed_off"
    NOT_REQUIRED = "not_required"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class FPPTOutcome(StrEnum):
    FIT_AND_PROPER = "fit_and_proper"
    NOT_FIT_AND_PROPER = "not_fit_and_proper"
    FIT_AND_PROPER_WITH_MITIGATION = "fit_and_proper_with_mitigation"

    @property
    def label(self) -> str:
        return {"fit_and_proper": "Fit and proper",
                "not_fit_and_proper": "Not fit and proper",
                "fit_and_proper_with_mitigation": "Fit and proper, with mitigation recorded",
                }[self.value]


class CheckOutcome(StrEnum):
    CLEAR = "clear"
    CONCERN = "concern"
    NOT_APPLICABLE = "not-applicable"

    @property
    def label(self) -> str:
        return {"clear": "Clear", "concern": "Concern",
                "not-applicable": "Not applicable"}[self.value]


class ReferenceState(StrEnum):
    OPEN = "open"
    SIGNED = "signed"

    @property
    def label(self) -> str:
        return {"open": "To complete", "signed": "Signed and sealed"}[self.value]
