"""The FPPT pages: the secretary records, the director attests, the chair signs off and
submits; other board members see nothing; bad input is answered beside its field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from appraisal_store import config, sessions
from appraisal_store.fppt_tables import BoardMemberReference, FPPTCheckEntry, FPPTYear
from appraisal_store.fppt_vocabulary import FPPTYearState, ReferenceState
from records.self_signed_seal import ensure_seal
from tests.appraisal_store.fppt_steps import record_applicable, year_of
from tests.conftest import Board
from tests.portal.conftest import SignedInClient

FINANCE = "finance@rx1.nhs.uk"


def _declarations(board: Board) -> dict[str, str]:
    from tests.appraisal_store.fppt_steps import all_clear
    return all_clear(board, FINANCE)


def test_the_year_from_first_check_to_sign_off(
        sqlite_board: Board, sign_in_as: Callable[..., SignedInClient]) -> None:
    board = sqlite_board
    year = year_of(board, FINANCE)
    secretary, director = sign_in_as("cosec@rx1.nhs.uk"), sign_in_as(FINANCE)
    chair = sign_in_as("chair@rx1.nhs.uk")
    page = secretary.get(f"/fppt/boards/{board.organisation_id}/2025-26")
    assert page.status_code == 200 and "Priya Shah" in page.text
    answer = secretary.post(f"/fppt/assessments/{year.id}/checks", {
        "check": "dbs", "done_on-day": "20", "done_on-month": "11", "done_on-year": "2025",
        "outcome": "clear", "evidence_reference": "HR file 12"},
        files={"evidence_file": ("dbs.pdf", b"%PDF certificate", "application/pdf")})
    assert answer.status_code == 303, answer.text
    with sessions.read_session() as session:
        entry = session.execute(select(FPPTCheckEntry)).scalar_one()
    assert entry.evidence_file_name == "dbs.pdf" and entry.evidence_sha256
    assert secretary.get(f"/fppt/evidence/{entry.id}").content == b"%PDF certificate"

    refused = director.post(f"/fppt/assessments/{year.id}/attest",
                            {**_declarations(board), "convictions": "yes"})
    assert refused.status_code == 400
    assert "Give the details of your yes to “I have a conviction, caution" in refused.text
    # Each problem is tied to its declaration, hyphenated ids too, and names it.
    unanswered = {**_declarations(board)}
    del unanswered["good-character"]
    missing = director.post(f"/fppt/assessments/{year.id}/attest", unanswered)
    assert missing.status_code == 400 and 'href="#good-character"' in missing.text
    assert "Answer yes or no to “I have been involved in, or privy to," in missing.text
    signed = director.post(f"/fppt/assessments/{year.id}/attest", _declarations(board))
    assert signed.status_code == 303
    record_applicable(board, FINANCE, skip=("dbs",))
    assert year_of(board, FINANCE).state is FPPTYearState.READY_FOR_SIGN_OFF
    sign_off_page = chair.get(f"/fppt/boards/{board.organisation_id}/2025-26/sign-off")
    assert "Priya Shah" in sign_off_page.text
    done = chair.post(f"/fppt/assessments/{year.id}/sign-off",
                      {"fppt_outcome": "fit_and_proper"})
    assert done.status_code == 303
    shown = director.get(f"/fppt/assessments/{year.id}")
    assert "Signed off as <strong>Fit and proper</strong>" in shown.text
    csv_text = secretary.get(f"/fppt/boards/{board.organisation_id}/2025-26/esr.csv").text
    assert "Fit and proper" in csv_text and "Margaret Okafor" in csv_text


def test_other_board_members_see_nothing_and_bad_checks_are_named(
        sqlite_board: Board, sign_in_as: Callable[..., SignedInClient]) -> None:
    year = year_of(sqlite_board, FINANCE)
    colleague = sign_in_as("ned1@rx1.nhs.uk")
    board_page = f"/fppt/boards/{sqlite_board.organisation_id}/2025-26"
    for path in (f"/fppt/assessments/{year.id}", board_page,
                 f"/fppt/assessments/{year.id}/attest"):
        assert colleague.get(path).status_code == 404
    secretary = sign_in_as("cosec@rx1.nhs.uk")
    answer = secretary.post(f"/fppt/assessments/{year.id}/checks", {
        "check": "dbs", "done_on-day": "1", "done_on-month": "1", "done_on-year": "2099",
        "outcome": "fine"})
    assert answer.status_code == 400
    assert "1 January 2099 is in the future" in answer.text
    assert "&#39;fine&#39; is not one of" in answer.text
    with sessions.read_session() as session:
        assert session.execute(select(FPPTCheckEntry)).first() is None


def test_a_leavers_reference_is_completed_and_sealed(
        sqlite_board: Board, home: Path, sign_in_as: Callable[..., SignedInClient]) -> None:
    ensure_seal(home, organisation="Riverside Hospitals NHS Trust")
    config.settings.cache_clear()
    with sessions.read_session() as session:
        reference_id = session.execute(select(BoardMemberReference.id)).scalar_one()
    secretary, chair = sign_in_as("cosec@rx1.nhs.uk"), sign_in_as("chair@rx1.nhs.uk")
    form = {"role-and-dates": "NED, 2018 to 2025", "fitness-concerns-answer": "no",
            "investigations-answer": "no", "statement": "No concerns."}
    assert secretary.post(f"/fppt/references/{reference_id}",
                          {**form, "action": "save"}).status_code == 303
    assert chair.post(f"/fppt/references/{reference_id}",
                      {**form, "action": "sign"}).status_code == 303
    with sessions.read_session() as session:
        reference = session.get(BoardMemberReference, reference_id)
        assert reference is not None and reference.state is ReferenceState.SIGNED
    pdf = chair.get(f"/fppt/references/{reference_id}/reference.pdf")
    assert pdf.content.startswith(b"%PDF")


def test_the_appointment_on_the_board_members_page(
        sqlite_board: Board, sign_in_as: Callable[..., SignedInClient]) -> None:
    from appraisal_store.fppt_tables import ReferenceReceived
    from appraisal_store.models import AuditEvent, Person

    year = year_of(sqlite_board, "ned2@rx1.nhs.uk")
    secretary, colleague = sign_in_as("cosec@rx1.nhs.uk"), sign_in_as("ned1@rx1.nhs.uk")
    base = f"/fppt/assessments/{year.id}"
    refused = secretary.post(f"{base}/references-received", {
        "from_whom": "", "covering": "2021 to 2025", "received_on-day": "1",
        "received_on-month": "13", "received_on-year": "2025"})
    assert refused.status_code == 400
    assert 'id="from_whom-error"' in refused.text and 'id="received_on-error"' in refused.text
    assert 'value="2021 to 2025"' in refused.text  # what was typed is kept
    assert secretary.post(f"{base}/registration", {}).status_code == 400
    assert colleague.post(f"{base}/registration",
                          {"clinically_registered": "yes"}).status_code == 404
    with sessions.read_session() as session:
        assert session.execute(select(ReferenceReceived)).first() is None
        assert not session.execute(select(Person.clinically_registered).where(
            Person.email == "ned2@rx1.nhs.uk")).scalar_one()
    assert secretary.post(f"{base}/references-received", {
        "from_whom": "Northgate ICB (chair)", "covering": "2021 to 2025",
        "received_on-day": "1", "received_on-month": "10",
        "received_on-year": "2025"}).status_code == 303
    assert secretary.post(f"{base}/registration",
                          {"clinically_registered": "yes"}).status_code == 303
    page = secretary.get(base).text
    assert "From Northgate ICB (chair), received 1 October 2025" in page
    assert "Yes: the checks of the professional register apply" in page
    with sessions.read_session() as session:
        actions = set(session.execute(select(AuditEvent.action)).scalars())
    assert {"reference_received", "clinical_registration_set"} <= actions


def test_the_dashboard_lists_overdue_checks_once_per_board_member(
        sqlite_board: Board, sign_in_as: Callable[..., SignedInClient]) -> None:
    """The year is over (the portal's clock is today's): every check not recorded is late,
    and each board member's are on one line, linked to their page."""
    import re

    year = year_of(sqlite_board, FINANCE)
    secretary = sign_in_as("cosec@rx1.nhs.uk")
    board_page = f"/fppt/boards/{sqlite_board.organisation_id}/2025-26"

    def finance_line() -> tuple[int, str]:
        page = secretary.get(board_page).text
        lines = re.findall(r'<li><a class="nhsuk-link" href="/fppt/assessments/(\d+)">'
                           r"([^<]+)</a>: (\d+) overdue", page)
        assert len({name for _, name, _ in lines}) == len(lines) > 1  # one line each
        total = int(re.search(r"(\d+) checks? overdue", page).group(1))  # type: ignore[union-attr]
        assert total == sum(int(count) for *_, count in lines)
        line = next(line for line in lines if line[0] == str(year.id))
        return int(line[2]), page

    before, page = finance_line()
    assert "Priya Shah</a>: " in page and "Disclosure and Barring Service check" in page
    secretary.post(f"/fppt/assessments/{year.id}/checks", {
        "check": "dbs", "done_on-day": "20", "done_on-month": "11", "done_on-year": "2025",
        "outcome": "clear"})
    assert finance_line()[0] == before - 1


