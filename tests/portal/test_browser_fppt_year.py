"""A whole FPPT year in a real browser, on a small board, everyone starting signed out and
following the emails: the company secretary completes the leaver's Board Member Reference
and records every check of every board member (one concern, then its mitigation; the
references a new appointee came with; who is clinically registered; the leaver's year not
required), each director attests from their email, the chair signs off from hers (the
senior independent director the chair's) and signs the reference, the secretary downloads
the ESR export, and the chair signs and makes the annual submission."""

from __future__ import annotations

from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from appraisal_store import config, sessions
from appraisal_store.actors import Actor
from appraisal_store.fppt_tables import (
    BoardMemberReference,
    FPPTSubmission,
    FPPTYear,
    ReferenceReceived,
)
from appraisal_store.fppt_vocabulary import FPPTOutcome, FPPTYearState, ReferenceState
from appraisal_store.models import Appraisal, Organisation, Person
from appraisal_store.services.cycles import open_cycles, resolve_dates
from appraisal_store.services.fppt_submissions import queue_fppt_reminders
from appraisal_store.services.organisations import add_organisation
from appraisal_store.services.people import import_people
from appraisal_store.vocabulary import AppraisalState
from records.configured_seal import ensure_deployment_seal
from tests.conftest import Board
from tests.portal.emailed import deliver_everything_due, follow_signed_out
from tests.portal.test_browser import server_fixture, watch_console  # noqa: F401 - fixture
from tests.portal.test_browser_email_links import browser_fixture  # noqa: F401 - the fixture
from tests.portal.test_browser_review import _sign_in

pytestmark = pytest.mark.browser

CHAIR, SID, CEO = "chair@rx9.nhs.uk", "sid@rx9.nhs.uk", "ceo@rx9.nhs.uk"
NEW, LEAVER, SECRETARY = "new@rx9.nhs.uk", "leaver@rx9.nhs.uk", "cosec@rx9.nhs.uk"
# The chief executive is a registered doctor: the professional register's check is theirs.
SMALL_BOARD = """org_code,name,email,role,start_date,end_date,interim,clinically_registered
RX9,Alys Chair,chair@rx9.nhs.uk,chair,2021-04-01,,no,no
RX9,Sam Independent,sid@rx9.nhs.uk,senior-independent-director,2019-07-01,,no,no
RX9,Dr Carys Medic,ceo@rx9.nhs.uk,chief-executive,2020-01-06,,no,yes
RX9,Nia Newcomer,new@rx9.nhs.uk,non-executive-director,2025-11-01,,no,
RX9,Len Leaver,leaver@rx9.nhs.uk,non-executive-director,2018-01-01,2026-01-31,no,no
RX9,Rita Secretary,cosec@rx9.nhs.uk,company-secretary,2019-01-01,,no,
"""
DIRECTORS = (CHAIR, SID, CEO, NEW)


def _small_board() -> int:
    ensure_deployment_seal()  # as `appraisal init` makes it: references and submissions
    operator = Actor.operator()
    with sessions.write_session() as session:
        organisation = add_organisation(session=session, actor=operator, code="RX9",
                                        name="Brookside NHS Trust", org_type="nhs-trust",
                                        region="North West")
        import_people(session=session, actor=operator, csv_text=SMALL_BOARD)
        open_cycles(session=session, actor=operator, year="2025/26",
                    organisation_codes=["RX9"], dates=resolve_dates("2025/26"),
                    today=date(2025, 12, 1))
    with sessions.read_session() as session:  # a late starter's appraisal waits a year
        assert session.execute(select(Appraisal.state).join(
            Person, Person.id == Appraisal.appraisee_id).where(Person.email == NEW)
        ).scalar_one() is AppraisalState.DEFERRED
    return organisation.id or 0


def _deliver(today: date) -> None:
    """The daily sweep's FPPT part, and the outbox sent (as .eml files)."""
    with sessions.write_session() as session:
        queue_fppt_reminders(session=session, today=today)
    deliver_everything_due()


