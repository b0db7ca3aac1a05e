"""Feedback rounds in the store (SQLite and PostgreSQL): opening, nominating, answering,
closing, and what each refuses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from appraisal_store import sessions
from appraisal_store.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from appraisal_store.feedback_links import link_token
from appraisal_store.feedback_summary import feedback_summary, round_status
from appraisal_store.feedback_tables import (
    FeedbackDraft,
    FeedbackRespondent,
    FeedbackResponse,
    FeedbackRound,
    RespondentStatus,
)
from appraisal_store.models import Appraisal, OutboxMessage
from appraisal_store.services import feedback, feedback_opening
from appraisal_store.services.feedback import Nomination
from appraisal_store.services.feedback_answers import (
    decline_feedback,
    redeem_feedback_link,
    save_feedback_answers,
    submit_feedback,
)
from appraisal_store.services.frameworks import framework_of

from .conftest import NOW, TODAY

CEO = "ceo@rx1.nhs.uk"


def _rows(model):
    with sessions.read_session() as session:
        return list(session.execute(select(model)).scalars())


def _open(board, email=CEO, **kwargs):
    with sessions.write_session() as session:
        return feedback_opening.open_rounds(session=session, actor=board.actor("chair@rx1.nhs.uk"),
                                    appraisal_ids=[board.appraisals[email]], today=TODAY,
                                    now=NOW, **kwargs)


def _tokens(board, email=CEO):
    with sessions.read_session() as session:
        round_ = session.execute(select(FeedbackRound).where(
            FeedbackRound.appraisal_id == board.appraisals[email])).scalar_one()
        return {r.email: link_token(r.link_nonce) for r in session.execute(
            select(FeedbackRespondent).where(FeedbackRespondent.round_id == round_.id)).scalars()}


def _answer(token, value="almost_always", text=None, submit=True):
    with sessions.write_session() as session:
        secret, _ = redeem_feedback_link(session=session, token=token, today=TODAY, now=NOW)
    with sessions.read_session() as session:
        from appraisal_store.services.feedback_answers import respondent_session
        variant = respondent_session(session, secret=secret, today=TODAY).variant
    with sessions.write_session() as session:
        save_feedback_answers(session=session, secret=secret,
                              ratings=dict.fromkeys(variant.statement_ids(), value),
                              texts=text or {}, today=TODAY, now=NOW)
        if submit:
            submit_feedback(session=session, secret=secret, today=TODAY, now=NOW)
    return secret


def test_a_cycle_opens_rounds_with_board_colleagues_and_one_invitation_each(board, operator):
    with sessions.write_session() as session:
        opened = feedback_opening.open_rounds(session=session, actor=operator,
                                      appraisal_ids=list(board.appraisals.values()),
                                      today=TODAY, now=NOW)
    respondents = _rows(FeedbackRespondent)
    assert opened.opened == len(_rows(FeedbackRound)) >= 5
    assert opened.invited == len(respondents) > 0
    invitations = [m for m in _rows(OutboxMessage) if m.template == "feedback_invitation"]
    assert len(invitations) == len(respondents)
    # No message, and no row, holds a link's token.
    tokens = {link_token(r.link_nonce) for r in respondents}
    assert not any(t in str(m.payload) for m in invitations for t in tokens)
    assert not {r.token_hash for r in respondents} & tokens
    with sessions.write_session() as session:  # a re-run opens nothing and queues nothing
        again = feedback_opening.open_rounds(session=session, actor=operator,
                                     appraisal_ids=list(board.appraisals.values()),
                                     today=TODAY, now=NOW)
    assert (again.opened, again.invited) == (0, 0)
    assert len(_rows(OutboxMessage)) == len(invitations) + sum(
        1 for m in _rows(OutboxMessage) if m.template != "feedback_invitation")
    # The chief executive gets the full form, a non-executive director the shorter one.
    rounds = {r.appraisal_id: r.variant for r in _rows(FeedbackRound)}
    assert rounds[board.appraisals[CEO]] == "full"
    assert rounds[board.appraisals["ned1@rx1.nhs.uk"]] == "light"


@pytest.mark.parametrize(("nominations", "expected"), [
    ([Nomination("A Person", "not-an-address", "board")], "is not an email address"),
    ([Nomination("A Person", "a@x.nhs.uk", "board"), Nomination("B", "A@x.nhs.uk", "board")],
     "is given twice"),
    ([Nomination("Daniel Price", CEO, "board")], "is the appraisee"),
    ([Nomination("A Person", "a@x.nhs.uk", "friends")], "is not one of"),
])
def test_bad_nominations_are_refused_and_nothing_is_written(board, nominations, expected):
    with pytest.raises(ValidationFailed) as refused:
        _open(board, nominations=nominations)
    assert expected in str(refused.value)
    assert _rows(FeedbackRound) == [] and _rows(FeedbackRespondent) == []


def test_a_closing_date_in_the_past_is_refused(board):
    with pytest.raises(ValidationFailed, match="in the past"):
        _open(board, closes_on=TODAY - timedelta(days=1))
    assert _rows(FeedbackRound) == []


def test_only_the_appraiser_or_an_administrator_opens_a_round(board):
    with sessions.write_session() as session, pytest.raises(NotAllowed):
        feedback_opening.open_rounds(session=session, actor=board.actor("ned1@rx1.nhs.uk"),
                             appraisal_ids=[board.appraisals[CEO]], today=TODAY, now=NOW)


def test_a_link_opens_its_own_form_until_submitted_and_never_after_closing(board):
    _open(board, nominations=[Nomination(f"Person {i}", f"p{i}@x.nhs.uk", "board")
                              for i in range(4)])
    tokens = _tokens(board)
    first = _answer(tokens["p0@x.nhs.uk"], submit=False)
    assert len(_rows(FeedbackDraft)) == 1  # saved as they go
    _answer(tokens["p0@x.nhs.uk"])  # the link again: resumed and submitted
    with sessions.write_session() as session:  # reuse after submitting: refused
        assert redeem_feedback_link(session=session, token=tokens["p0@x.nhs.uk"],
                                    today=TODAY, now=NOW) is None
        with pytest.raises(NotFound):
            save_feedback_answers(session=session, secret=first, ratings={}, texts={},
                                  today=TODAY, now=NOW)
    assert _rows(FeedbackDraft) == []
    response = _rows(FeedbackResponse)[0]
    assert not hasattr(response, "respondent_id") and len(response.id) == 32
    with sessions.write_session() as session:
        decline_feedback(session=session, secret=_answer(tokens["p1@x.nhs.uk"], submit=False),
                         today=TODAY, now=NOW)
    with sessions.write_session() as session:
        feedback.close_rounds(session=session, actor=board.actor("chair@rx1.nhs.uk"),
                              appraisal_ids=[board.appraisals[CEO]], now=NOW)
        assert redeem_feedback_link(session=session, token=tokens["p2@x.nhs.uk"],
                                    today=TODAY, now=NOW) is None
    statuses = {r.email: r.status for r in _rows(FeedbackRespondent)}
    assert statuses["p0@x.nhs.uk"] is RespondentStatus.SUBMITTED
    assert statuses["p1@x.nhs.uk"] is RespondentStatus.DECLINED


def test_a_link_of_another_round_opens_nothing_here_and_one_past_its_date_nothing(board):
    _open(board, nominations=[Nomination("P", "p@x.nhs.uk", "board")])
    _open(board, email="finance@rx1.nhs.uk",
          nominations=[Nomination("Q", "q@x.nhs.uk", "board")])
    secret = _answer(_tokens(board)["p@x.nhs.uk"], submit=False)
    with sessions.read_session() as session:
        from appraisal_store.services.feedback_answers import respondent_session
        mine = respondent_session(session, secret=secret, today=TODAY)
    assert mine.round.appraisal_id == board.appraisals[CEO]
    with sessions.write_session() as session:
        late = date(2027, 1, 1)
        assert redeem_feedback_link(session=session, token=_tokens(
            board, "finance@rx1.nhs.uk")["q@x.nhs.uk"], today=late, now=NOW) is None


def test_answers_outside_the_scale_or_not_on_the_form_are_refused(board):
    _open(board, nominations=[Nomination("P", "p@x.nhs.uk", "board")])
    secret = _answer(_tokens(board)["p@x.nhs.uk"], submit=False)
    for ratings, texts in (({"full.d1.1": "brilliant"}, {}), ({"d9.s1": "frequently"}, {}),
                           ({}, {"d9:do_well": "x"})):
        with sessions.write_session() as session, pytest.raises(ValidationFailed):
            save_feedback_answers(session=session, secret=secret, ratings=ratings,
                                  texts=texts, today=TODAY, now=NOW)


def test_the_summary_counts_the_answers_per_group_and_merges_small_groups(board):
    people = ([Nomination(f"Board {i}", f"b{i}@x.nhs.uk", "board") for i in range(3)]
              + [Nomination(f"Exec {i}", f"e{i}@x.nhs.uk", "executives") for i in range(2)]
              + [Nomination("Partner", "s0@x.nhs.uk", "stakeholders")])
    _open(board, nominations=people)
    tokens = _tokens(board)
    for i in range(3):
        _answer(tokens[f"b{i}@x.nhs.uk"], "almost_always",
                {"d1:do_well": f"Board comment {i}"})
    _answer(tokens["e0@x.nhs.uk"], "occasionally")
    _answer(tokens["e1@x.nhs.uk"], "no_chance_to_demonstrate")
    _answer(tokens["s0@x.nhs.uk"], "rarely_or_never")
    with sessions.read_session() as session:
        appraisal = session.get(Appraisal, board.appraisals[CEO])
        framework = framework_of(session, appraisal.framework_version_id)
        assert feedback_summary(session, appraisal, framework) is None  # not while open
    with sessions.write_session() as session:
        feedback.close_rounds(session=session, actor=board.actor("chair@rx1.nhs.uk"),
                              appraisal_ids=[board.appraisals[CEO]], now=NOW)
    with sessions.read_session() as session:
        appraisal = session.get(Appraisal, board.appraisals[CEO])
        summary = feedback_summary(session, appraisal, framework)
        status = round_status(session, appraisal.id)
    assert status.answered == 6 and status.asked == 6
    # Executives (2) and the partner (1) are too few alone: merged, 3 together.
    assert summary.columns == (("Board colleagues", 3), ("Other respondents", 3),
                               ("All respondents", 6))
    d1 = summary.domains[0]
    from competencies.scale import ScaleLabel as S
    assert d1.columns[0] == {S.ALMOST_ALWAYS: 9}
    assert d1.columns[1] == {S.OCCASIONALLY: 3, S.NO_CHANCE_TO_DEMONSTRATE: 3,
                             S.RARELY_OR_NEVER: 3}
    assert d1.columns[2][S.ALMOST_ALWAYS] == 9
    assert summary.themes[0].texts == tuple(sorted(
        (f"Board comment {i}" for i in range(3)),
        key=lambda t: __import__("hashlib").sha256(t.encode()).hexdigest()))


def test_summary_columns_never_leave_a_column_below_the_threshold():
    from appraisal_store.feedback_summary import summary_columns
    names = {"board": "Board", "executives": "Executives", "stakeholders": "Partners"}
    assert summary_columns({"board": 2}, names, 3) == []
    assert summary_columns({"board": 3, "executives": 1}, names, 3) == [
        ("All respondents", ["board", "executives"])]
    assert summary_columns({"board": 3, "executives": 4, "stakeholders": 1}, names, 3) == [
        ("Executives", ["executives"]), ("Other respondents", ["stakeholders", "board"]),
        ("All respondents", ["board", "executives", "stakeholders"])]
    for counts in ({"board": 5, "executives": 3, "stakeholders": 2},
                   {"board": 1, "executives": 1, "stakeholders": 1}):
        for label, groups in summary_columns(counts, names, 3):
            assert sum(counts[g] for g in groups) >= 3, label


def test_proposals_wait_for_approval(board):
    _open(board, nominations=[Nomination("P", "p@x.nhs.uk", "board")],
          appraisee_may_propose=True)
    with sessions.write_session() as session:
        feedback.propose(session=session, actor=board.actor(CEO),
                         appraisal_id=board.appraisals[CEO],
                         nominations=[Nomination("Q", "q@x.nhs.uk", "stakeholders")],
                         today=TODAY, now=NOW)
    proposal = next(r for r in _rows(FeedbackRespondent) if r.email == "q@x.nhs.uk")
    assert proposal.status is RespondentStatus.PROPOSED
    with sessions.write_session() as session:
        assert redeem_feedback_link(session=session, token=_tokens(board)["q@x.nhs.uk"],
                                    today=TODAY, now=NOW) is None
    with sessions.write_session() as session:
        feedback.decide_proposals(session=session, actor=board.actor("chair@rx1.nhs.uk"),
                                  appraisal_id=board.appraisals[CEO], approved=[proposal.id],
                                  refused=[], today=TODAY, now=NOW)
    with sessions.read_session() as session:
        assert session.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.template == "feedback_invitation")).scalar_one() == 2
    with sessions.write_session() as session, pytest.raises(InvalidTransition):
        feedback.close_rounds(session=session, actor=board.actor("chair@rx1.nhs.uk"),
                              appraisal_ids=[board.appraisals[CEO]], now=NOW)
        feedback.nominate(session=session, actor=board.actor("chair@rx1.nhs.uk"),
                          appraisal_id=board.appraisals[CEO],
                          nominations=[Nomination("R", "r@x.nhs.uk", "board")],
                          today=TODAY, now=NOW)


def test_answers_posted_after_the_round_closed_are_refused_and_nothing_is_written(board):
    _open(board, nominations=[Nomination("P", "p@x.nhs.uk", "board")])
    secret = _answer(_tokens(board)["p@x.nhs.uk"], submit=False)
    with sessions.write_session() as session:
        feedback.close_rounds(session=session, actor=board.actor("chair@rx1.nhs.uk"),
                              appraisal_ids=[board.appraisals[CEO]], now=NOW)
    with sessions.write_session() as session, pytest.raises(NotFound, match="not open"):
        submit_feedback(session=session, secret=secret, today=TODAY, now=NOW)
    assert _rows(FeedbackResponse) == [] and _rows(FeedbackDraft) == []


def test_a_respondents_session_ends_with_the_closing_date_itself(board):
    _open(board, nominations=[Nomination("P", "p@x.nhs.uk", "board")],
          closes_on=TODAY + timedelta(days=3))
    secret = _answer(_tokens(board)["p@x.nhs.uk"], submit=False)
    with sessions.write_session() as session, pytest.raises(NotFound):
        save_feedback_answers(session=session, secret=secret, ratings={}, texts={},
                              today=TODAY + timedelta(days=4), now=NOW)


def test_the_status_counts_each_round_once_and_each_respondent_once(board):
    from appraisal_store.feedback_status import ASKED, round_counts

    _open(board, nominations=[Nomination(f"Person {i}", f"p{i}@x.nhs.uk", "board")
                              for i in range(4)])
    _open(board, email="finance@rx1.nhs.uk",
          nominations=[Nomination("Q", "q@x.nhs.uk", "board")])
    tokens = _tokens(board)
    _answer(tokens["p0@x.nhs.uk"])
    with sessions.write_session() as session:
        decline_feedback(session=session, secret=_answer(tokens["p1@x.nhs.uk"], submit=False),
                         today=TODAY, now=NOW)
        feedback.close_rounds(session=session, actor=board.actor("chair@rx1.nhs.uk"),
                              appraisal_ids=[board.appraisals[CEO]], now=NOW)
    rounds, respondents = _rows(FeedbackRound), _rows(FeedbackRespondent)
    still_open = [r for r in rounds if r.closed_at is None]
    assert len(rounds) == 2 and len(still_open) == 1
    asked = sum(1 for r in respondents if r.status in ASKED)
    assert asked >= 5  # the nominated, and any colleague the board added

    with sessions.read_session() as session:
        [on_time] = round_counts(session, today=TODAY)
        [late] = round_counts(session, today=still_open[0].closes_on + timedelta(days=1),
                              year="2025/26", organisation_code="rx1")
        elsewhere = round_counts(session, today=TODAY, organisation_ids={-1})
    assert (on_time.organisation_code, on_time.rounds, on_time.open, on_time.closed,
            on_time.overdue, on_time.asked, on_time.answered) == ("RX1", 2, 1, 1, 0, asked, 1)
    assert (late.rounds, late.overdue, late.asked, late.answered) == (2, 1, asked, 1)
    assert on_time.response_rate == f"{round(100 / asked)}%"
    assert elsewhere == []
