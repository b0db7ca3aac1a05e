"""A round's submitted responses, stored so that no response can be told apart by when it came.

"No individual's answers can be told apart by anyone", in the store too. A response row
carries its round and group and nothing of the respondent (``feedback_tables``): a random
key, no time. What is left to tie a response to its author is the order and the moment
rows were written, matched against the respondent's "answered" status or their
``feedback_submitted`` audit event: SQLite's ``rowid``, PostgreSQL's heap order (``ctid``)
and the writing transaction (``xmin``) all follow the order of the writes.

So a submission never appends its response. It rewrites the whole round's responses, the
new one among them, in its one transaction, in an order drawn at random (the operating
system's generator), each under a new random key. After every submission the
rows of the round are one random permutation written by one transaction: their physical
order, their ``rowid`` or ``ctid`` and their ``xmin`` say nothing about which came first.
The respondent's draft (the only row that ever ties answers to a person) is deleted in
the same transaction. The summary is read only once the round has closed
(``feedback_summary``), so no page, export or record differs by one person's answers.

Decided against: writing responses only when the round closes. The answers would have to
wait somewhere in between, and that somewhere is either the respondent's draft (tied to
them until the close) or a pool rewritten at each submission, which is what this is.

What this does not cover, below the SQL level: the bytes of a deleted row can stay in
SQLite's free pages or write-ahead log and in PostgreSQL's dead tuples until they are
reused, checkpointed or vacuumed, and someone who copies the store between two
submissions and compares the copies can tell the newest response. Both need access to
the database files themselves, which the deployment's operators alone have.

A round has tens of responses, so rewriting it costs a few hundred rows a submission.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select
from sqlmodel import Session, col

from competencies.scale import ScaleLabel

from ..errors import NotFound
from ..feedback_tables import FeedbackRating, FeedbackResponse, FeedbackRound, FeedbackText

_RANDOM = secrets.SystemRandom()


@dataclass
class SubmittedResponse:
    """One response's content, without any key: what a rewrite carries over."""

    group_id: str
    ratings: dict[str, ScaleLabel] = field(default_factory=dict)
    texts: dict[tuple[str, str], str] = field(default_factory=dict)  # (place, prompt)


def round_responses(session: Session, round_id: int) -> list[SubmittedResponse]:
    """Every submitted response of the round (in no meaningful order)."""
    found: dict[str, SubmittedResponse] = {
        key: SubmittedResponse(group) for key, group in session.execute(
            select(col(FeedbackResponse.id), col(FeedbackResponse.group_id))
            .where(col(FeedbackResponse.round_id) == round_id)).tuples()}
    if not found:
        return []
    for key, statement_id, value in session.execute(
            select(col(FeedbackRating.response_id), col(FeedbackRating.statement_id),
                   col(FeedbackRating.value))
            .where(col(FeedbackRating.response_id).in_(list(found)))).tuples():
        found[key].ratings[statement_id] = value
    for key, place, prompt, text in session.execute(
            select(col(FeedbackText.response_id), col(FeedbackText.place),
                   col(FeedbackText.prompt), col(FeedbackText.text))
            .where(col(FeedbackText.response_id).in_(list(found)))).tuples():
        found[key].texts[(place, prompt)] = text
    return list(found.values())


def lock_round(session: Session, round_id: int) -> None:
    """Take the round's row lock (PostgreSQL; SQLite has one writer anyway).

    Raises:
        NotFound: the round has closed (perhaps while this waited).

    Submissions to one round take turns, so none is lost between the read and the
    rewrite. Whatever changes a respondent's draft takes this lock first, as closing the
    round does, so a save, a submission and the close never wait on each other in a
    circle.
    """
    closed_at = session.execute(select(col(FeedbackRound.closed_at)).where(
        col(FeedbackRound.id) == round_id).with_for_update()).scalar_one()
    if closed_at is not None:  # closed while this waited for the lock
        raise NotFound("This feedback form is not open to you: the round has closed.")


def add_response(session: Session, *, round_id: int, group_id: str,
                 ratings: Mapping[str, str], texts: Mapping[str, str]) -> None:
    """Add a response to the round by rewriting all of the round's responses in a random
    order, under new random keys (the caller's transaction; ``texts`` keyed
    "place:prompt", blank ones left out)."""
    lock_round(session, round_id)
    responses = round_responses(session, round_id)
    responses.append(SubmittedResponse(
        group_id, {s: ScaleLabel(v) for s, v in ratings.items()},
        {(k.partition(":")[0], k.partition(":")[2]): v for k, v in texts.items()
         if v.strip()}))
    _RANDOM.shuffle(responses)
    _rewrite(session, round_id, responses)


def _rewrite(session: Session, round_id: int, responses: list[SubmittedResponse]) -> None:
    keys = [uuid.uuid4().hex for _ in responses]
    old = select(col(FeedbackResponse.id)).where(col(FeedbackResponse.round_id) == round_id)
    session.execute(delete(FeedbackRating).where(col(FeedbackRating.response_id).in_(old)))
    session.execute(delete(FeedbackText).where(col(FeedbackText.response_id).in_(old)))
    session.execute(delete(FeedbackResponse).where(col(FeedbackResponse.round_id) == round_id))
    session.execute(insert(FeedbackResponse), [
        {"id": key, "round_id": round_id, "group_id": r.group_id}
        for key, r in zip(keys, responses, strict=True)])
    # Sorted within a response, so not even the order a respondent saved in is kept.
    ratings = [{"response_id": key, "statement_id": s, "value": v}
               for key, r in zip(keys, responses, strict=True)
               for s, v in sorted(r.ratings.items())]
    if ratings:
        session.execute(insert(FeedbackRating), ratings)
    texts = [{"response_id": key, "place": place, "prompt": prompt, "text": text}
             for key, r in zip(keys, responses, strict=True)
             for (place, prompt), text in sorted(r.texts.items())]
    if texts:
        session.execute(insert(FeedbackText), texts)