def _link(key: str, email: str, *, about: str = "") -> str:
    """The portal link of the newest email to ``email`` whose idempotency key (its file's
    name) starts with ``key`` and whose subject names ``about``."""
    for file in sorted(Path(config.settings().outbox_dir).glob(f"{key}*.eml"),
                       key=lambda p: p.stat().st_mtime_ns, reverse=True):
        message = message_from_bytes(file.read_bytes(), policy=policy.default)
        if message["To"].addresses[0].addr_spec != email or about not in message["Subject"]:
            continue
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        return next(w for w in text.split() if w.startswith(config.settings().base_url))
    raise AssertionError(f"no {key} email to {email} about {about!r}")


def _years() -> dict[str, FPPTYear]:
    with sessions.read_session() as session:
        return {email: year for year, email in session.execute(
            select(FPPTYear, Person.email).join(Person, Person.id == FPPTYear.person_id)
            .join(Organisation, Organisation.id == FPPTYear.organisation_id)
            .where(Organisation.code == "RX9")).tuples()}


def _record(page, check: str, outcome: str = "clear", *, note: str = "",  # type: ignore[no-untyped-def]
            mitigation: str = "") -> None:
    page.select_option("#check", check)
    page.fill("#done_on-day", "20")
    page.fill("#done_on-month", "11")
    page.fill("#done_on-year", "2025")
    page.check(f"input[name=outcome][value={outcome}]")
    page.fill("#note", note)
    page.fill("#mitigation", mitigation)
    page.fill("#evidence_reference", f"FPPT evidence file 2025/26, {check}")
    page.click("button:has-text('Record check')")
    page.wait_for_url("**done=recorded**")


