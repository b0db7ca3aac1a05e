"""Confidential by construction: the sealed record, the cycle's reports, every email, the
logs and the audit trail are searched for a respondent's name beside what they answered,
and for a group below the threshold shown apart. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.feedback_links import link_token
from appraisal_store.feedback_tables import FeedbackRespondent
from appraisal_store.models import AuditEvent, OutboxMessage, Record
from appraisal_store.services import feedback
from appraisal_store.services.feedback import Nomination
from appraisal_store.services.feedback_answers import (
    redeem_feedback_link,
    respondent_session,
    save_feedback_answers,
    submit_feedback,
)
from flows.emails import render_email
from flows.reports import write_cycle_reports
from records.record_sealing import seal_appraisal
from records.seal import load_seal
from records.self_signed_seal import ensure_seal
from tests.records.appraisals import NED1, agree, sign

from .conftest import NOW, TODAY

PEOPLE = {"Aurelia Boardwright": ("aurelia@x.nhs.uk", "board", "almost_always",
                                  "Aurelia-writes: steady in committee"),
          "Bartholomew Keel": ("bart@x.nhs.uk", "board", "frequently",
                               "Bart-writes: asks the hard question"),
          "Cordelia Vance": ("cordelia@x.nhs.uk", "board", "almost_always",
                             "Cordelia-writes: listens well"),
          "Solitary Partner": ("solo@x.nhs.uk", "stakeholders", "rarely_or_never",
                               "Solo-writes: rarely seen at the partnership")}


def _answer_all(appraisal_id: int) -> None:
    with sessions.read_session() as session:
        rows = {r.email: r for r in session.execute(select(FeedbackRespondent)).scalars()}
    for email, _group, value, words in PEOPLE.values():
        with sessions.write_session() as session:
            secret, _ = redeem_feedback_link(session=session,
                                             token=link_token(rows[email].link_nonce),
                                             today=TODAY, now=NOW)
        with sessions.write_session() as session:
            found = respondent_session(session, secret=secret, today=TODAY)
            place = found.variant.text_places()[0] or "overall"
            save_feedback_answers(session=session, secret=secret,
                                  ratings=dict.fromkeys(found.variant.statement_ids(), value),
                                  texts={f"{place}:do_well": words}, today=TODAY, now=NOW)
            submit_feedback(session=session, secret=secret, today=TODAY, now=NOW)


def _assert_no_name_beside_an_answer(text: str, where: str) -> None:
    for name, (email, _group, _value, words) in PEOPLE.items():
        if words in text or "Almost always" in text or "Rarely or never" in text:
            assert name not in text and email not in text, (where, name)


def test_no_record_report_email_log_or_audit_event_ties_an_answer_to_its_author(
        board, tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    appraisal_id = board.appraisals[NED1]
    with sessions.write_session() as session:
        feedback.open_rounds(session=session, actor=board.actor("chair@rx1.nhs.uk"),
                             appraisal_ids=[appraisal_id], today=TODAY, now=NOW,
                             nominations=[Nomination(name, email, group) for name, (
                                 email, group, _, _) in PEOPLE.items()])
    _answer_all(appraisal_id)
    with sessions.write_session() as session:
        feedback.close_rounds(session=session, actor=Actor.operator(),
                              appraisal_ids=[appraisal_id], now=NOW)
    agree(board, NED1)
    sign(board, NED1)
    ensure_seal(tmp_path / "seal", organisation="Riverside Hospitals NHS Trust")
    seal_appraisal(appraisal_id, seal=load_seal(home=tmp_path / "seal"))

    with sessions.read_session() as session:
        pdf = session.execute(select(Record.pdf).where(
            Record.appraisal_id == appraisal_id).order_by(Record.id.desc())).scalars().first()
        messages = list(session.execute(select(OutboxMessage)).scalars())
        events = list(session.execute(select(AuditEvent)).scalars())
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
                    .split())
    # The record carries the summary: the counts and every text, no name, no small group.
    assert "Multi-source feedback summary" in text and "Response rate: 4 of 4 answered" in text
    for words in (w for _e, _g, _v, w in PEOPLE.values()):
        assert words in text
    assert "Stakeholders and partners" not in text  # a group of one is never shown apart
    assert "All respondents (4)" in text
    _assert_no_name_beside_an_answer(text, "the sealed record")

    reports = write_cycle_reports(year="2025/26", codes=["RX1"], today=TODAY,
                                  folder=tmp_path / "reports", with_submission_list=True)
    del reports
    for path in (tmp_path / "reports").rglob("*"):
        if path.is_file() and path.suffix in {".csv", ".html"}:
            _assert_no_name_beside_an_answer(path.read_text(errors="replace"), str(path))
            assert not any(w in path.read_text(errors="replace")
                           for _e, _g, _v, w in PEOPLE.values())

    for message in messages:
        email = render_email(message, now=datetime(2025, 12, 1, tzinfo=UTC)).as_string()
        assert not any(w in email for _e, _g, _v, w in PEOPLE.values()), message.template
        for name, (address, *_rest) in PEOPLE.items():
            if address in message.recipient_email:
                # A respondent's own emails: their link, never another's and no answer.
                others = [e for n, (e, *_r) in PEOPLE.items() if n != name]
                assert not any(o in email for o in others)

    for event in events:
        details = json.dumps(event.details, ensure_ascii=False)
        assert not any(w in details for _e, _g, _v, w in PEOPLE.values()), event.action
        assert "almost_always" not in details and "rarely_or_never" not in details

    logged = caplog.text
    assert not any(w in logged for _e, _g, _v, w in PEOPLE.values())
    _assert_no_name_beside_an_answer(logged, "the logs")