def test_a_yes_in_the_self_attestation_is_shown_and_mitigated_on_the_page(
        sqlite_board: Board, sign_in_as: Callable[..., SignedInClient]) -> None:
    year = year_of(sqlite_board, FINANCE)
    record_applicable(sqlite_board, FINANCE)
    director = sign_in_as(FINANCE)
    signed = director.post(f"/fppt/assessments/{year.id}/attest", {
        **_declarations(sqlite_board), "interests": "yes",
        "interests-details": "A trustee of a local hospice since March"})
    assert signed.status_code == 303
    secretary = sign_in_as("cosec@rx1.nhs.uk")
    page = secretary.get(f"/fppt/assessments/{year.id}").text
    # The declaration in its words, with the details, signed by the director.
    assert "I have an interest, new since my last declaration" in page
    assert "A trustee of a local hospice since March" in page
    assert 'href="#attestation-mitigation"' in page and 'id="attestation-mitigation"' in page
    empty = secretary.post(f"/fppt/assessments/{year.id}/attestation-mitigation",
                           {"attestation_mitigation": ""})
    assert empty.status_code == 400
    assert 'href="#attestation_mitigation"' in empty.text  # tied to the field
    mitigated = secretary.post(f"/fppt/assessments/{year.id}/attestation-mitigation",
                               {"attestation_mitigation": "Declared to the board"})
    assert mitigated.status_code == 303
    page = secretary.get(f"/fppt/assessments/{year.id}").text
    assert "Mitigation (Ruth Clarke): Declared to the board" in page
    assert "A trustee of a local hospice since March" in page  # the declaration is kept
    assert 'id="attestation-mitigation"' not in page  # nothing left to mitigate
    assert year_of(sqlite_board, FINANCE).state is FPPTYearState.READY_FOR_SIGN_OFF


