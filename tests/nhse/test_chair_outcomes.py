"""A foundation trust chair's signed outcome reaches the council of governors' nominations
committee: an emailed link to a page only its registered contact reads, showing what was
agreed and signed, never the self-assessment or the feedback; every read audited, every
refusal logged and answered as if nothing were there."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.errors import NotFound
from appraisal_store.models import Appraisal, AuditEvent, OutboxMessage, Person, Record
from appraisal_store.services.chair_outcomes import chair_outcome, outcomes_for
from appraisal_store.services.contributors import register_contributor, remove_contributor
from appraisal_store.services.cycles import open_cycles, resolve_dates
from appraisal_store.services.organisations import add_organisation
from appraisal_store.services.people import import_people
from appraisal_store.vocabulary import RecordStage
from flows.emails import render_email
from tests.conftest import BOARD_CSV, Board
from tests.nhse.endorsing import REGIONAL, register_regional_director, sealed_complete

GOVERNORS = "governors@ryf.nhs.uk"
CHAIR, SID, NED1 = "chair@ryf.nhs.uk", "sid@ryf.nhs.uk", "ned1@ryf.nhs.uk"
COSEC = "cosec@ryf.nhs.uk"
PAGE = "nominations committee outcome"


def seed_foundation_trust() -> Board:
    """The seeded board again, as Ryefield NHS Foundation Trust (RYF), with its nominations
    committee's contact registered for the chair's appraisal."""
    operator = Actor.operator()
    with sessions.write_session() as session:
        org = add_organisation(session=session, actor=operator, code="RYF",
                               name="Ryefield NHS Foundation Trust",
                               org_type="foundation-trust", region="North West")
        import_people(session=session, actor=operator,
                      csv_text=BOARD_CSV.replace("RX1,", "RYF,").replace("@rx1.", "@ryf."))
        register_contributor(session=session, actor=operator, organisation_code="RYF",
                             email=GOVERNORS, name="Hannah Lead-Governor",
                             part="nominations-committee", roles=["chair"],
                             reason="The council of governors' nominations committee")
        open_cycles(session=session, actor=operator, year="2025/26", organisation_codes=["RYF"],
                    dates=resolve_dates("2025/26"), today=date(2025, 12, 1))
    with sessions.read_session() as session:
        people = {p.email: p.id or 0 for p in session.execute(
            select(Person).where(Person.email.like("%@ryf.nhs.uk"))).scalars()}  # type: ignore[attr-defined]
        by_person = {v: k for k, v in people.items()}
        appraisals = {by_person[a.appraisee_id]: a.id or 0 for a in session.execute(
            select(Appraisal).where(Appraisal.organisation_id == org.id)).scalars()}
    return Board(org.id or 0, people, appraisals)


def _person(email: str) -> Actor:
    with sessions.read_session() as session:
        found = session.execute(select(Person.id).where(Person.email == email)).scalar_one()
    return Actor.person(found, email)


def _read(email: str, appraisal_id: int):  # type: ignore[no-untyped-def]
    with sessions.write_session() as session:
        return chair_outcome(session=session, actor=_person(email), appraisal_id=appraisal_id)


def _views() -> list[tuple[int | None, str]]:
    """Who read which outcome: (person id, appraisal id) of each audited read."""
    with sessions.read_session() as session:
        return [(e.actor_id, e.subject_id) for e in session.execute(
            select(AuditEvent).where(AuditEvent.action == "content_viewed")).scalars()
            if e.details.get("page") == PAGE]


def test_the_committee_reads_the_signed_outcome_and_nobody_else_does(store: object) -> None:
    ft = seed_foundation_trust()
    chair = ft.appraisals[CHAIR]
    with pytest.raises(NotFound, match="not signed by both yet"):
        _read(GOVERNORS, chair)
    sealed_complete(ft, CHAIR)
    sealed_complete(ft, NED1)

    outcome = _read(GOVERNORS, chair)
    with sessions.read_session() as session:
        sha = session.execute(select(Record.sha256).where(
            Record.appraisal_id == chair, Record.stage == RecordStage.COMPLETE)).scalar_one()
        completed = session.get(Appraisal, chair).completed_at  # type: ignore[union-attr]
    assert outcome.appraisee_name == "Margaret Okafor"
    assert outcome.appraiser_name == "Siân Ŵyn ap Gruffydd"
    assert [o.text for o in outcome.objectives] == ["Sponsor the race equality network",
                                                    "Chair the quality committee"]
    assert [(d.need, d.timescale) for d in outcome.development] == [("Digital", "By June")]
    assert outcome.fppt_outcome == "Fit and proper"
    assert outcome.meeting_date == date(2026, 2, 10)
    assert completed is not None and outcome.signed_on == completed.date()
    assert (outcome.record_id, outcome.record_sha256) == (f"APR-{chair}-v1", sha)
    assert _views() == [(_person(GOVERNORS).person_id, str(chair))]

    # Nobody else reads it here: the appraiser, the company secretary, a NED, NHS England's
    # regional director; nor does the committee read a NED's outcome.
    register_regional_director(code="RYF")
    for email, appraisal_id in ((SID, chair), (COSEC, chair), (NED1, chair),
                                (REGIONAL, chair), (GOVERNORS, ft.appraisals[NED1]),
                                (GOVERNORS, 999_999)):
        with pytest.raises(NotFound, match="no appraisal outcome"):
            _read(email, appraisal_id)
    with sessions.read_session() as session:
        assert [o.appraisal_id for o in outcomes_for(session, _person(GOVERNORS))] == [chair]
        assert outcomes_for(session, _person(SID)) == []
    with sessions.write_session() as session:
        assert remove_contributor(session=session, actor=Actor.operator(),
                                  organisation_code="RYF", email=GOVERNORS,
                                  part="nominations-committee",
                                  now=datetime(2026, 3, 1, tzinfo=UTC))
    with pytest.raises(NotFound):  # a contact no longer registered reads nothing
        _read(GOVERNORS, chair)
    assert _views() == [(_person(GOVERNORS).person_id, str(chair))]


def test_the_committee_follows_the_emailed_link_to_the_outcome(
        sqlite_board: Board, sign_in_as, home: Path) -> None:  # type: ignore[no-untyped-def]
    ft = seed_foundation_trust()
    chair = sealed_complete(ft, CHAIR)
    with sessions.read_session() as session:
        notice = session.execute(select(OutboxMessage).where(
            OutboxMessage.template == "chair_outcome")).scalar_one()
        text = render_email(notice, now=datetime.now(UTC)).get_body(("plain",)).get_content()
    assert notice.recipient_email == GOVERNORS
    assert f"Read the outcome: http://testserver/outcomes/{chair}" in text
    assert "the company secretary shares the outcome" not in text

    committee = sign_in_as(GOVERNORS)
    assert f'href="/outcomes/{chair}"' in committee.get("/").text
    page = committee.get(f"/outcomes/{chair}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"  # private, never kept by a browser
    assert "The chair's appraisal outcome: Margaret Okafor" in page.text
    assert "Sponsor the race equality network" in page.text
    assert "Fit and proper" in page.text
    # What the committee does not read: the self-assessment, the feedback, the comments.
    for private in ("My reflection on", "Eleven colleagues gave feedback.",
                    "A fair and useful conversation.", "Strong challenge on quality"):
        assert private not in page.text

    appraiser = sign_in_as(SID)
    refused = appraiser.get(f"/outcomes/{chair}")
    assert refused.status_code == 404
    assert "There is no appraisal outcome" in refused.text
    assert "Traceback" not in refused.text
    assert sign_in_as(CHAIR).get(f"/outcomes/{chair}").status_code == 404
    log = (home / "logs" / "access.log").read_text(encoding="utf-8")
    assert f"tried the portal's {PAGE} page of appraisal {chair}" in log
    assert _views() == [(_person(GOVERNORS).person_id, str(chair))]
