"""A whole appraisal year on an injected clock: nothing patched, nothing read from the wall.

Each unit of work is opened at the moment of the year it stands for
(``write_session(now=...)``); the services stamp what they write with that moment and
judge "today" by its date, and the reminders are planned for the day given. So the year
below, from the opening of the cycle in April to the sign-off in March, runs in a second
and every stamp in the store is one of its days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from appraisal_store.actors import Actor
from appraisal_store.audit_verification import verify_chain
from appraisal_store.models import Appraisal, AuditEvent, OutboxMessage, Person, Signature
from appraisal_store.services import meetings, review, self_assessment, signing
from appraisal_store.services.cycles import open_cycles, resolve_dates
from appraisal_store.services.frameworks import framework_of
from appraisal_store.services.organisations import add_organisation
from appraisal_store.services.people import import_people
from appraisal_store.services.reminders import queue_planned_reminders
from appraisal_store.services.review_objectives import (
    DevelopmentInput,
    ObjectiveInput,
    set_development_plan,
    set_objectives,
)
from appraisal_store.sessions import read_session, write_session
from appraisal_store.vocabulary import AppraisalState, FPPTStatus, ObjectiveKind
from competencies.scale import ScaleLabel
from flows.reminder_sweep import open_appraisals
from flows.reminders import plan_reminders
from flows.working_days import england
from tests.conftest import BOARD_CSV

NED, CHAIR, CEO = "ned1@rx1.nhs.uk", "chair@rx1.nhs.uk", "ceo@rx1.nhs.uk"


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


OPENED = _at(date(2025, 4, 7))
ANSWERED = _at(date(2025, 5, 12))
SUBMITTED = _at(date(2025, 5, 13))
REVIEWED = _at(date(2025, 6, 2))
AGREED = _at(date(2025, 6, 9))
APPRAISEE_SIGNED = _at(date(2026, 3, 2))
APPRAISER_SIGNED = _at(date(2026, 3, 3))


def _open_the_year(operator: Actor) -> dict[str, int]:
    with write_session(now=OPENED) as session:
        add_organisation(session=session, actor=operator, code="RX1",
                         name="Riverside Hospitals NHS Trust", org_type="nhs-trust",
                         region="North West")
        import_people(session=session, actor=operator, csv_text=BOARD_CSV)
        open_cycles(session=session, actor=operator, year="2025/26", organisation_codes=["RX1"],
                    dates=resolve_dates("2025/26"))
    with read_session() as session:
        return {email: person_id for person_id, email in session.execute(
            select(Person.id, Person.email))}


def _actor(people: dict[str, int], email: str) -> Actor:
    return Actor.person(people[email], email)


def _appraisal_of(email: str) -> Appraisal:
    with read_session() as session:
        found = session.execute(select(Appraisal).join(
            Person, Person.id == Appraisal.appraisee_id).where(Person.email == email)).scalar_one()
        return found


def _self_assessment(people: dict[str, int], appraisal_id: int) -> None:
    ned = _actor(people, NED)
    with write_session(now=ANSWERED) as session:
        appraisal = session.get(Appraisal, appraisal_id)
        assert appraisal is not None
        framework = framework_of(session, appraisal.framework_version_id)
        self_assessment.save_self_assessment(
            session=session, actor=ned, appraisal_id=appraisal_id,
            ratings=dict.fromkeys(framework.statement_ids(), ScaleLabel.FREQUENTLY),
            reflections={d.id: f"Reflection on {d.name}" for d in framework.domains})
    with write_session(now=SUBMITTED) as session:
        self_assessment.submit_self_assessment(session=session, actor=ned,
                                               appraisal_id=appraisal_id)


def _review(people: dict[str, int], appraisal_id: int) -> None:
    chair = _actor(people, CHAIR)
    with write_session(now=REVIEWED) as session:
        review.begin_review(session=session, actor=chair, appraisal_id=appraisal_id)
        review.save_review(session=session, actor=chair, appraisal_id=appraisal_id,
                           commentary={"d1": "Strong challenge on quality"},
                           views={"d1": ScaleLabel.ALMOST_ALWAYS})
        meetings.schedule_meeting(session=session, actor=chair, appraisal_id=appraisal_id,
                                  starts_at=datetime(2025, 6, 5, 14, 0), duration_minutes=60,
                                  place="The boardroom")
        set_objectives(session=session, actor=chair, appraisal_id=appraisal_id, objectives=[
            ObjectiveInput(ObjectiveKind.EDI, "Sponsor the race equality network")])
        set_development_plan(session=session, actor=chair, appraisal_id=appraisal_id,
                             actions=[DevelopmentInput("Digital", "Board course")])
        # Judged against the unit of work's day, not the wall clock's: a confirmation
        # dated after 2 June 2025 would be refused here.
        review.confirm_fppt(session=session, actor=chair, appraisal_id=appraisal_id,
                            last_assessed_on=date(2025, 6, 1), status=FPPTStatus.FIT_AND_PROPER)
    with write_session(now=AGREED) as session:
        review.agree(session=session, actor=chair, appraisal_id=appraisal_id)


def _sign_off(people: dict[str, int], appraisal_id: int) -> None:
    with write_session(now=APPRAISEE_SIGNED) as session:
        signing.sign(session=session, actor=_actor(people, NED), appraisal_id=appraisal_id)
    with write_session(now=APPRAISER_SIGNED) as session:
        signing.sign(session=session, actor=_actor(people, CHAIR), appraisal_id=appraisal_id)


def test_a_whole_year_runs_on_the_days_it_is_given(store: Engine, operator: Actor) -> None:
    people = _open_the_year(operator)
    appraisal_id = _appraisal_of(NED).id or 0
    waiting = _appraisal_of(CEO)

    _self_assessment(people, appraisal_id)
    _review(people, appraisal_id)
    _sign_off(people, appraisal_id)

    # The reminders of the day a week before the chief executive's self-assessment is due.
    due = waiting.self_assessment_due
    reminded_on = england().working_days_before(due, 7)
    reminded_at = _at(reminded_on, 7)
    with write_session(now=reminded_at) as session:
        queued = queue_planned_reminders(
            session=session, reminders=plan_reminders(open_appraisals(), reminded_on, england()))

    done = _appraisal_of(NED)
    assert done.state is AppraisalState.COMPLETE
    assert (done.submitted_at, done.agreed_at, done.updated_at) == (
        SUBMITTED, AGREED, APPRAISER_SIGNED)
    with read_session() as session:
        signed = sorted(session.execute(select(Signature.signed_at).where(
            Signature.appraisal_id == appraisal_id)).scalars())
        event_times = set(session.execute(select(AuditEvent.occurred_at)).scalars())
        reminders = session.execute(select(OutboxMessage.recipient_email,
                                           OutboxMessage.created_at).where(
            OutboxMessage.template == "reminder")).all()
        assert verify_chain(session).ok
    assert signed == [APPRAISEE_SIGNED, APPRAISER_SIGNED]
    the_year = {OPENED, ANSWERED, SUBMITTED, REVIEWED, AGREED, APPRAISEE_SIGNED,
                APPRAISER_SIGNED, reminded_at}
    assert event_times <= the_year and {OPENED, SUBMITTED, AGREED} <= event_times
    assert queued > 0 and (CEO, reminded_at) in reminders
    assert {created for _, created in reminders} == {reminded_at}