def test_the_completion_dashboard_counts_each_years_sign_offs(
        sqlite_board: Board, sign_in_as: Callable[..., SignedInClient]) -> None:
    from datetime import UTC, datetime

    from appraisal_store.services.fppt import sign_off
    from tests.appraisal_store.fppt_steps import attest_clear

    with sessions.read_session() as session:
        members = session.execute(select(FPPTYear).where(
            FPPTYear.organisation_id == sqlite_board.organisation_id)).scalars().all()
    secretary = sign_in_as("cosec@rx1.nhs.uk")
    dashboard = f"/organisations/{sqlite_board.organisation_id}/dashboard"
    assert f"FPPT 2025/26</a>: 0 of {len(members)} signed off" in secretary.get(dashboard).text
    record_applicable(sqlite_board, FINANCE)
    attest_clear(sqlite_board, FINANCE)
    with sessions.write_session() as session:
        sign_off(session=session, actor=sqlite_board.actor("chair@rx1.nhs.uk"),
                 fppt_year_id=year_of(sqlite_board, FINANCE).id or 0,
                 outcome="fit_and_proper", now=datetime(2025, 12, 1, 12, tzinfo=UTC))
    assert f"FPPT 2025/26</a>: 1 of {len(members)} signed off" in secretary.get(dashboard).text
