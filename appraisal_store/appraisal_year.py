"""What a cycle's year label means: the performance year appraised.

``2025/26`` appraises the work of 1 April 2025 to 31 March 2026. The appraisal's own dates
fall in that year or after it, and NHS England's deadlines follow from it: ICB and NHS
trust chairs' appraisals by 30 June after the year ends, their non-executive directors' by
30 September (domain.md Part 1, item 5). The cycle-opening page, ``appraisal cycle open
--help`` and the README say so in these words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .date_words import long_date
from .errors import ValidationFailed

_YEAR = re.compile(r"^(\d{4})/(\d{2})$")

YEAR_MEANING = ("The year is the performance year appraised: 2025/26 covers 1 April 2025 "
                "to 31 March 2026. NHS England's deadlines follow from it: ICB and NHS trust "
                "chairs' appraisals by 30 June after the year ends (30 June 2026), their "
                "non-executive directors' by 30 September (30 September 2026).")


@dataclass(frozen=True)
class AppraisalYear:
    """One performance year and the deadlines that follow from it."""

    label: str
    starts: date
    ends: date

    @property
    def chair_deadline(self) -> date:
        """NHS England's deadline for ICB and NHS trust chairs: 30 June after the year."""
        return date(self.ends.year, 6, 30)

    @property
    def non_executive_deadline(self) -> date:
        """NHS England's deadline for their non-executive directors: 30 September after."""
        return date(self.ends.year, 9, 30)

    def describe(self) -> str:
        """The year in one sentence, with its own dates."""
        return (f"{self.label} appraises performance from {long_date(self.starts)} to "
                f"{long_date(self.ends)}; NHS England wants ICB and NHS trust chairs' appraisals "
                f"by {long_date(self.chair_deadline)} and their non-executive directors' by "
                f"{long_date(self.non_executive_deadline)}.")


def appraisal_year(label: str) -> AppraisalYear:
    """``"2025/26"`` -> the performance year 1 April 2025 to 31 March 2026.

    Raises:
        ValidationFailed: the label is not a financial year like 2025/26.
    """
    match = _YEAR.match(label.strip())
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValidationFailed(f"'{label}' is not a financial year: write it like 2025/26 "
                               "(the performance year appraised).")
    start = int(match.group(1))
    return AppraisalYear(label.strip(), date(start, 4, 1), date(start + 1, 3, 31))
