"""The record's content is built from the store, section by section, from data alone."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from zoneinfo import ZoneInfo

from pypdf import PdfReader
from sqlalchemy import event

from appraisal_store import engines, sessions
from appraisal_store.models import Appraisal
from records.build import build_content, nhse_note
from records.render import render_record
from tests.conftest import Board
from tests.records.appraisals import CHAIR, NED1, SID, agree, reassign


def test_every_section_comes_from_the_store(sqlite_board: Board) -> None:
    appraisal_id = agree(sqlite_board, NED1, disagreement="Domain 3 is rated too low")

    with sessions.read_session() as session:
        content = build_content(session, appraisal_id)

    assert content.record_id == f"APR-{appraisal_id}-v1"
    assert (content.organisation_name, content.organisation_code) == (
        "Riverside Hospitals NHS Trust", "RX1")
    assert content.organisation_type_label == "NHS trust"
    assert (content.appraisee_name, content.appraisee_role) == (
        "Zoë Łukasiewicz", "Non-executive director")
    assert (content.appraiser_name, content.appraiser_role) == ("Margaret Okafor", "Chair")
    assert content.cycle_year == "2025/26"
    assert content.meeting_date == date(2026, 2, 10)
    with sessions.read_session() as session:
        agreed_at = session.get(Appraisal, appraisal_id).agreed_at  # type: ignore[union-attr]
    assert agreed_at is not None
    assert content.issued_on == agreed_at.astimezone(ZoneInfo("Europe/London")).date()
    assert content.framework_hash.startswith("sha256:") and len(content.framework_hash) == 71
    assert len(content.domains) == 6
    first = content.domains[0]
    assert first.statements[0].self_label == "Almost always"
    assert {c.label for c in first.counts} >= {"Almost always", "No chance to demonstrate"}
    assert sum(c.count for c in first.counts) == len(first.statements)
    assert first.self_reflection.startswith("My reflection on")
    assert (first.appraiser_commentary, first.appraiser_view_label) == (
        "Strong challenge on quality", "Almost always")
    assert first.self_median_label in ("Frequently", "Almost always", "Occasionally")
    assert content.domains[1].appraiser_commentary == ""
    assert [(o.kind_label, o.is_edi) for o in content.objectives] == [
        ("Equality, diversity and inclusion", True), ("Personal", False)]
    assert content.objectives[0].target_date == date(2027, 3, 31)
    assert [(r.text, r.outcome_label) for r in content.previous_objectives] == [
        ("Visit every division", "Met")]
    assert content.development_plan[0].need == "Digital"
    assert (content.fppt.status_label, content.fppt.notes) == ("Fit and proper", "No concerns")
    assert content.fppt.last_assessed_on == date(2025, 11, 1)
    assert content.msf_summary == "Eleven colleagues gave feedback."
    assert content.appraiser_comments == "A strong year."
    assert content.disagreement == "Domain 3 is rated too low"
    assert content.nhse_note == "For NHS England by 30 September 2026"


def test_the_chair_is_appraised_by_the_senior_independent_director(sqlite_board: Board) -> None:
    appraisal_id = agree(sqlite_board, CHAIR)

    with sessions.read_session() as session:
        content = build_content(session, appraisal_id)

    assert (content.appraisee_name, content.appraisee_role) == ("Margaret Okafor", "Chair")
    assert (content.appraiser_name, content.appraiser_role) == (
        "Siân Ŵyn ap Gruffydd", "Senior independent director")
    assert content.nhse_note == "For NHS England by 30 June 2026"


def test_the_same_store_renders_the_same_bytes(sqlite_board: Board) -> None:
    appraisal_id = agree(sqlite_board, SID)

    with sessions.read_session() as session:
        first = render_record(build_content(session, appraisal_id))
    with sessions.read_session() as session:
        second = render_record(build_content(session, appraisal_id))

    assert first == second


def test_building_takes_a_handful_of_queries_not_one_per_statement(sqlite_board: Board) -> None:
    reassign(sqlite_board, NED1, "sid@rx1.nhs.uk")
    appraisal_id = agree(sqlite_board, NED1)
    statements: list[str] = []
    engine = engines.engine()

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        with sessions.read_session() as session:
            content = build_content(session, appraisal_id)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert content.appraiser_role == "Senior independent director"
    assert sum(len(d.statements) for d in content.domains) > 20
    # A handful: the FPPT year whose signed-off outcome the record shows is one of them.
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 13


def test_nhse_note() -> None:
    assert nhse_note(None) == "Held locally"
    assert nhse_note(date(2026, 6, 30)) == "For NHS England by 30 June 2026"


def test_the_fppt_section_shows_the_years_outcome_and_who_signed_it_off_and_when(
        sqlite_board: Board) -> None:
    from appraisal_store.services.fppt import sign_off
    from tests.appraisal_store.fppt_steps import NOW, attest_clear, record_applicable, year_of

    appraisal_id = agree(sqlite_board, NED1)
    with sessions.read_session() as session:
        before = build_content(session, appraisal_id).fppt
    # Not signed off: the appraiser's confirmation stands beside the year's state.
    assert before.status_label == "Fit and proper"
    assert before.sign_off == "Not yet: the 2025/26 FPPT is not started"
    assert before.self_attested_on is None

    attest_clear(sqlite_board, NED1)
    record_applicable(sqlite_board, NED1)
    with sessions.write_session() as session:
        sign_off(session=session, actor=sqlite_board.actor(CHAIR),
                 fppt_year_id=year_of(sqlite_board, NED1).id or 0,
                 outcome="fit_and_proper_with_mitigation", now=NOW, note="Reviewed")
    with sessions.read_session() as session:
        after = build_content(session, appraisal_id).fppt
    assert after.status_label == "Fit and proper, with mitigation recorded"
    assert after.sign_off == "By Margaret Okafor (chair) on 1 December 2025, for 2025/26"
    assert after.last_assessed_on == NOW.date() and after.notes == "Reviewed"
    assert after.self_attested_on == date(2025, 12, 1)
    with sessions.read_session() as session:
        pdf = render_record(build_content(session, appraisal_id))
    text = " ".join(" ".join((page.extract_text() or "").split())
                    for page in PdfReader(BytesIO(pdf)).pages)
    assert "By Margaret Okafor (chair) on 1 December 2025, for 2025/26" in text
    assert "Signed 1 December 2025" in text
