"""The appraisal meeting on SQLite and PostgreSQL: scheduled, moved and cancelled by the
appraiser, each change audited with both parties' invitations queued in its transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from appraisal_store.models import Appraisal, AppraisalMeeting, AuditEvent, OutboxMessage
from appraisal_store.services import administration, meetings, review, self_assessment
from appraisal_store.services.frameworks import framework_of
from appraisal_store.vocabulary import AppraisalState
from competencies.scale import ScaleLabel
from tests.conftest import Board
from tests.records.appraisals import agree

NED = "ned1@rx1.nhs.uk"
CHAIR = "chair@rx1.nhs.uk"
COSEC = "cosec@rx1.nhs.uk"
TUESDAY = datetime(2026, 3, 3, 14, 30)
SUMMER = datetime(2026, 6, 16, 10, 0)


def submit(board: Board, email: str = NED) -> int:
    appraisal_id = board.appraisals[email]
    with sessions.write_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        framework = framework_of(session, appraisal.framework_version_id)
        self_assessment.save_self_assessment(
            session=session, actor=board.actor(email), appraisal_id=appraisal_id,
            ratings=dict.fromkeys(framework.statement_ids(), ScaleLabel.FREQUENTLY))
    with sessions.write_session() as session:
        self_assessment.submit_self_assessment(session=session, actor=board.actor(email),
                                               appraisal_id=appraisal_id)
    return appraisal_id


def schedule(board: Board, appraisal_id: int, starts_at: datetime = TUESDAY, *,
             actor: Actor | None = None, minutes: int = 60, place: str = "The boardroom"
             ) -> AppraisalMeeting:
    with sessions.write_session() as session:
        return meetings.schedule_meeting(
            session=session, actor=actor or board.actor(CHAIR), appraisal_id=appraisal_id,
            starts_at=starts_at, duration_minutes=minutes, place=place)


def messages(appraisal_id: int) -> list[OutboxMessage]:
    with sessions.read_session() as session:
        return list(session.execute(select(OutboxMessage).where(
            OutboxMessage.appraisal_id == appraisal_id,
            OutboxMessage.template.like("meeting_%"))  # type: ignore[attr-defined]
            .order_by(OutboxMessage.id)).scalars())


def meeting_rows(appraisal_id: int) -> list[AppraisalMeeting]:
    with sessions.read_session() as session:
        return list(session.execute(select(AppraisalMeeting).where(
            AppraisalMeeting.appraisal_id == appraisal_id).order_by(AppraisalMeeting.id)
        ).scalars())


def meeting_date(appraisal_id: int) -> date | None:
    with sessions.read_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal is not None
        return appraisal.meeting_date


def counts() -> tuple[int, int, int]:
    with sessions.read_session() as session:
        return tuple(session.execute(select(func.count()).select_from(table)).scalar_one()
                     for table in (AppraisalMeeting, OutboxMessage, AuditEvent))  # type: ignore[return-value]


def test_scheduling_invites_both_parties_to_one_event(board: Board) -> None:
    appraisal_id = submit(board)
    meeting = schedule(board, appraisal_id)
    assert (meeting.sequence, meeting.starts_at, meeting.duration_minutes) == (0, TUESDAY, 60)
    assert meeting.organiser_id == board.people[CHAIR]
    assert meeting_date(appraisal_id) == date(2026, 3, 3)
    sent = messages(appraisal_id)
    assert [(m.template, m.recipient_email) for m in sent] == [
        ("meeting_invitation", NED), ("meeting_invitation", CHAIR)]
    assert [m.idempotency_key for m in sent] == [
        f"meeting:{meeting.uid}:0:{board.people[NED]}",
        f"meeting:{meeting.uid}:0:{board.people[CHAIR]}"]
    details = [m.payload["meeting"] for m in sent]
    assert details[0] == details[1]
    assert details[0]["uid"] == meeting.uid and details[0]["method"] == "REQUEST"
    assert details[0]["starts_at"] == "2026-03-03T14:30:00"
    assert details[0]["organiser"] == {"name": "Margaret Okafor", "email": CHAIR}
    assert [a["email"] for a in details[0]["attendees"]] == [NED, CHAIR]
    with sessions.read_session() as session:
        event = session.execute(select(AuditEvent).where(
            AuditEvent.action == "schedule_meeting")).scalar_one()
    assert event.subject_id == str(appraisal_id) and event.details["uid"] == meeting.uid
    with pytest.raises(InvalidTransition, match="already scheduled"):
        schedule(board, appraisal_id, SUMMER)


def test_moving_keeps_the_uid_and_raises_the_sequence(board: Board) -> None:
    appraisal_id = submit(board)
    first = schedule(board, appraisal_id)
    with sessions.write_session() as session:
        review.begin_review(session=session, actor=board.actor(CHAIR), appraisal_id=appraisal_id)
        moved = meetings.move_meeting(session=session, actor=board.actor(CHAIR),
                                      appraisal_id=appraisal_id, starts_at=SUMMER,
                                      duration_minutes=90, place="Video: https://teams.example/m")
    assert (moved.uid, moved.sequence) == (first.uid, 1)
    assert meeting_date(appraisal_id) == date(2026, 6, 16)
    sent = messages(appraisal_id)
    assert [m.template for m in sent] == ["meeting_invitation"] * 2 + ["meeting_moved"] * 2
    assert sent[2].payload["meeting"]["previous_starts_at"] == "2026-03-03T14:30:00"
    assert sent[2].idempotency_key == f"meeting:{first.uid}:1:{board.people[NED]}"
    # Saving the same time and place again is not a change: nobody is emailed again.
    with sessions.write_session() as session:
        again = meetings.move_meeting(session=session, actor=board.actor(CHAIR),
                                      appraisal_id=appraisal_id, starts_at=SUMMER,
                                      duration_minutes=90,
                                      place="  Video:   https://teams.example/m ")
    assert again.sequence == 1 and len(messages(appraisal_id)) == 4


def test_cancelling_sends_a_cancellation_and_a_new_meeting_has_a_new_uid(board: Board) -> None:
    appraisal_id = submit(board)
    first = schedule(board, appraisal_id)
    with sessions.write_session() as session:
        cancelled = meetings.cancel_meeting(session=session, actor=board.actor(CHAIR),
                                            appraisal_id=appraisal_id)
    assert cancelled.sequence == 1 and cancelled.cancelled_at is not None
    assert meeting_date(appraisal_id) is None
    sent = messages(appraisal_id)
    assert [m.template for m in sent[2:]] == ["meeting_cancelled"] * 2
    assert {m.payload["meeting"]["method"] for m in sent[2:]} == {"CANCEL"}
    with sessions.read_session() as session:
        assert meetings.open_meeting(session, appraisal_id) is None
    with sessions.write_session() as session, pytest.raises(InvalidTransition,
                                                             match="schedule it first"):
        meetings.cancel_meeting(session=session, actor=board.actor(CHAIR),
                                appraisal_id=appraisal_id)
    second = schedule(board, appraisal_id, SUMMER)
    assert second.uid != first.uid and second.sequence == 0
    assert meeting_date(appraisal_id) == date(2026, 6, 16)


def test_only_the_appraiser_arranges_it_and_an_administrator_may_cancel_it(
        board: Board) -> None:
    appraisal_id = submit(board)
    with pytest.raises(NotAllowed, match="Only the appraiser"):
        schedule(board, appraisal_id, actor=board.actor(NED))
    with pytest.raises(NotAllowed, match="Only the appraiser"):
        schedule(board, appraisal_id, actor=board.actor(COSEC))
    with pytest.raises(NotAllowed, match="Only the appraiser"):
        schedule(board, appraisal_id, actor=Actor.operator())
    with pytest.raises(NotFound):
        schedule(board, appraisal_id, actor=board.actor("finance@rx1.nhs.uk"))
    assert messages(appraisal_id) == []
    schedule(board, appraisal_id)
    with sessions.write_session() as session, pytest.raises(NotAllowed):
        meetings.cancel_meeting(session=session, actor=board.actor(NED),
                                appraisal_id=appraisal_id)
    with sessions.write_session() as session:
        meetings.cancel_meeting(session=session, actor=board.actor(COSEC),
                                appraisal_id=appraisal_id)
    assert [m.template for m in messages(appraisal_id)][-2:] == ["meeting_cancelled"] * 2


def test_the_meeting_is_arranged_between_submission_and_agreement(board: Board) -> None:
    with pytest.raises(InvalidTransition, match="not started"):
        schedule(board, board.appraisals[NED])
    appraisal_id = agree(board, NED)  # schedules its meeting on the way
    with sessions.read_session() as session:
        assert session.get(Appraisal, appraisal_id).state is AppraisalState.AGREED
    with sessions.write_session() as session, pytest.raises(InvalidTransition, match="agreed"):
        meetings.move_meeting(session=session, actor=board.actor(CHAIR),
                              appraisal_id=appraisal_id, starts_at=SUMMER,
                              duration_minutes=60, place="The boardroom")


def test_bad_input_names_every_problem_and_writes_nothing(board: Board) -> None:
    appraisal_id = submit(board)
    before = counts()
    with pytest.raises(ValidationFailed) as raised:
        schedule(board, appraisal_id, datetime(2024, 3, 3, 14, 30), minutes=5, place="  ")
    assert raised.value.summary == "The meeting was not scheduled."
    assert raised.value.problems == [
        "meeting_date: the date of the meeting must be between 1 April 2025 and "
        "31 March 2027",
        "duration: the meeting must last between 15 minutes and 8 hours",
        "place: say where the meeting is, or give the video link"]
    # 01:30 on the last Sunday of March does not exist in the UK: the clocks skip it.
    with pytest.raises(ValidationFailed) as raised:
        schedule(board, appraisal_id, datetime(2026, 3, 29, 1, 30))
    assert raised.value.problems == [
        "meeting_time: 01:30 does not exist on 29 March 2026, when the clocks go forward: "
        "choose another time"]
    with pytest.raises(ValidationFailed, match="500 characters"):
        schedule(board, appraisal_id, place="x" * 501)
    assert counts() == before
    assert meeting_date(appraisal_id) is None


def test_withdrawing_cancels_a_meeting_still_to_come(board: Board) -> None:
    appraisal_id = submit(board)
    meeting = schedule(board, appraisal_id)
    with sessions.write_session(now=datetime(2026, 2, 1, 9, 0, tzinfo=UTC)) as session:
        administration.withdraw(session=session, actor=Actor.operator(),
                                appraisal_id=appraisal_id, reason="Left the board")
    [row] = meeting_rows(appraisal_id)
    assert row.uid == meeting.uid and row.sequence == 1 and row.cancelled_at is not None
    cancelled = messages(appraisal_id)[2:]
    assert [(m.template, m.recipient_email) for m in cancelled] == [
        ("meeting_cancelled", NED), ("meeting_cancelled", CHAIR)]
    assert cancelled[0].payload["state"] == "withdrawn"
    assert cancelled[0].payload["meeting"]["method"] == "CANCEL"


def test_a_meeting_already_held_is_left_as_it_was_on_deferral(board: Board) -> None:
    appraisal_id = submit(board)
    schedule(board, appraisal_id)
    with sessions.write_session(now=datetime(2026, 3, 4, 9, 0, tzinfo=UTC)) as session:
        administration.defer(session=session, actor=Actor.operator(),
                             appraisal_id=appraisal_id, reason="Long leave")
    [row] = meeting_rows(appraisal_id)
    assert row.cancelled_at is None and row.sequence == 0
    assert [m.template for m in messages(appraisal_id)] == ["meeting_invitation"] * 2
    assert meeting_date(appraisal_id) == date(2026, 3, 3)


@pytest.mark.parametrize(("starts_at", "words"), [
    (datetime(2026, 3, 3, 14, 30), "Tuesday 3 March 2026 at 2:30pm"),
    (datetime(2026, 6, 16, 10, 0), "Tuesday 16 June 2026 at 10am"),
    (datetime(2026, 1, 5, 12, 0), "Monday 5 January 2026 at midday"),
    (datetime(2026, 1, 5, 0, 15), "Monday 5 January 2026 at 12:15am"),
])
def test_the_meeting_time_in_words(starts_at: datetime, words: str) -> None:
    assert meetings.meeting_words(starts_at) == words


def test_the_meeting_length_in_words() -> None:
    assert [meetings.duration_words(m) for m in (45, 60, 90, 120)] == [
        "45 minutes", "1 hour", "1 hour 30 minutes", "2 hours"]
