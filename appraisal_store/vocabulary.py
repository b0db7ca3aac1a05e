"""The store's controlled vocabularies (stored as their values, shown as their labels)."""

from __future__ import annotations

from enum import StrEnum


class OrgType(StrEnum):
    NHS_TRUST = "nhs-trust"
    FOUNDATION_TRUST = "foundation-trust"
    ICB = "icb"
    NHS_ENGLAND = "nhs-england"

    @property
    def label(self) -> str:
        return {
            "nhs-trust": "NHS trust",
            "foundation-trust": "NHS foundation trust",
            "icb": "Integrated care board",
            "nhs-england": "NHS England",
        }[self.value]

    @property
    def submits_to_nhse(self) -> bool:
        """ICB and NHS trust chair and NED appraisals go to NHS England; the rest stay local."""
        return self in (OrgType.NHS_TRUST, OrgType.ICB)


class BoardRole(StrEnum):
    CHAIR = "chair"
    CHIEF_EXECUTIVE = "chief-executive"
    EXECUTIVE_DIRECTOR = "executive-director"
    NON_EXECUTIVE_DIRECTOR = "non-executive-director"
    SENIOR_INDEPENDENT_DIRECTOR = "senior-independent-director"
    # A non-executive director who deputises for the chair; stands in for a missing SID.
    DEPUTY_CHAIR = "deputy-chair"
    COMPANY_SECRETARY = "company-secretary"

    @property
    def label(self) -> str:
        return {
            "chair": "Chair",
            "chief-executive": "Chief executive",
            "executive-director": "Executive director",
            "non-executive-director": "Non-executive director",
            "senior-independent-director": "Senior independent director",
            "deputy-chair": "Deputy chair",
            "company-secretary": "Company secretary",
        }[self.value]

    @property
    def is_board_member(self) -> bool:
        """Board members are appraised; the company secretary supports the board but is not one."""
        return self is not BoardRole.COMPANY_SECRETARY

    @property
    def is_non_executive(self) -> bool:
        return self in (BoardRole.NON_EXECUTIVE_DIRECTOR, BoardRole.SENIOR_INDEPENDENT_DIRECTOR,
                        BoardRole.DEPUTY_CHAIR)


class AppraisalState(StrEnum):
    NOT_STARTED = "not_started"
    IN_PREPARATION = "in_preparation"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    RETURNED = "returned"
    AGREED = "agreed"
    SIGNED_BY_APPRAISEE = "signed_by_appraisee"
    COMPLETE = "complete"
    SUBMITTED_TO_NHSE = "submitted_to_nhse"
    WITHDRAWN = "withdrawn"
    DEFERRED = "deferred"

    @property
    def label(self) -> str:
        words = self.value.replace("_", " ").capitalize()
        return words.replace("nhse", "NHS England")

    @property
    def is_open(self) -> bool:
        """Open appraisals still have work to do (and get reminders)."""
        return self in OPEN_STATES


OPEN_STATES = frozenset(
    {
        AppraisalState.NOT_STARTED,
        AppraisalState.IN_PREPARATION,
        AppraisalState.SUBMITTED,
        AppraisalState.IN_REVIEW,
        AppraisalState.RETURNED,
        AppraisalState.AGREED,
        AppraisalState.SIGNED_BY_APPRAISEE,
    }
)
FINISHED_STATES = frozenset({AppraisalState.COMPLETE, AppraisalState.SUBMITTED_TO_NHSE})
# Appraisals that are not due anywhere: a leaver's (withdrawn) and a deferred one stay on
# record but never appear on a list of what is due, to NHS England or locally.
NOT_DUE_STATES = frozenset({AppraisalState.WITHDRAWN, AppraisalState.DEFERRED})


class ReflectionAuthor(StrEnum):
    APPRAISEE = "appraisee"
    APPRAISER = "appraiser"


class ObjectiveKind(StrEnum):
    PERSONAL = "personal"
    ORGANISATIONAL = "organisational"
    EDI = "edi"

    @property
    def label(self) -> str:
        return {"personal": "Personal", "organisational": "Organisational",
                "edi": "Equality, diversity and inclusion"}[self.value]


class ObjectiveOutcome(StrEnum):
    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"

    @property
    def label(self) -> str:
        return {"met": "Met", "partly_met": "Partly met", "not_met": "Not met"}[self.value]


class FPPTStatus(StrEnum):
    FIT_AND_PROPER = "fit_and_proper"
    NOT_FIT_AND_PROPER = "not_fit_and_proper"
    UNDER_REVIEW = "under_review"

    @property
    def label(self) -> str:
        return {"fit_and_proper": "Fit and proper", "not_fit_and_proper": "Not fit and proper",
                "under_review": "Under review"}[self.value]


class SignatureRole(StrEnum):
    APPRAISEE = "appraisee"
    APPRAISER = "appraiser"


class RecordStage(StrEnum):
    SIGNED_BY_APPRAISEE = "signed_by_appraisee"
    COMPLETE = "complete"
    # The complete record with NHS England's regional endorsement as its third signature.
    ENDORSED = "endorsed"
