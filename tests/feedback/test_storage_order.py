"""The store cannot tell responses apart by when they came (SQLite and PostgreSQL).

Respondents submit in a known order; the anonymous tables are then read in their physical
order (SQLite's ``rowid``, PostgreSQL's ``ctid``) and by their writing transaction
(PostgreSQL's ``xmin``), and must not give that order back. Nor may any anonymous column
hold a time, a respondent or an ordered key."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from appraisal_store import engines, sessions
from appraisal_store.feedback_links import link_token
from appraisal_store.feedback_tables import FeedbackDraft, FeedbackRespondent, FeedbackRound
from appraisal_store.services import feedback, feedback_opening
from appraisal_store.services.feedback import Nomination
from appraisal_store.services.feedback_answers import (
    redeem_feedback_link,
    respondent_session,
    save_feedback_answers,
    submit_feedback,
)

from .conftest import NOW, TODAY

RESPONDENTS = 5
APPRAISEES = ("ceo@rx1.nhs.uk", "finance@rx1.nhs.uk", "nursing@rx1.nhs.uk",
              "sid@rx1.nhs.uk", "ned1@rx1.nhs.uk")
ANONYMOUS = ("feedbackresponse", "feedbackrating", "feedbacktext")


def _submit_in_order(board, email: str) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    """Open a round for ``email`` and let its respondents submit one after another, each
    writing a word of their own; returns the round's id and the words in submission order."""
    appraisal_id = board.appraisals[email]
    with sessions.write_session() as session:
        feedback_opening.open_rounds(
            session=session, actor=board.actor("chair@rx1.nhs.uk"),
            appraisal_ids=[appraisal_id], today=TODAY, now=NOW,
            nominations=[Nomination(f"Respondent {i}", f"r{i}.{appraisal_id}@x.nhs.uk", "board")
                         for i in range(RESPONDENTS)])
    with sessions.read_session() as session:
        round_id = session.execute(select(FeedbackRound.id).where(
            FeedbackRound.appraisal_id == appraisal_id)).scalar_one()
        nonces = dict(session.execute(select(FeedbackRespondent.email,
                                             FeedbackRespondent.link_nonce).where(
            FeedbackRespondent.round_id == round_id)).tuples().all())
    words = []
    for i in range(RESPONDENTS):
        word = f"submitted-{i}-of-round-{round_id}"
        with sessions.write_session() as session:
            found = redeem_feedback_link(session=session, today=TODAY, now=NOW,
                                         token=link_token(nonces[f"r{i}.{appraisal_id}@x.nhs.uk"]))
            assert found is not None
        with sessions.write_session() as session:
            variant = respondent_session(session, secret=found[0], today=TODAY).variant
            place = variant.text_places()[0] or "overall"
            save_feedback_answers(session=session, secret=found[0],
                                  ratings=dict.fromkeys(variant.statement_ids(), "frequently"),
                                  texts={f"{place}:do_well": word}, today=TODAY, now=NOW)
            submit_feedback(session=session, secret=found[0], today=TODAY, now=NOW)
        with sessions.read_session() as session:  # the only tie to a person is gone at once
            assert list(session.execute(select(FeedbackDraft)).scalars()) == []
        words.append(word)
    return round_id, words


def _physical() -> str:
    return "ctid" if engines.engine().dialect.name == "postgresql" else "rowid"


def _words_in_physical_order(round_id: int) -> tuple[list[str], list[str]]:
    """The words as the texts table holds them, and in the order of the responses table."""
    order = _physical()
    with sessions.read_session() as session:
        by_text = list(session.execute(text(
            f"SELECT t.text FROM feedbacktext t JOIN feedbackresponse r ON r.id = t.response_id "
            f"WHERE r.round_id = :round ORDER BY t.{order}"), {"round": round_id}).scalars())
        by_response = list(session.execute(text(
            f"SELECT t.text FROM feedbackresponse r JOIN feedbacktext t ON t.response_id = r.id "
            f"WHERE r.round_id = :round ORDER BY r.{order}"), {"round": round_id}).scalars())
    return by_text, by_response


