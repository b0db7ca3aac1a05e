"""Steps the FPPT tests share: a board member's year, their checks recorded, attested."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.fppt_checklist import SELF_ATTESTATION
from appraisal_store.fppt_status import check_statuses
from appraisal_store.fppt_tables import FPPTYear
from appraisal_store.services.fppt import Answer, attest, record_check
from appraisal_store.services.fppt_checklists import checklist_of
from tests.conftest import Board

TODAY = date(2025, 12, 1)
NOW = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)
SECRETARY = "cosec@rx1.nhs.uk"


def year_of(board: Board, email: str) -> FPPTYear:
    with sessions.read_session() as session:
        found: FPPTYear = session.execute(select(FPPTYear).where(
            FPPTYear.person_id == board.people[email])).scalar_one()
        return found


def all_clear(board: Board, email: str) -> dict[str, str]:
    """The answers of a self-attestation with nothing to declare."""
    with sessions.read_session() as session:
        checklist = checklist_of(session, year_of(board, email).checklist_version_id)
    return {d.id: "no" for d in checklist.declarations}


def attest_clear(board: Board, email: str) -> None:
    year = year_of(board, email)
    with sessions.write_session() as session:
        checklist = checklist_of(session, year.checklist_version_id)
        attest(session=session, actor=board.actor(email), fppt_year_id=year.id or 0,
               answers={d.id: Answer(False) for d in checklist.declarations}, today=TODAY)


def record_applicable(board: Board, email: str, *, skip: tuple[str, ...] = (),
                      by: str = SECRETARY) -> None:
    """Record every applicable check but the self-attestation (and ``skip``) as clear."""
    year = year_of(board, email)
    with sessions.write_session() as session:
        statuses = check_statuses(session, year, checklist_of(session,
                                                              year.checklist_version_id))
        for status in statuses:
            if status.applies and status.check.id not in skip + (SELF_ATTESTATION,):
                record_check(session=session, actor=board.actor(by), fppt_year_id=year.id or 0,
                             check_id=status.check.id, done_on=date(2025, 11, 20),
                             outcome="clear", today=TODAY,
                             evidence_reference=f"Evidence file, {status.check.id}")
