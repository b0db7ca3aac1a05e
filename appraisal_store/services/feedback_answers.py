"""A respondent's part: their link redeemed, answers saved as they go, submitted or declined.

Respondents have no account. Their link's token is redeemed by a POST (never by opening
the link: mail scanners open links); that starts a session on the form whose secret goes
in a cookie and whose SHA-256 is stored. The link works until the round closes and until
the respondent submits or declines; it opens only that respondent's own form.

Submitting moves the draft into a response that carries the group and nothing else of the
respondent (``feedback_tables``), and rewrites the round's responses in a random order
(``feedback_responses``): from then on the store cannot say who gave it, not even by the
order or the moment rows were written. The audit trail records that the respondent
answered, never what.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from competencies.feedback_form import FREE_TEXT_PROMPTS, FeedbackVariant
from competencies.scale import ScaleLabel

from ..actors import Actor
from ..audit import record_event
from ..errors import InvalidTransition, NotFound, ValidationFailed
from ..feedback_links import token_digest
from ..feedback_tables import (
    FeedbackDraft,
    FeedbackFormVersion,
    FeedbackRespondent,
    FeedbackRound,
    RespondentStatus,
)
from ..names import text_problems
from .feedback_forms import form_of
from .feedback_responses import add_response, lock_round

# The audit trail names the respondent by id only, never by name next to anything said.
RESPONDENT = Actor(label="a feedback respondent")
OVERALL = "overall"


@dataclass(frozen=True)
class RespondentSession:
    """What the form needs about the respondent behind a cookie."""

    respondent: FeedbackRespondent
    round: FeedbackRound
    variant: FeedbackVariant
    ratings: dict[str, str]
    texts: dict[str, str]  # "place:prompt" -> text


def _still_open(round_: FeedbackRound, today: date) -> bool:
    return round_.closed_at is None and today <= round_.closes_on


def redeem_feedback_link(*, session: Session, token: str, today: date,
                         now: datetime) -> tuple[str, str] | None:
    """Start the respondent's session on their form: (session secret, CSRF token), or None
    (nothing written) for a token that is unknown, already answered or declined, or whose
    round has closed."""
    row = session.execute(select(FeedbackRespondent).where(
        col(FeedbackRespondent.token_hash) == token_digest(token)).with_for_update()
    ).scalar_one_or_none()
    if row is None or row.status is not RespondentStatus.INVITED:
        return None
    round_ = session.get(FeedbackRound, row.round_id)
    if round_ is None or not _still_open(round_, today):
        return None
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    row.session_hash, row.csrf_token = token_digest(secret), csrf
    session.add(row)
    record_event(session, RESPONDENT, "feedback_link_used", subject_type="feedback_respondent",
                 subject_id=row.id or 0, organisation_id=round_.organisation_id, at=now)
    return secret, csrf


def respondent_session(session: Session, *, secret: str, today: date) -> RespondentSession:
    """The respondent behind a session secret, with their draft.

    Raises:
        NotFound: no such session, or the round has closed or the respondent has answered.
    """
    row = session.execute(select(FeedbackRespondent).where(
        col(FeedbackRespondent.session_hash) == token_digest(secret))).scalar_one_or_none() \
        if secret else None
    round_ = session.get(FeedbackRound, row.round_id) if row is not None else None
    if row is None or round_ is None or row.status is not RespondentStatus.INVITED \
            or not _still_open(round_, today):
        raise NotFound("This feedback form is not open to you: the round may have closed, or "
                       "your answers are already in. Use the link in your email to open it.")
    version = session.get(FeedbackFormVersion, round_.form_version_id)
    assert version is not None  # a foreign key
    draft = session.execute(select(FeedbackDraft).where(
        col(FeedbackDraft.respondent_id) == row.id)).scalar_one_or_none()
    return RespondentSession(row, round_, form_of(version).variant(round_.variant),
                             dict(draft.ratings) if draft else {},
                             dict(draft.texts) if draft else {})


def answer_problems(variant: FeedbackVariant, ratings: Mapping[str, str],
                    texts: Mapping[str, str]) -> list[str]:
    """Values outside the scale, statements or places not on the form, unusable text."""
    known = set(variant.statement_ids())
    values = {s.value for s in ScaleLabel}
    problems = [f"{key}: '{key}' is not a statement of this form"
                for key in ratings if key not in known]
    problems += [f"{key}: choose one of the five answers" for key, value in ratings.items()
                 if key in known and value not in values]
    places = {p or OVERALL for p in variant.text_places()}
    for key in texts:
        place, _, prompt = key.partition(":")
        if place not in places or prompt not in FREE_TEXT_PROMPTS:
            problems.append(f"{key}: there is no such question on this form")
    problems += text_problems({f"{k}: the answer": v for k, v in texts.items()})
    return problems


def save_feedback_answers(*, session: Session, secret: str, ratings: Mapping[str, str],
                          texts: Mapping[str, str], today: date, now: datetime) -> None:
    """Save what the respondent has answered so far (merged into their draft).

    Raises:
        NotFound: the form is not open to this session.
        ValidationFailed: a value outside the scale, or a question not on the form.
    """
    found = respondent_session(session, secret=secret, today=today)
    problems = answer_problems(found.variant, ratings, texts)
    if problems:
        raise ValidationFailed("Your answers were not saved.", problems)
    lock_round(session, found.round.id or 0)
    draft = session.execute(select(FeedbackDraft).where(
        col(FeedbackDraft.respondent_id) == found.respondent.id).with_for_update()
    ).scalar_one_or_none() or FeedbackDraft(respondent_id=found.respondent.id or 0, updated_at=now)
    draft.ratings = {**(draft.ratings or {}), **ratings}
    draft.texts = {k: v for k, v in {**(draft.texts or {}),
                                     **{k: v.strip() for k, v in texts.items()}}.items() if v}
    draft.updated_at = now
    session.add(draft)


def submit_feedback(*, session: Session, secret: str, today: date, now: datetime) -> None:
    """Submit the draft: it becomes a response without the respondent, and the link stops.

    Raises:
        NotFound: the form is not open to this session (closed, already answered).
        ValidationFailed: a statement is not answered yet.
    """
    found = respondent_session(session, secret=secret, today=today)
    missing = [s for s in found.variant.statement_ids() if s not in found.ratings]
    if missing:
        raise ValidationFailed("Your answers were not sent: some statements have no answer.",
                               [f"{s}: choose an answer (“No chance to demonstrate” if you "
                                "have not seen it)" for s in missing])
    problems = answer_problems(found.variant, found.ratings, found.texts)
    if problems:
        raise ValidationFailed("Your answers were not sent.", problems)
    add_response(session, round_id=found.round.id or 0, group_id=found.respondent.group_id,
                 ratings=found.ratings, texts=found.texts)
    _finish(session, found, RespondentStatus.SUBMITTED, "feedback_submitted", today, now)


def decline_feedback(*, session: Session, secret: str, today: date, now: datetime) -> None:
    """The respondent declines: their draft goes and their link stops.

    Raises:
        NotFound: the form is not open to this session.
    """
    found = respondent_session(session, secret=secret, today=today)
    _finish(session, found, RespondentStatus.DECLINED, "feedback_declined", today, now)


def _finish(session: Session, found: RespondentSession, status: RespondentStatus, action: str,
            today: date, now: datetime) -> None:
    lock_round(session, found.round.id or 0)
    respondent_id = found.respondent.id or 0
    session.execute(delete(FeedbackDraft).where(col(FeedbackDraft.respondent_id) == respondent_id))
    changed = session.execute(update(FeedbackRespondent).where(
        col(FeedbackRespondent.id) == respondent_id,
        col(FeedbackRespondent.status) == RespondentStatus.INVITED)
        .values(status=status, answered_on=today, session_hash=None, csrf_token=None))
    if changed.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult
        raise InvalidTransition("Your answers are already in.")
    record_event(session, RESPONDENT, action, subject_type="feedback_respondent",
                 subject_id=respondent_id, organisation_id=found.round.organisation_id, at=now)
