"""The demo's multi-source feedback: every appraisal that reaches review has a round with
answers, given through the same services as the respondents' form, then closed.

Board colleagues are asked (the default for a round) and three partners besides; most
answer, one declines and one never does, so the response rate is a real one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import col

from appraisal_store.actors import Actor
from appraisal_store.feedback_links import link_token
from appraisal_store.feedback_tables import FeedbackRespondent, FeedbackRound
from appraisal_store.services import feedback
from appraisal_store.services.feedback import Nomination
from appraisal_store.services.feedback_answers import (
    decline_feedback,
    redeem_feedback_link,
    respondent_session,
    save_feedback_answers,
    submit_feedback,
)
from appraisal_store.sessions import read_session, write_session
from appraisal_store.vocabulary import AppraisalState
from competencies.scale import ScaleLabel

if TYPE_CHECKING:  # the scenario calls this module: no import cycle at run time
    from .demo_scenario import DemoAppraisal

S = AppraisalState
REACHED_REVIEW = frozenset({S.RETURNED, S.IN_REVIEW, S.AGREED, S.SIGNED_BY_APPRAISEE,
                            S.COMPLETE})
OPENED_ON = date(2026, 1, 5)
# The respondents answer nine days after the round opens; it closes on the 22nd day.
_ANSWERED_AFTER = timedelta(days=9)
_CLOSES_AFTER = timedelta(days=22)


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)
_SCALE = [ScaleLabel.ALMOST_ALWAYS, ScaleLabel.FREQUENTLY, ScaleLabel.FREQUENTLY,
          ScaleLabel.ALMOST_ALWAYS, ScaleLabel.OCCASIONALLY,
          ScaleLabel.NO_CHANCE_TO_DEMONSTRATE]
_WELL = ["Clear, fair challenge in committee, always grounded in the papers.",
         "Listens before deciding and explains the reasons afterwards.",
         "Keeps patients' experience at the centre of board discussions.",
         "Builds trust with partners across the system.",
         "Makes it easy for staff to raise concerns."]
_DIFFERENTLY = ["Could be more visible on the wards and at staff events.",
                "Could share thinking earlier, before papers are final.",
                "Could use data on inequalities more in challenge.",
                "Could delegate more of the detail to committees."]


def gather_feedback(appraisal: DemoAppraisal, *, opened_on: date = OPENED_ON) -> None:
    """Open the appraisal's round on ``opened_on``, answer it as most respondents would,
    and close it three weeks later."""
    operator = Actor.operator()
    answered_on, closes_on = opened_on + _ANSWERED_AFTER, opened_on + _CLOSES_AFTER
    code = appraisal.organisation_code.lower()
    with write_session() as session:
        feedback.open_rounds(session=session, actor=operator, appraisal_ids=[appraisal.id],
                             today=opened_on, now=_at(opened_on, 9), closes_on=closes_on)
        feedback.nominate(session=session, actor=operator, appraisal_id=appraisal.id,
                          nominations=[Nomination(name, f"{email}.{code}@partners.example",
                                                  "stakeholders")
                                       for name, email in (("Grace Adeyemi", "g.adeyemi"),
                                                           ("Tom Lindqvist", "t.lindqvist"),
                                                           ("Asha Rahman", "a.rahman"))],
                          today=opened_on, now=_at(opened_on, 9))
    with read_session() as session:
        round_id = session.execute(select(col(FeedbackRound.id)).where(
            col(FeedbackRound.appraisal_id) == appraisal.id)).scalar_one()
        nonces = list(session.execute(select(col(FeedbackRespondent.link_nonce)).where(
            col(FeedbackRespondent.round_id) == round_id).order_by(
            col(FeedbackRespondent.id))).scalars())
    for index, nonce in enumerate(nonces):
        if index == len(nonces) - 1:
            continue  # one never answers
        _answer(nonce, appraisal.id + index, decline=index == 2, on=answered_on)
    with write_session() as session:
        feedback.close_rounds(session=session, actor=operator, appraisal_ids=[appraisal.id],
                              now=_at(closes_on, 17))


def _answer(nonce: str, seed: int, *, decline: bool, on: date) -> None:
    now = _at(on, 10)
    with write_session() as session:
        started = redeem_feedback_link(session=session, token=link_token(nonce),
                                       today=on, now=now)
    assert started is not None
    secret = started[0]
    with write_session() as session:
        if decline:
            decline_feedback(session=session, secret=secret, today=on, now=now)
            return
        variant = respondent_session(session, secret=secret, today=on).variant
        ratings = {s: _SCALE[(i + seed) % len(_SCALE)].value
                   for i, s in enumerate(variant.statement_ids())}
        places = [p or "overall" for p in variant.text_places()]
        texts = {f"{places[seed % len(places)]}:do_well": _WELL[seed % len(_WELL)],
                 f"{places[(seed + 1) % len(places)]}:do_differently":
                     _DIFFERENTLY[seed % len(_DIFFERENTLY)]}
        save_feedback_answers(session=session, secret=secret, ratings=ratings, texts=texts,
                              today=on, now=now)
        submit_feedback(session=session, secret=secret, today=on, now=now)