def test_the_physical_order_of_responses_does_not_follow_the_order_they_came_in(board):
    rounds = [_submit_in_order(board, email) for email in APPRAISEES]
    follows = 0
    for round_id, words in rounds:
        by_text, by_response = _words_in_physical_order(round_id)
        assert sorted(by_text) == sorted(words) == sorted(by_response)
        follows += by_text == words or by_text == words[::-1]
        follows += by_response == words or by_response == words[::-1]
    # Each is a random order of five: all ten in (or against) submission order by chance
    # is about one in 10**20.
    assert follows < 2 * len(rounds)
    with sessions.write_session() as session:  # closing changes none of it
        feedback.close_rounds(session=session, actor=board.actor("chair@rx1.nhs.uk"),
                              appraisal_ids=[board.appraisals[e] for e in APPRAISEES], now=NOW)
    assert sorted(_words_in_physical_order(rounds[0][0])[0]) == sorted(rounds[0][1])


def test_every_response_of_a_round_is_written_by_the_same_transaction(board):
    round_id, words = _submit_in_order(board, APPRAISEES[0])
    with sessions.read_session() as session:
        if engines.engine().dialect.name == "postgresql":
            writers = {table: set(session.execute(text(
                f"SELECT x.xmin::text FROM {table} x "
                + ("" if table == "feedbackresponse" else
                   "JOIN feedbackresponse r ON r.id = x.response_id ")
                + ("WHERE x.round_id = :round" if table == "feedbackresponse"
                   else "WHERE r.round_id = :round")), {"round": round_id}).scalars())
                for table in ANONYMOUS}
            # One transaction wrote the round's rows: the last submission's.
            assert all(len(found) == 1 for found in writers.values()), writers
            assert len(set.union(*writers.values())) == 1
        keys = list(session.execute(text(
            "SELECT id FROM feedbackresponse WHERE round_id = :round"),
            {"round": round_id}).scalars())
    assert len(keys) == len(words) and all(len(k) == 32 for k in keys)


def test_no_anonymous_column_holds_a_time_a_respondent_or_an_ordered_key(board):
    inspector = inspect(engines.engine())
    for table in ANONYMOUS:
        for column in inspector.get_columns(table):
            kind = str(column["type"]).upper()
            assert not any(word in kind for word in ("DATE", "TIME")), (table, column)
            assert "respondent" not in column["name"], (table, column)
        if table == "feedbackresponse":  # a random key, never a counter
            key = next(c for c in inspector.get_columns(table) if c["name"] == "id")
            assert "CHAR" in str(key["type"]).upper()
        for key in inspector.get_foreign_keys(table):
            assert key["referred_table"] != "feedbackrespondent", (table, key)


def test_a_submission_that_reaches_the_round_after_it_closed_writes_nothing(board):
    """Submissions and the close take the round's lock in turn; one that waited for the
    close finds the round closed and is refused (here the wait is skipped: the close has
    already happened when the submission reaches the lock)."""
    from appraisal_store.errors import NotFound
    from appraisal_store.feedback_tables import FeedbackResponse
    from appraisal_store.services.feedback_responses import add_response

    round_id, _ = _submit_in_order(board, APPRAISEES[0])
    with sessions.write_session() as session:
        feedback.close_rounds(session=session, actor=board.actor("chair@rx1.nhs.uk"),
                              appraisal_ids=[board.appraisals[APPRAISEES[0]]], now=NOW)
    with sessions.read_session() as session:
        before = sorted(session.execute(select(FeedbackResponse.id)).scalars())
    with sessions.write_session() as session, pytest.raises(NotFound, match="has closed"):
        add_response(session, round_id=round_id, group_id="board", ratings={}, texts={})
    with sessions.read_session() as session:
        assert sorted(session.execute(select(FeedbackResponse.id)).scalars()) == before