def test_the_secretary_runs_a_whole_fppt_year_in_the_portal(
        server: str, sqlite_board: Board, browser) -> None:  # type: ignore[no-untyped-def]
    organisation_id = _small_board()
    _deliver(date(2025, 12, 1))
    console: list[str] = []
    years = _years()
    assert set(years) == set(DIRECTORS) | {LEAVER}  # the deferred and the leaver have one

    # The secretary follows the email about the leaver's reference and completes it.
    secretary = follow_signed_out(browser, server, _link("reference_reminder", SECRETARY),
                                  SECRETARY, console)
    assert "Board Member Reference: Len Leaver" in secretary.inner_text("h1")
    assert secretary.query_selector("button[value=sign]") is None  # the chair signs
    secretary.fill("#role-and-dates", "Non-executive director, 1 January 2018 to 31 "
                                      "January 2026")
    secretary.check("input[name=fitness-concerns-answer][value=no]")
    secretary.check("input[name=investigations-answer][value=yes]")
    secretary.click("button[value=save]")  # saved so far, and what is missing is named
    secretary.wait_for_url("**done=saved**")
    gaps = secretary.inner_text("#gaps")
    assert "give the details of a yes" in gaps and "Statement" in gaps
    assert secretary.input_value("#role-and-dates").startswith("Non-executive director")
    secretary.check("input[name=investigations-answer][value=no]")
    secretary.fill("#statement", "A thoughtful member of the board; no concerns.")
    secretary.click("button[value=save]")
    secretary.wait_for_url("**done=saved**")
    assert "Every section is complete: the chair can sign it" in secretary.inner_text("#gaps")

    # From the reference to the board's FPPT dashboard, and every board member's checks.
    secretary.click("a.nhsuk-back-link")
    assert "Fit and proper person test 2025/26" in secretary.inner_text("h1")
    for email, name in ((CHAIR, "Alys Chair"), (SID, "Sam Independent"),
                        (CEO, "Dr Carys Medic"), (NEW, "Nia Newcomer")):
        secretary.click(f"#members >> text={name}")
        options = secretary.eval_on_selector_all("#check option", "os => os.map(o => o.value)")
        assert "self-attestation" not in options
        assert ("professional-registration" in options) == (email == CEO)
        assert ("references" in options) == (email == NEW)  # at appointment, this year
        if email == SID:
            assert "clinically registered members only" in secretary.inner_text("#check-list")
        for check in options:
            # The form starts on the next check to do.
            assert secretary.eval_on_selector("#check", "s => s.value") == check
            if email == SID and check == "social-media":
                _record(secretary, check, "concern",
                        note="A public post criticising a partner trust's waiting times")
            else:
                _record(secretary, check)
        if email == SID:  # the concern needs its mitigation: the form starts from it
            assert "Needs mitigation" in secretary.inner_text("#check-list")
            secretary.click("text=Record the mitigation")
            assert secretary.input_value("#note").startswith("A public post")
            secretary.fill("#mitigation", "Discussed with the chair; the post was removed.")
            secretary.click("button:has-text('Record check')")
            secretary.wait_for_url("**done=recorded**")
            assert "Needs mitigation" not in secretary.inner_text("#check-list")
        if email == NEW:  # the references the appointment came with: errors by field first
            secretary.click("text=Record a reference received at appointment")
            secretary.fill("#covering", "2019 to 2025")
            secretary.fill("#received_on-day", "3")
            secretary.click("button:has-text('Record reference received')")
            assert "Say who gave the reference" in secretary.inner_text("#from_whom-error")
            assert "must include a month and a year" in secretary.inner_text(
                "#received_on-error")
            assert secretary.input_value("#covering") == "2019 to 2025"
            secretary.fill("#from_whom", "Westbridge ICB, its chair")
            secretary.fill("#received_on-month", "10")
            secretary.fill("#received_on-year", "2025")
            secretary.click("button:has-text('Record reference received')")
            secretary.wait_for_url("**done=reference-received**")
            assert "From Westbridge ICB, its chair, received 3 October 2025, covering 2019 to " \
                "2025" in secretary.inner_text("#references-received")
        assert _years()[email].state is FPPTYearState.IN_PROGRESS  # the attestation to come
        secretary.click("a.nhsuk-back-link")
    with sessions.read_session() as session:
        assert session.execute(select(func.count()).select_from(ReferenceReceived)
                               ).scalar_one() == 1
    secretary.click("#members >> text=Len Leaver")
    secretary.click("text=No FPPT needed this year")
    secretary.fill("#reason", "Left the board on 31 January 2026; the Board Member "
                              "Reference is completed")
    secretary.click("button:has-text('Mark not required')")
    secretary.wait_for_url("**done=not-required**")
    assert _years()[LEAVER].state is FPPTYearState.NOT_REQUIRED

    # Each director follows their email and attests; their appraisal shows the year.
    for email in DIRECTORS:
        director = follow_signed_out(browser, server, _link("fppt_attestation", email), email,
                                     console)
        for radio in director.query_selector_all("input[type=radio][value=no]"):
            radio.check()
        director.click("button:has-text('Sign my self-attestation')")
        director.wait_for_url("**done=attested**")
        assert "Your self-attestation is signed" in director.inner_text("#done")
        assert _years()[email].state is FPPTYearState.READY_FOR_SIGN_OFF
        director.context.close()

    # The chair follows each sign-off email; the SID's year had a concern.
    _deliver(date(2025, 12, 2))
    for email, name in ((CEO, "Dr Carys Medic"), (NEW, "Nia Newcomer"),
                        (SID, "Sam Independent")):
        chair = follow_signed_out(browser, server, _link("fppt_sign_off", CHAIR, about=name),
                                  CHAIR, console)
        chair.click("#ready a")  # the page opens on the checks; the sign-off is below
        assert chair.url.endswith("#sign-off")
        chair.check("input[name=fppt_outcome][value=fit_and_proper]")
        chair.click("button:has-text('Sign off')")
        if email == SID:
            assert "a concern was recorded" in chair.inner_text("#fppt_outcome-error").lower()
            chair.check("input[name=fppt_outcome][value=fit_and_proper_with_mitigation]")
            chair.click("button:has-text('Sign off')")
        chair.wait_for_url("**done=signed**")
        assert f"Signed off as {'Fit and proper' if email != SID else 'Fit and proper, with'}" \
            in chair.inner_text("#outcome")
        chair.context.close()
    # Not the chair's own: the senior independent director signs hers.
    assert _link("fppt_sign_off", SID, about="Alys Chair")
    with pytest.raises(AssertionError):
        _link("fppt_sign_off", CHAIR, about="Alys Chair")
    sid = follow_signed_out(browser, server, _link("fppt_sign_off", SID, about="Alys Chair"),
                            SID, console)
    sid.check("input[name=fppt_outcome][value=fit_and_proper]")
    sid.click("button:has-text('Sign off')")
    sid.wait_for_url("**done=signed**")
    assert "by Sam Independent" in sid.inner_text("#outcome")
    assert {e: y.state for e, y in _years().items()} == {
        **dict.fromkeys(DIRECTORS, FPPTYearState.SIGNED_OFF),
        LEAVER: FPPTYearState.NOT_REQUIRED}
    assert _years()[SID].outcome is FPPTOutcome.FIT_AND_PROPER_WITH_MITIGATION

    # The chair signs and seals the leaver's reference from the email saying it is ready
    # (sent as the secretary saved its last section).
    chair = follow_signed_out(browser, server,
                              _link("reference_sign", CHAIR, about="Len Leaver"), CHAIR, console)
    chair.click("button[value=sign]")
    chair.wait_for_url("**done=signed**")
    assert "Signed on" in chair.inner_text("#sealed")
    with sessions.read_session() as session:
        reference = session.execute(select(BoardMemberReference).where(
            BoardMemberReference.organisation_id == organisation_id)).scalar_one()
    assert reference.state is ReferenceState.SIGNED and reference.pdf

    # The secretary downloads the ESR export; the submission is the chair's to make.
    secretary.goto(f"{server}/fppt/boards/{organisation_id}/2025-26")
    assert "4 of 5 board members signed off" in secretary.inner_text("main")
    assert "The chair signs and makes the submission" in secretary.inner_text("main")
    with secretary.expect_download() as download:
        secretary.click("text=ESR export (CSV)")
    esr = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Dr Carys Medic" in esr and "Fit and proper" in esr

    chair.goto(f"{server}/fppt")
    chair.click("text=FPPT dashboard 2025/26")
    assert "Brookside NHS Trust" in chair.inner_text(".nhsuk-caption-l")
    chair.click("button:has-text('Sign and make the submission')")
    chair.wait_for_url("**done=submitted**")
    assert "Submitted on" in chair.inner_text("main")
    with chair.expect_download() as download:
        chair.click("text=Sealed PDF")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    with sessions.read_session() as session:
        submission = session.execute(select(FPPTSubmission).where(
            FPPTSubmission.organisation_id == organisation_id)).scalar_one()
    assert submission.submitted_by_label == "Alys Chair"

    # A board member's appraisal shows their year's signed-off outcome; they see their own
    # year, never a colleague's.
    colleague = browser.new_context().new_page()
    _sign_in(colleague, server, NEW)
    colleague.wait_for_load_state()
    with sessions.read_session() as session:
        deferred = session.execute(select(Appraisal.id).join(
            Person, Person.id == Appraisal.appraisee_id).where(Person.email == NEW)).scalar_one()
    colleague.goto(f"{server}/appraisals/{deferred}")
    assert "Signed off as Fit and proper on" in colleague.inner_text("#fppt-signed-off")
    assert "by Alys Chair" in colleague.inner_text("#fppt-signed-off")
    colleague.goto(f"{server}/fppt/assessments/{years[CEO].id}")
    assert colleague.inner_text("h1") == "Page not found"
    assert console == []
