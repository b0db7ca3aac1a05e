"""Which portal page an email about an appraisal links to: the one its reader acts on.

The appraisee works on their appraisal, the appraiser on the review, the company secretary
(and any administrator) on the appraisal's management page. The page is chosen where the
message is queued, where the reader's part is known, and kept in the message's payload.
"""

from __future__ import annotations

from enum import StrEnum

PAYLOAD_KEY = "page"
# The page of a message not about an appraisal (an FPPT year, a reference).
PATH_KEY = "path"


class Page(StrEnum):
    APPRAISAL = "appraisal"
    REVIEW = "review"
    MANAGEMENT = "management"
    ENDORSEMENT = "endorsement"  # NHS England's regional director endorses the record
    YEAR = "year"  # the objectives through the year: mid-year review and check-ins
    REGIONAL_INPUT = "regional-input"  # the regional director's input to a chair's appraisal
    OUTCOME = "outcome"  # a foundation trust chair's outcome, for the nominations committee


_PATHS = {Page.APPRAISAL: "/appraisals/{id}", Page.REVIEW: "/review/{id}",
          Page.MANAGEMENT: "/manage/appraisals/{id}", Page.ENDORSEMENT: "/endorsements/{id}",
          Page.YEAR: "/appraisals/{id}/year", Page.REGIONAL_INPUT: "/regional-input/{id}",
          Page.OUTCOME: "/outcomes/{id}"}


def for_reader(page: Page) -> dict[str, str]:
    """The payload entry naming the page (merge it into the message's payload)."""
    return {PAYLOAD_KEY: page.value}


def page_path(payload: dict[str, object], appraisal_id: int | None) -> str:
    """The path the email links to; the appraisal itself for messages queued before the
    page was recorded (they all went to appraisees), home when there is no appraisal.
    A message about something else (an FPPT year, a reference) names its page's path."""
    path = payload.get(PATH_KEY)
    if isinstance(path, str) and path.startswith("/") and not path.startswith("//"):
        return path
    if appraisal_id is None:
        return "/"
    try:
        page = Page(str(payload.get(PAYLOAD_KEY, Page.APPRAISAL.value)))
    except ValueError:
        page = Page.APPRAISAL
    return _PATHS[page].format(id=appraisal_id)
