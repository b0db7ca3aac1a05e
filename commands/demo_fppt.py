"""The demo's FPPT year on the demo board: the company secretary records the checks (one
concern, with its mitigation), each director attests, the chair signs off (the senior
independent director the chair's), the leaver's reference is completed and sealed, and the
chair makes the annual submission. The other boards' FPPT years are left to run in the
portal."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlmodel import Session, col

from appraisal_store.actors import Actor
from appraisal_store.fppt_checklist import SELF_ATTESTATION
from appraisal_store.fppt_queries import board_year, references
from appraisal_store.fppt_vocabulary import FPPTOutcome
from appraisal_store.models import Organisation, Person
from appraisal_store.queries import company_secretaries
from appraisal_store.services.fppt import (
    Answer,
    attest,
    mark_not_required,
    record_check,
    sign_off,
)
from appraisal_store.services.fppt_checklists import checklist_of
from appraisal_store.services.fppt_references import SectionAnswer, save_reference
from appraisal_store.sessions import read_session, write_session
from appraisal_store.vocabulary import BoardRole
from records.fppt_sealing import make_reference, make_submission

from .console import out

CHECKS_DONE_ON = date(2026, 4, 20)
SIGNED_OFF_AT = datetime(2026, 5, 14, 10, tzinfo=UTC)
SUBMITTED_AT = datetime(2026, 6, 12, 11, tzinfo=UTC)
# The one concern of the year, and how it was mitigated.
CONCERN = ("Tom Evans", "social-media", "A public post criticising a partner trust's "
           "waiting times.", "Discussed with the chair; the post was removed and social media "
           "guidance training is booked for June.")


def _actor(session: Session, organisation_id: int, year: str, role: BoardRole) -> Actor:
    member = next(m for m in board_year(session, organisation_id, year) if m.year.role is role)
    return Actor.person(member.year.person_id, member.name)


def run_demo_fppt(code: str, year: str) -> None:
    """The demo board's FPPT year from the first check to the signed submission."""
    with read_session() as session:
        organisation_id = session.execute(select(col(Organisation.id)).where(
            col(Organisation.code) == code)).scalar_one()
        _, email = company_secretaries(session, {organisation_id}, on=CHECKS_DONE_ON)[
            organisation_id][0]
        secretary_id, secretary_name = session.execute(
            select(col(Person.id), col(Person.name)).where(col(Person.email) == email)).one()
        members = board_year(session, organisation_id, year)
        chair = _actor(session, organisation_id, year, BoardRole.CHAIR)
        sid = _actor(session, organisation_id, year, BoardRole.SENIOR_INDEPENDENT_DIRECTOR)
        checklist = checklist_of(session, members[0].year.checklist_version_id)
    secretary = Actor.person(secretary_id, secretary_name)
    with read_session() as session:
        leavers = [r for r in references(session, organisation_id=organisation_id)
                   if r.reference.signed_at is None]
    left = {r.reference.person_id: r for r in leavers}
    signed = 0
    for member in members:
        if member.year.person_id in left:
            left_on = left[member.year.person_id].reference.left_on
            with write_session() as session:
                mark_not_required(
                    session=session, actor=secretary, fppt_year_id=member.year.id or 0,
                    reason=f"Left the board on {left_on:%d %B %Y}, before the year's checks; "
                           "the Board Member Reference is completed")
            continue
        person = Actor.person(member.year.person_id, member.name)
        with write_session() as session:
            attest(session=session, actor=person, fppt_year_id=member.year.id or 0,
                   answers={d.id: Answer(False) for d in checklist.declarations},
                   today=CHECKS_DONE_ON)
            for status in member.checks:
                if not status.applies or status.check.id == SELF_ATTESTATION:
                    continue
                concern = (member.name, status.check.id) == CONCERN[:2]
                record_check(
                    session=session, actor=secretary, fppt_year_id=member.year.id or 0,
                    check_id=status.check.id, done_on=CHECKS_DONE_ON,
                    outcome="concern" if concern else "clear", today=CHECKS_DONE_ON,
                    note=CONCERN[2] if concern else "",
                    mitigation=CONCERN[3] if concern else "",
                    evidence_reference=f"FPPT evidence file {year}, {member.name}")
        with write_session() as session:
            sign_off(session=session, actor=sid if member.year.role is BoardRole.CHAIR
                     else chair, fppt_year_id=member.year.id or 0, now=SIGNED_OFF_AT,
                     outcome=FPPTOutcome.FIT_AND_PROPER_WITH_MITIGATION
                     if member.name == CONCERN[0] else FPPTOutcome.FIT_AND_PROPER)
        signed += 1
    for leaver in leavers:
        with write_session() as session:
            save_reference(session=session, actor=secretary, reference_id=leaver.reference.id
                           or 0, answers={
                               "role-and-dates": SectionAnswer(
                                   text=f"{leaver.role.label}, until "
                                        f"{leaver.reference.left_on:%d %B %Y}"),
                               "fitness-concerns": SectionAnswer(answer=False),
                               "investigations": SectionAnswer(answer=False),
                               "statement": SectionAnswer(
                                   text="A committed member of the board; no concerns.")})
        make_reference(actor=chair, reference_id=leaver.reference.id or 0,
                       now=SIGNED_OFF_AT)
    submission = make_submission(
        actor=chair, organisation_id=organisation_id, year=year,
        declaration="As chair I declare that the fit and proper person test has been carried "
                    f"out for each board member for {year}, with the evidence reviewed; the "
                    "outcomes below are those signed off.", now=SUBMITTED_AT)
    out.print(f"[bold]April to June 2026[/]: {code}'s FPPT year: {signed} board members "
              f"checked and signed off (one concern, mitigated), {len(leavers)} leaver's "
              f"reference sealed, the submission made on {submission.submitted_on:%d %B %Y} "
              "(the other boards' FPPT years are left open for the portal).")
