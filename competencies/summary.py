"""Domain summaries of a self-assessment: counts, strong share and development flags.

The scale is ordinal, not a score, so a summary never adds answers up. It counts each
answer, gives the share of "Almost always" and "Frequently" among the applicable answers,
and flags a domain as a prompt for the development plan. It never passes or fails anyone:
the appraiser judges broad competence. "No chance to demonstrate" is not applicable: it
is left out of every share and never counts as low.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from competencies.framework import Domain, Framework
from competencies.scale import ScaleLabel

__all__ = [
    "NO_CHANCE_FLAG_REASON",
    "RARELY_FLAG_REASON",
    "DomainSummary",
    "median_label",
    "summarise_all",
    "summarise_domain",
]

RARELY_FLAG_REASON = (
    "Most applicable answers are 'Rarely or never': consider this domain for the development plan."
)
NO_CHANCE_FLAG_REASON = (
    "Most answers are 'No chance to demonstrate': consider this domain for the development plan."
)

# The applicable answers from least to most often demonstrated, for the median.
_ASCENDING = (
    ScaleLabel.RARELY_OR_NEVER,
    ScaleLabel.OCCASIONALLY,
    ScaleLabel.FREQUENTLY,
    ScaleLabel.ALMOST_ALWAYS,
)


@dataclass(frozen=True)
class DomainSummary:
    """How one domain was answered in one self-assessment (or appraiser review).

    Attributes:
        domain_id: The domain summarised.
        counts: Number of each answer, every label present (zero included), in the
            published order. Read-only.
        applicable: Answers other than "No chance to demonstrate".
        not_applicable: "No chance to demonstrate" answers.
        strong_share: Share (0 to 1) of "Almost always" plus "Frequently" among the
            applicable answers; None when there are no applicable answers.
        flagged: True when strictly more than half of the applicable answers are
            "Rarely or never", or strictly more than half of all answers are "No chance
            to demonstrate": a prompt for the development plan, not a fail.
        flag_reason: The sentence to show when flagged (both sentences if both hold);
            None when not flagged.
        unanswered: Statements of the domain with no answer yet; not answers, so in no
            count, share or flag.
    """

    domain_id: str
    counts: Mapping[ScaleLabel, int]
    applicable: int
    not_applicable: int
    strong_share: float | None
    flagged: bool
    flag_reason: str | None
    unanswered: int = 0

    @property
    def answered(self) -> int:
        """Every answer given, "No chance to demonstrate" included."""
        return self.applicable + self.not_applicable

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, counts keyed by the stored enum value."""
        return {
            "domain_id": self.domain_id,
            "counts": {label.value: count for label, count in self.counts.items()},
            "applicable": self.applicable,
            "not_applicable": self.not_applicable,
            "unanswered": self.unanswered,
            "strong_share": self.strong_share,
            "flagged": self.flagged,
            "flag_reason": self.flag_reason,
        }


def summarise_domain(
    domain: Domain, ratings: Mapping[str, ScaleLabel | str | None]
) -> DomainSummary:
    """Summarise the answers to one domain's statements.

    Args:
        domain: The domain, from the framework version the appraisal is pinned to.
        ratings: Answers keyed by statement id; may hold other domains' statements (they
            are ignored here). A missing id or a None value is unanswered. A stored enum
            value string (``"frequently"``) is accepted in place of the enum.

    Returns:
        The domain's counts, strong share and development flag.

    Raises:
        ValueError: A rating is not one of the five scale values.
    """
    counts = dict.fromkeys(ScaleLabel, 0)
    unanswered = 0
    for statement in domain.statements:
        answer = ratings.get(statement.id)
        if answer is None:
            unanswered += 1
        else:
            counts[ScaleLabel(answer)] += 1
    not_applicable = counts[ScaleLabel.NO_CHANCE_TO_DEMONSTRATE]
    applicable = sum(count for label, count in counts.items() if label.applicable)
    strong = sum(count for label, count in counts.items() if label.is_strong)
    # "Most" means strictly more than half: exactly half is not flagged.
    mostly_rarely = counts[ScaleLabel.RARELY_OR_NEVER] * 2 > applicable
    mostly_no_chance = not_applicable * 2 > applicable + not_applicable
    reasons = [
        reason
        for holds, reason in (
            (mostly_rarely, RARELY_FLAG_REASON),
            (mostly_no_chance, NO_CHANCE_FLAG_REASON),
        )
        if holds
    ]
    return DomainSummary(
        domain_id=domain.id,
        counts=MappingProxyType(counts),
        applicable=applicable,
        not_applicable=not_applicable,
        strong_share=strong / applicable if applicable else None,
        flagged=bool(reasons),
        flag_reason=" ".join(reasons) or None,
        unanswered=unanswered,
    )


def summarise_all(
    framework: Framework, ratings: Mapping[str, ScaleLabel | str | None]
) -> list[DomainSummary]:
    """Summarise every domain of a framework, in display order.

    Args:
        framework: The framework version the appraisal is pinned to.
        ratings: Answers keyed by statement id (missing or None means unanswered).

    Returns:
        One summary per domain.

    Raises:
        ValueError: A rating names a statement this framework version does not have
            (ratings pinned to another version), or is not a scale value.
    """
    known = set(framework.statement_ids())
    unknown = sorted(statement_id for statement_id in ratings if statement_id not in known)
    if unknown:
        raise ValueError(
            f"ratings name statements that {framework.label} does not have: {', '.join(unknown)}"
        )
    return [summarise_domain(domain, ratings) for domain in framework.domains]


def median_label(labels: Iterable[ScaleLabel | str | None]) -> ScaleLabel | None:
    """The median of the applicable answers on the scale's order, for charts.

    "No chance to demonstrate" and None are left out. With an even number of answers
    the lower of the two middle answers (the one nearer "Rarely or never") is taken, so
    the median never overstates and is always an answer someone actually gave.

    Args:
        labels: Answers in any order.

    Returns:
        The median answer, or None when there is no applicable answer.

    Raises:
        ValueError: A label is not one of the five scale values.
    """
    applicable = sorted(
        (
            answer
            for answer in (ScaleLabel(label) for label in labels if label is not None)
            if answer.applicable
        ),
        key=_ASCENDING.index,
    )
    if not applicable:
        return None
    return applicable[(len(applicable) - 1) // 2]
