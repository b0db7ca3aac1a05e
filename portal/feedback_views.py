"""What the portal shows of an appraisal's feedback round, to whom.

The appraiser and the organisation's administrators see the round: who was asked, in which
group, and whether they answered (never what). The summary (``feedback_summary``) is shown
to those who may see the appraisal's content, once the round has closed, never on a page
beside the names of those asked, and each showing is audited as a view of content (page
"feedback summary") before it is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import col

from appraisal_store.actors import Actor
from appraisal_store.feedback_summary import (
    FeedbackSummary,
    RoundStatus,
    feedback_summary,
    round_status,
)
from appraisal_store.feedback_tables import FeedbackFormVersion, FeedbackRound
from appraisal_store.lifecycle import Party
from appraisal_store.models import Cycle, Person
from appraisal_store.services.access import can_view_content, get_appraisal
from appraisal_store.services.feedback_forms import form_of
from appraisal_store.services.frameworks import framework_of
from competencies.feedback_form import default_feedback_form

from .store import RequestStore, record_view_alone

SUMMARY_PAGE = "feedback summary"


@dataclass(frozen=True)
class FeedbackView:
    appraisal_id: int
    runs_round: bool  # the appraiser or an administrator
    is_appraisee: bool
    has_round: bool
    asked: int
    answered: int
    response_rate: str
    may_propose: bool
    open: bool
    closes_on: date | None
    status: RoundStatus | None  # who was asked: for those who run the round only
    summary: FeedbackSummary | None
    groups: list[tuple[str, str]]
    caption: str = ""  # whose appraisal, which year: the page's caption
    is_appraiser: bool = False


def feedback_view(store: RequestStore, actor: Actor, appraisal_id: int, *,
                  beside_names: bool = False) -> FeedbackView:
    """The round as the actor may see it, read from the request's ``store``; the
    summary's showing audited at the store's moment.

    ``beside_names`` is for a page that lists who was asked to those who run the round:
    they get no summary there, so no page shows answers beside the names of those asked
    (the appraisee, who never sees the names, does get it).

    Raises:
        NotFound: the actor does not stand to the appraisal.
    """
    with store.read() as session:
        appraisal, parties = get_appraisal(session, actor, appraisal_id)
        runs = bool(parties & {Party.APPRAISER, Party.ADMINISTRATOR, Party.SYSTEM})
        status = round_status(session, appraisal_id)
        summary = None
        if status is not None and status.closed and not (beside_names and runs) and (
                Party.APPRAISER in parties or Party.APPRAISEE in parties
                or can_view_content(session, actor, appraisal)):
            summary = feedback_summary(session, appraisal,
                                       framework_of(session, appraisal.framework_version_id))
        version = session.execute(select(FeedbackFormVersion).join(
            FeedbackRound, col(FeedbackRound.form_version_id) == col(FeedbackFormVersion.id))
            .where(col(FeedbackRound.appraisal_id) == appraisal_id)).scalar_one_or_none()
        form = form_of(version) if version is not None else default_feedback_form()
        appraisee = session.get(Person, appraisal.appraisee_id)
        cycle = session.get(Cycle, appraisal.cycle_id)
        caption = (f"{appraisee.name if appraisee else ''}, "
                   f"{cycle.year if cycle else ''} appraisal").strip(", ")
    if summary is not None:
        record_view_alone(actor, appraisal, SUMMARY_PAGE, now=store.now)
    return FeedbackView(
        appraisal_id, runs, Party.APPRAISEE in parties, status is not None,
        status.asked if status else 0, status.answered if status else 0,
        status.response_rate if status else "No feedback round yet",
        bool(status and status.may_propose), bool(status and not status.closed),
        status.closes_on if status else None,
        status if runs else None, summary, [(g.id, g.name) for g in form.groups], caption,
        Party.APPRAISER in parties)
