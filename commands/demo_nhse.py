"""The demo's hand-over to NHS England and its year of objectives (issue 21).

The regional director is registered for the ICB and the NHS trust, the foundation trust's
nominations committee for its chair. After the close, the trust chair's returned appraisal
is finished; the regional director endorses every signed ICB and NHS trust record due to
NHS England; each company secretary builds, sends and records the packs for 30 June and
30 September; the foundation trust's records stay held locally. In October one foundation
trust director's objectives get their mid-year review, and the 2026/27 cycle opened for
that trust carries it into the review of last year's objectives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlmodel import Session, col

from appraisal_store.actors import Actor
from appraisal_store.models import Appointment, Appraisal, Objective, Organisation, Person
from appraisal_store.services.check_ins import save_progress, start_check_in
from appraisal_store.services.contributors import register_contributor
from appraisal_store.services.cycles import open_cycles, resolve_dates
from appraisal_store.services.endorsement import endorse, endorsement_required
from appraisal_store.services.submissions import build_submission_pack, mark_pack_sent
from appraisal_store.sessions import read_session, write_session
from appraisal_store.vocabulary import AppraisalState, BoardRole

from . import demo_scenario as scenario
from .demo_feedback import gather_feedback

SUBMITTING = ("RXR", "QWE")
HOLDS_LOCALLY = "RYF"
NOMINATIONS_COMMITTEE = ("Fellside Council of Governors' Nominations Committee",
                         "governors@fellside.example.nhs.uk")
# When each deadline's pack is built and sent, a fortnight before it.
SENT_ON = {date(2026, 6, 30): date(2026, 6, 16), date(2026, 9, 30): date(2026, 9, 15)}
MID_YEAR_ON = date(2026, 10, 20)
NEXT_YEAR = "2026/27"
NEXT_OPENED_ON = date(2026, 12, 1)


def register_nhse_parties(session: Session, operator: Actor, regional_director: str) -> None:
    """The regional director gives input to and endorses the ICB's and the trust's
    appraisals that go to NHS England; the foundation trust's committee hears its chair's
    outcome."""
    for code in SUBMITTING:
        register_contributor(
            session=session, actor=operator, organisation_code=code, email=regional_director,
            part="regional-director",
            roles=["chair", "non-executive-director", "senior-independent-director",
                   "deputy-chair"],
            reason="NHS England's regional director for the region")
    name, email = NOMINATIONS_COMMITTEE
    register_contributor(session=session, actor=operator, organisation_code=HOLDS_LOCALLY,
                         email=email, name=name, part="nominations-committee", roles=["chair"],
                         reason="The council of governors' nominations committee")


@dataclass
class HandOver:
    """What the hand-over did, for the demo's console."""

    endorsed: int = 0
    packs: list[str] = field(default_factory=list)
    held_locally: int = 0
    mid_year_of: str = ""


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


def _person(session: Session, code: str, role: BoardRole) -> Actor:
    person = session.execute(
        select(Person).join(Appointment, col(Appointment.person_id) == Person.id)
        .join(Organisation, col(Organisation.id) == Appointment.organisation_id)
        .where(col(Organisation.code) == code, col(Appointment.role) == role)
        .order_by(col(Appointment.id))).scalars().first()
    assert person is not None
    return Actor.person(person.id or 0, person.email)


def _finish_trust_chair(after_step: Callable[[int], object]) -> None:
    """The NHS trust chair's appraisal was returned in February; it is finished in April."""
    chair = next(a for a in scenario.demo_appraisals() if a.organisation_code == "RXR"
                 and a.state is AppraisalState.RETURNED and _is_chair(a.id))
    scenario.self_assess(chair)
    scenario.submit(chair)
    scenario.start_review(chair)
    scenario.complete_review(chair, date(2026, 4, 21))
    agreed, appraisee_signs, appraiser_signs = scenario.signing_moments(date(2026, 4, 21))
    scenario.agree(chair, agreed)
    scenario.sign(chair.appraisee, chair.id, appraisee_signs)
    after_step(chair.id)
    assert chair.appraiser is not None
    scenario.sign(chair.appraiser, chair.id, appraiser_signs)
    after_step(chair.id)


def _is_chair(appraisal_id: int) -> bool:
    with read_session() as session:
        return bool(session.execute(select(col(Appointment.role)).join(
            Appraisal, col(Appraisal.appointment_id) == Appointment.id).where(
            col(Appraisal.id) == appraisal_id)).scalar_one() is BoardRole.CHAIR)


