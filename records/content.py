"""Everything a signed record shows, as plain immutable data.

The renderer never sees a database object: ``records.build`` (or a test) turns an
appraisal into a :class:`RecordContent`, and the same content always renders to the same
bytes. Scale answers are carried as their published labels ("Almost always", ...), so the
record shows exactly what NHS England prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = [
    "DevelopmentLine",
    "FeedbackDomainLine",
    "FeedbackSection",
    "FeedbackTheme",
    "DomainSection",
    "FPPTSection",
    "LabelCount",
    "ObjectiveLine",
    "ObjectiveReviewLine",
    "RecordContent",
    "RegionalInputLine",
    "StatementLine",
]


@dataclass(frozen=True)
class StatementLine:
    """One competency statement and the appraisee's answer (None when unanswered)."""

    text: str
    self_label: str | None


@dataclass(frozen=True)
class LabelCount:
    """How many statements in a domain received one answer, e.g. ("Frequently", 3)."""

    label: str
    count: int


@dataclass(frozen=True)
class DomainSection:
    """One LCF domain as the record shows it.

    ``strong_share`` is the share (0.0 to 1.0) of "Almost always" plus "Frequently" among
    the applicable answers, None when no answer was applicable. ``flagged`` marks a
    prompt for the development plan, never a pass or a fail.
    """

    number: int
    name: str
    what_good_looks_like: str
    statements: tuple[StatementLine, ...]
    counts: tuple[LabelCount, ...]
    strong_share: float | None
    flagged: bool
    flag_reason: str | None
    self_reflection: str
    appraiser_commentary: str
    self_median_label: str | None
    appraiser_view_label: str | None


@dataclass(frozen=True)
class ObjectiveReviewLine:
    """Last year's objective and how it went ("Met", "Partly met", "Not met")."""

    text: str
    outcome_label: str
    comment: str


@dataclass(frozen=True)
class ObjectiveLine:
    """A new objective for the coming year; ``is_edi`` marks the EDI objective."""

    kind_label: str
    is_edi: bool
    text: str
    measure: str
    target_date: date | None


@dataclass(frozen=True)
class DevelopmentLine:
    """One line of the development plan."""

    need: str
    action: str
    support: str
    timescale: str


@dataclass(frozen=True)
class FPPTSection:
    """The fit and proper person test as the record shows it: the outcome of the person's
    FPPT year and its sign-off when signed off (``sign_off`` names who and when), else the
    year's state and the appraiser's confirmation of the last assessment.

    ``status_label`` is an FPPT outcome ("Fit and proper", "Not fit and proper", "Fit and
    proper, with mitigation recorded"), the appraiser's "Under review", or "Not confirmed".
    """

    last_assessed_on: date | None
    status_label: str
    notes: str
    self_attested_on: date | None
    sign_off: str = "Not signed off"


@dataclass(frozen=True)
class FeedbackDomainLine:
    """One domain's counts: of each label (in scale order) in the self-assessment, then in
    each column of the summary."""

    name: str
    self_assessment: tuple[int, ...]
    columns: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class FeedbackTheme:
    place: str
    prompt: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class FeedbackSection:
    """The multi-source feedback summary as the record carries it: counts and unattributed
    text only (``appraisal_store.feedback_summary`` makes it confidential)."""

    response_rate: str
    threshold: int
    columns: tuple[str, ...]  # each with its number of responses, e.g. "Board colleagues (4)"
    domains: tuple[FeedbackDomainLine, ...]
    themes: tuple[FeedbackTheme, ...]


@dataclass(frozen=True)
class RegionalInputLine:
    """NHS England's regional director's written input to a chair's appraisal."""

    name: str
    given_on: date
    text: str


@dataclass(frozen=True)
class RecordContent:
    """The whole appraisal record, ready to render.

    ``issued_on`` is fixed from the data (the day the record was agreed), never the
    clock: it becomes the PDF's creation date so that rendering is deterministic.
    ``disagreement`` is empty when none was recorded.
    """

    record_id: str
    organisation_name: str
    organisation_code: str
    organisation_type_label: str
    appraisee_name: str
    appraisee_role: str
    appraiser_name: str
    appraiser_role: str
    cycle_year: str
    meeting_date: date | None
    framework_name: str
    framework_version: str
    framework_hash: str
    domains: tuple[DomainSection, ...]
    previous_objectives: tuple[ObjectiveReviewLine, ...]
    objectives: tuple[ObjectiveLine, ...]
    development_plan: tuple[DevelopmentLine, ...]
    fppt: FPPTSection
    msf_summary: str
    appraisee_comments: str
    appraiser_comments: str
    disagreement: str
    issued_on: date
    nhse_note: str
    # The closed feedback round's summary; None when there was no round (or it was open).
    feedback: FeedbackSection | None = None
    # Who endorses the record for NHS England (its third signature's box); empty when the
    # record is held locally or not endorsed.
    endorsement_by: str = ""
    # The regional director's input, where the routing policy gives them that part.
    regional_input: tuple[RegionalInputLine, ...] = ()
