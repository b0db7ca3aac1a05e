"""A realistic :class:`RecordContent` for the tests and the benchmark's smoke helpers.

The statements here are sample wording written for this project, not NHS England's text.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from competencies.names import OFFICIAL_DOMAIN_NAMES
from competencies.scale import SCALE_LABEL_TEXTS, ScaleLabel
from competencies.summary import median_label
from records.content import (
    DevelopmentLine,
    DomainSection,
    FPPTSection,
    LabelCount,
    ObjectiveLine,
    ObjectiveReviewLine,
    RecordContent,
    StatementLine,
)

__all__ = ["LCF_DOMAIN_NAMES", "SCALE_LABELS", "sample_content"]

# The six official names, from the one place the project keeps them.
LCF_DOMAIN_NAMES: tuple[str, ...] = OFFICIAL_DOMAIN_NAMES

SCALE_LABELS: tuple[str, ...] = SCALE_LABEL_TEXTS

_STATEMENTS: tuple[tuple[str, ...], ...] = (
    (
        "I keep the board's attention on the safety and quality of care.",
        "I use data and evidence to test whether services improve outcomes.",
        "I challenge plans that do not use resources sustainably.",
        "I support a culture of continuous improvement.",
        "I ask what patients and carers experience, not only what is reported.",
    ),
    (
        "I help set a long-term direction that fits system and national priorities.",
        "I look ahead and consider risks and opportunities for the organisation.",
        "I oversee change programmes through to delivery.",
        "I encourage innovation and learning from elsewhere.",
        "I check that strategy is affordable and realistic.",
    ),
    (
        "I act to reduce health inequalities in the population we serve.",
        "I act to reduce inequalities in how our workforce is treated.",
        "I role-model inclusive behaviour and challenge discrimination.",
        "I make sure the board looks at data by protected characteristic.",
        "I seek out views from people who are seldom heard.",
    ),
    (
        "I bring effective scrutiny and constructive challenge.",
        "I understand the organisation's principal risks and how they are managed.",
        "I hold myself to the standards of public life.",
        "I make sure decisions are recorded and accountable.",
        "I declare and manage any conflict of interest.",
    ),
    (
        "I help people feel safe to speak up.",
        "I challenge poor behaviour whoever shows it.",
        "I show compassion in how I lead and decide.",
        "I support a just and learning response when things go wrong.",
        "I look after my own wellbeing and that of colleagues.",
    ),
    (
        "I build trust with system partners.",
        "I collaborate across organisational boundaries for patients.",
        "I involve patients, the public and communities in decisions.",
        "I represent the organisation with integrity.",
        "I share information openly with partners where it is right to do so.",
    ),
)

# One pattern per domain so the sample shows every answer, a flag and an n/a median.
_ANSWERS: tuple[tuple[str, ...], ...] = (
    ("Almost always", "Frequently", "Almost always", "Frequently", "Occasionally"),
    ("Frequently", "Frequently", "Occasionally", "Almost always", "Frequently"),
    ("Rarely or never", "Rarely or never", "Occasionally", "Rarely or never", "Frequently"),
    ("Almost always", "Almost always", "Almost always", "Frequently", "Almost always"),
    (
        "No chance to demonstrate",
        "No chance to demonstrate",
        "No chance to demonstrate",
        "Frequently",
        "No chance to demonstrate",
    ),
    ("Frequently", "Occasionally", "Frequently", "Almost always", "Frequently"),
)
_APPRAISER_VIEWS: tuple[str | None, ...] = (
    "Almost always",
    "Frequently",
    "Occasionally",
    "Almost always",
    None,
    "Frequently",
)

_FILLER = (
    "Over the year I chaired the quality committee through a difficult winter, and "
    "we agreed a clearer escalation route for harm reviews. "
)


def _text_of_length(opening: str, length: int) -> str:
    """Return ``opening`` padded with realistic sentences to about ``length`` characters."""
    if length <= len(opening):
        return opening
    text = opening + " "
    while len(text) < length:
        text += _FILLER
    text = text[:length]
    # End on a whole word so the sample reads like something a person wrote.
    return (text.rsplit(" ", 1)[0] if " " in text[len(opening) :] else text).rstrip(" ,") + "."


def _median(labels: list[str]) -> str | None:
    median = median_label(ScaleLabel.from_label(label) for label in labels)
    return median.label if median is not None else None


def _domain(number: int, comment_length: int) -> DomainSection:
    answers = list(_ANSWERS[number - 1])
    counted = Counter(answers)
    applicable = [a for a in answers if a != "No chance to demonstrate"]
    strong = sum(1 for a in applicable if a in ("Almost always", "Frequently"))
    share = strong / len(applicable) if applicable else None
    rarely = sum(1 for a in applicable if a == "Rarely or never")
    flag_reason: str | None = None
    if applicable and rarely * 2 > len(applicable):
        flag_reason = "Most applicable answers are \u201cRarely or never\u201d."
    elif counted["No chance to demonstrate"] * 2 > len(answers):
        flag_reason = "Most answers are \u201cNo chance to demonstrate\u201d."
    return DomainSection(
        number=number,
        name=LCF_DOMAIN_NAMES[number - 1],
        what_good_looks_like=(
            "Sample summary of what good looks like for this domain; the organisation "
            "loads NHS England's wording with the framework import command."
        ),
        statements=tuple(
            StatementLine(text=text, self_label=answer)
            for text, answer in zip(_STATEMENTS[number - 1], answers, strict=True)
        ),
        counts=tuple(LabelCount(label, counted[label]) for label in SCALE_LABELS),
        strong_share=share,
        flagged=flag_reason is not None,
        flag_reason=flag_reason,
        self_reflection=_text_of_length(
            f"My reflection on domain {number}: I made progress but want to do more.",
            comment_length,
        ),
        appraiser_commentary=_text_of_length(
            f"The appraiser's view of domain {number}: a fair self-assessment.",
            comment_length,
        ),
        self_median_label=_median(answers),
        appraiser_view_label=_APPRAISER_VIEWS[number - 1],
    )


def sample_content(
    *,
    record_id: str = "REC-2025-RXX-0001",
    appraisee_name: str = "Siân Ŵyn ap Gruffydd",
    appraisee_role: str = "Non-executive director",
    appraiser_name: str = "Zoë Łukasiewicz",
    appraiser_role: str = "Chair",
    organisation_name: str = "Northshire Hospitals NHS Foundation Trust",
    comment_length: int = 400,
    appraisee_comments: str | None = None,
    appraiser_comments: str | None = None,
    disagreement: str = (
        "The appraisee considers the rating of domain 3 too low; for a non-executive "
        "director the chair's view stands."
    ),
    issued_on: date = date(2025, 6, 12),
) -> RecordContent:
    """Build a complete record with every field filled.

    Args:
        record_id: Identifier printed in the footer and used for the PDF's /ID.
        appraisee_name: The director appraised.
        appraisee_role: Their board role.
        appraiser_name: Who appraised them.
        appraiser_role: The appraiser's role.
        organisation_name: The organisation's name.
        comment_length: Length in characters of each domain reflection and commentary
            (and of the overall comments when those are not given).
        appraisee_comments: Overrides the appraisee's overall comments.
        appraiser_comments: Overrides the appraiser's overall comments.
        disagreement: The recorded disagreement; empty for none.
        issued_on: The record's fixed document date.

    Returns:
        A :class:`RecordContent` that renders to a record of several pages.
    """
    return RecordContent(
        record_id=record_id,
        organisation_name=organisation_name,
        organisation_code="RXX",
        organisation_type_label="NHS foundation trust",
        appraisee_name=appraisee_name,
        appraisee_role=appraisee_role,
        appraiser_name=appraiser_name,
        appraiser_role=appraiser_role,
        cycle_year="2024/25",
        meeting_date=date(2025, 5, 20),
        framework_name="NHS Leadership Competency Framework for board members",
        framework_version="2024.1",
        framework_hash="sha256:" + "3f9a" * 16,
        domains=tuple(_domain(number, comment_length) for number in range(1, 7)),
        previous_objectives=(
            ObjectiveReviewLine(
                "Lead the review of the board assurance framework.",
                "Met",
                "Completed in October and adopted by the board.",
            ),
            ObjectiveReviewLine(
                "Visit every clinical division at least twice.",
                "Partly met",
                "Four of six divisions visited twice.",
            ),
            ObjectiveReviewLine(
                "Mentor a newly appointed associate NED.", "Not met", "Appointment delayed."
            ),
        ),
        objectives=(
            ObjectiveLine(
                "Personal",
                False,
                "Complete the NHS Providers board development programme.",
                "Certificate of completion",
                date(2026, 3, 31),
            ),
            ObjectiveLine(
                "Equality, diversity and inclusion",
                True,
                "Sponsor the reciprocal mentoring programme for staff from ethnic "
                "minority backgrounds.",
                "Two cohorts completed; WRES indicator 2 improved",
                date(2026, 3, 31),
            ),
            ObjectiveLine(
                "Organisational",
                False,
                "Chair the audit committee's review of data quality assurance.",
                "Report to the board with an action plan",
                None,
            ),
        ),
        development_plan=(
            DevelopmentLine(
                "Confidence in using population health data",
                "Attend the ICS population health masterclass",
                "ICB analytics team",
                "By December 2025",
            ),
            DevelopmentLine(
                "Seldom-heard voices",
                "Join two community listening events",
                "Head of patient experience",
                "Quarterly",
            ),
        ),
        fppt=FPPTSection(
            last_assessed_on=date(2025, 4, 2),
            status_label="Fit and proper",
            notes="Annual checks complete; no concerns raised.",
            self_attested_on=date(2025, 3, 20),
            sign_off="By Margaret Okafor (chair) on 2 April 2025, for 2024/25",
        ),
        msf_summary=_text_of_length(
            "Multi-source feedback from eleven colleagues praised clear challenge in "
            "committees and asked for more visible presence on wards.",
            comment_length,
        ),
        appraisee_comments=appraisee_comments
        if appraisee_comments is not None
        else _text_of_length("I found the conversation supportive and fair.", comment_length),
        appraiser_comments=appraiser_comments
        if appraiser_comments is not None
        else _text_of_length("A strong year with a clear development focus.", comment_length),
        disagreement=disagreement,
        issued_on=issued_on,
        nhse_note=(
            "Held locally: foundation trust non-executive appraisal. Chair and NED "
            "appraisals of NHS trusts and ICBs go to NHS England."
        ),
    )