def hand_over_to_nhse(regional_director: str, after_step: Callable[[int], object]) -> HandOver:
    """Finish, endorse, pack and send the ICB's and the trust's appraisals due to NHS
    England; count the foundation trust's, held locally."""
    from records.endorsement import seal_endorsement

    done = HandOver()
    _finish_trust_chair(after_step)
    with read_session() as session:
        director = session.execute(select(Person).where(
            col(Person.email) == regional_director)).scalar_one()
        due = [a for a in session.execute(select(Appraisal).where(
            col(Appraisal.state) == AppraisalState.COMPLETE,
            col(Appraisal.nhse_due).is_not(None))
            .order_by(col(Appraisal.id))).scalars() if endorsement_required(session, a)]
        done.held_locally = len(session.execute(
            select(col(Appraisal.id)).join(Organisation,
                                           col(Organisation.id) == Appraisal.organisation_id)
            .where(col(Organisation.code) == HOLDS_LOCALLY,
                   col(Appraisal.state) == AppraisalState.COMPLETE)).all())
    for appraisal in due:
        assert appraisal.nhse_due is not None
        with write_session() as session:
            endorse(session=session, actor=Actor.person(director.id or 0, director.email),
                    appraisal_id=appraisal.id or 0, comment="Endorsed for NHS England.",
                    now=_at(SENT_ON[appraisal.nhse_due]))
        seal_endorsement(appraisal.id or 0)
        done.endorsed += 1
    for deadline, sent_on in SENT_ON.items():
        for code in SUBMITTING:
            with write_session() as session:
                organisation = session.execute(select(Organisation).where(
                    col(Organisation.code) == code)).scalar_one()
                secretary = _person(session, code, BoardRole.COMPANY_SECRETARY)
                pack = build_submission_pack(session=session, actor=secretary,
                                             organisation_id=organisation.id or 0,
                                             deadline=deadline, now=_at(sent_on))
                mark_pack_sent(session=session, actor=secretary, pack_id=pack.id or 0,
                               sent_on=sent_on, channel="NHS England secure upload",
                               today=sent_on, now=_at(sent_on))
                done.packs.append(pack.filename)
    return done


def follow_objectives_through_the_year(done: HandOver) -> None:
    """A foundation trust director's mid-year review in October, then the 2026/27 cycle
    opened for the trust and that director's review begun: last year's objectives come
    with their mid-year progress."""
    complete = next(a for a in scenario.demo_appraisals()
                    if a.organisation_code == HOLDS_LOCALLY
                    and a.state is AppraisalState.COMPLETE and a.appraiser is not None)
    assert complete.appraiser is not None
    with write_session() as session:
        check_in = start_check_in(session=session, actor=complete.appraisee,
                                  appraisal_id=complete.id, kind="mid-year",
                                  held_on=MID_YEAR_ON, today=MID_YEAR_ON)
        objectives = session.execute(select(Objective).where(
            col(Objective.appraisal_id) == complete.id).order_by(col(Objective.position))).scalars()
        keys = [f"objective-{o.id}" for o in objectives]
    notes = {complete.appraisee: "Two network events held; the WRES report went to the "
                                 "board in September.",
             complete.appraiser: "Visible sponsorship; the elective review plan is late."}
    for actor, note in notes.items():
        with write_session() as session:
            save_progress(session=session, actor=actor, check_in_id=check_in.id or 0,
                          notes=dict.fromkeys(keys, note),
                          joint_note="On track; the elective plan moves to December.",
                          now=_at(MID_YEAR_ON))
    with write_session() as session:
        open_cycles(session=session, actor=Actor.system("open-cycle flow"), year=NEXT_YEAR,
                    organisation_codes=[HOLDS_LOCALLY], dates=resolve_dates(NEXT_YEAR),
                    today=NEXT_OPENED_ON)
    with read_session() as session:
        appointment = session.get(Appraisal, complete.id)
        assert appointment is not None
        next_id = session.execute(select(col(Appraisal.id)).where(
            col(Appraisal.appointment_id) == appointment.appointment_id,
            col(Appraisal.id) != complete.id)).scalar_one()
    following = next(a for a in scenario.demo_appraisals() if a.id == next_id)
    gather_feedback(following, opened_on=NEXT_OPENED_ON)  # its review has feedback too
    scenario.self_assess(following)
    scenario.submit(following)
    scenario.start_review(following)
    done.mid_year_of = complete.appraisee.label


def run_nhse_year(regional_director: str, after_step: Callable[[int], object]) -> None:
    """The hand-over and the year of objectives, told on the demo's console."""
    from flows.outbox import run_send_outbox

    from .console import out

    out.print("[bold]April to September 2026[/]: NHS England's regional director endorses "
              "the ICB's and the trust's signed records; each company secretary builds the "
              "submission packs, sends them and records it.")
    done = hand_over_to_nhse(regional_director, after_step)
    out.print(f"{done.endorsed} records endorsed (the third signature); packs sent: "
              + ", ".join(done.packs) + f". {HOLDS_LOCALLY}'s {done.held_locally} complete "
              "records are held locally.")
    follow_objectives_through_the_year(done)
    run_send_outbox()
    out.print(f"[bold]October to December 2026[/]: {done.mid_year_of}'s objectives have "
              f"their mid-year review; {HOLDS_LOCALLY} opens {NEXT_YEAR}, whose review of "
              "last year's objectives shows it.")
