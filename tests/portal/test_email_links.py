"""Every email links to the page its reader acts on, and that page opens for them.

The year is walked through the services (invitations, submission, meeting, return,
agreement, both signatures, the sealed record, reminders and escalations); then each
queued email is rendered as it would be sent, its link taken from the text, and the
recipient, signed in, opens it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.models import OutboxMessage
from appraisal_store.services import review, self_assessment, signing
from flows.emails import render_email
from flows.reminder_sweep import open_appraisals, queue_reminders
from records.record_sealing import seal_appraisal
from records.self_signed_seal import ensure_seal
from tests.conftest import Board
from tests.portal.test_follow_ups import answer_everything
from tests.records.appraisals import agree, appraiser_of

FINANCE, NURSING = "finance@rx1.nhs.uk", "nursing@rx1.nhs.uk"
LINK = re.compile(r"http://testserver(/\S*)")
EVERY_KIND = {"invitation", "self_assessment_submitted", "meeting_invitation",
              "returned_for_changes", "agreed_please_sign", "appraisee_signed",
              "record_complete", "reminder", "escalation"}


def walk_the_year(board: Board, home: Path) -> None:
    ensure_seal(home, organisation="Riverside Hospitals NHS Trust")
    appraisal_id = agree(board, FINANCE)
    with sessions.write_session() as session:
        signing.sign(session=session, actor=board.actor(FINANCE), appraisal_id=appraisal_id)
    with sessions.write_session() as session:
        signing.sign(session=session, actor=board.actor(appraiser_of(board, FINANCE)),
                     appraisal_id=appraisal_id)
    seal_appraisal(appraisal_id)
    returned = answer_everything(board, NURSING)
    appraiser = board.actor(appraiser_of(board, NURSING))
    with sessions.write_session() as session:
        self_assessment.submit_self_assessment(session=session, actor=board.actor(NURSING),
                                               appraisal_id=returned)
    with sessions.write_session() as session:
        review.begin_review(session=session, actor=appraiser, appraisal_id=returned)
        review.return_for_changes(session=session, actor=appraiser, appraisal_id=returned,
                                  reason="Say more about the quality domain")
    # Well past the self-assessment deadline: reminders, and escalations to both.
    queue_reminders(open_appraisals(), date(2026, 3, 2))


def test_every_email_lands_its_reader_on_a_page_they_can_open(
        sqlite_board: Board, home: Path, sign_in_as) -> None:  # type: ignore[no-untyped-def]
    walk_the_year(sqlite_board, home)
    with sessions.read_session() as session:
        messages = list(session.execute(select(OutboxMessage)).scalars())
    answers: dict[str, set[tuple[str, int]]] = defaultdict(set)
    clients = {}
    for message in messages:
        email = render_email(message, now=datetime.now(UTC))
        text = email.get_body(("plain",)).get_content()
        found = LINK.search(text)
        assert found, f"{message.template} to {message.recipient_email} has no link"
        path = found.group(1).rstrip(".")
        reader = message.recipient_email
        clients.setdefault(reader, sign_in_as(reader))
        status = clients[reader].get(path).status_code
        answers[message.template].add((path.split("/")[1], status))
        assert status == 200, f"{message.template} to {reader}: {path} answered {status}"
    assert set(answers) >= EVERY_KIND
    # The appraiser's and the company secretary's emails do not send them to the
    # appraisee's own pages.
    assert {page for page, _ in answers["self_assessment_submitted"]} == {"review"}
    assert {page for page, _ in answers["record_complete"]} == {"appraisals", "review",
                                                                  "manage"}
    assert {page for page, _ in answers["escalation"]} == {"review", "manage"}
