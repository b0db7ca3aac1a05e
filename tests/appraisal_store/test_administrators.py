"""Administration is scoped: to one's own organisations, or the national status-only view."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import func, select, text

from appraisal_store import config, engines, sessions
from appraisal_store.actors import Actor
from appraisal_store.errors import NotAllowed, NotFound, ValidationFailed
from appraisal_store.models import AdministrationGrant, Appointment, Appraisal, AuditEvent, Cycle
from appraisal_store.schema import alembic_config
from appraisal_store.services import administration
from appraisal_store.services.access import (
    administered_organisation_ids,
    can_view_content,
    get_appraisal,
    is_national_administrator,
    is_org_administrator,
)
from appraisal_store.services.administrators import (
    administration_grants,
    grant_administration,
    revoke_administration,
)
from appraisal_store.services.cycles import open_cycles, resolve_dates
from appraisal_store.services.organisations import add_organisation
from appraisal_store.services.people import import_people
from tests.conftest import Board
from tests.second_board import NATIONAL, seed_second_board

EXEC = "finance@rx1.nhs.uk"
HEADER = "org_code,name,email,role,start_date,end_date,interim\n"
OTHER_COSEC = "cosec@rx2.nhs.uk"


def _grant(email: str, **scope: object) -> None:
    with sessions.write_session() as session:
        grant_administration(session=session, actor=Actor.operator(), email=email,
                             **scope)  # type: ignore[arg-type]


def _actor(email: str) -> Actor:
    from appraisal_store.models import Person

    with sessions.read_session() as session:
        person = session.execute(select(Person).where(Person.email == email)).scalar_one()
        return Actor.person(person.id or 0, person.name)


def _appointments() -> int:
    with sessions.read_session() as session:
        return session.execute(select(func.count()).select_from(Appointment)).scalar_one()


def test_the_chair_and_company_secretary_administer_their_own_organisation_only(
        board: Board) -> None:
    second = seed_second_board()
    with sessions.read_session() as session:
        for email in ("chair@rx1.nhs.uk", "cosec@rx1.nhs.uk"):
            assert administered_organisation_ids(session, board.actor(email)) == {
                board.organisation_id}
            assert not is_org_administrator(session, board.actor(email), second)
        assert administered_organisation_ids(session, board.actor("ned1@rx1.nhs.uk")) == set()
        # A leaver's appointment no longer administers anything.
        assert administered_organisation_ids(session, board.actor("leaver@rx1.nhs.uk")) == set()


def test_an_administrator_of_another_organisation_cannot_reach_its_appraisals(
        board: Board) -> None:
    seed_second_board()
    other = _actor(OTHER_COSEC)
    for change in (administration.withdraw, administration.defer):
        with pytest.raises(NotFound), sessions.write_session() as session:
            change(session=session, actor=other, appraisal_id=board.appraisals[EXEC],
                   reason="Left the board")
    with pytest.raises(NotFound), sessions.write_session() as session:
        administration.reassign_appraiser(session=session, actor=other,
                                          appraisal_id=board.appraisals[EXEC],
                                          appraiser_email="chair@rx1.nhs.uk", reason="x")


def test_a_national_administrator_sees_no_content_and_changes_nothing(board: Board) -> None:
    seed_second_board()
    _grant(NATIONAL, national=True)
    national = _actor(NATIONAL)
    with sessions.read_session() as session:
        assert is_national_administrator(session, national)
        assert not is_org_administrator(session, national, board.organisation_id)
        appraisal = session.get(Appraisal, board.appraisals[EXEC])
        assert appraisal is not None and not can_view_content(session, national, appraisal)
        with pytest.raises(NotFound):
            get_appraisal(session, national, board.appraisals[EXEC])
    with pytest.raises(NotFound), sessions.write_session() as session:
        administration.extend_deadline(session=session, actor=national,
                                       appraisal_id=board.appraisals[EXEC],
                                       deadline="review", new_date=date(2026, 3, 1),
                                       reason="x")
    for kind in ({"year": "2025/26", "organisation_codes": ["RX1"]},):
        with pytest.raises(NotAllowed), sessions.write_session() as session:
            open_cycles(session=session, actor=national, dates=resolve_dates("2025/26"),
                        **kind)  # type: ignore[arg-type]
    with pytest.raises(NotAllowed), sessions.write_session() as session:
        import_people(session=session, actor=national,
                      csv_text=HEADER + "RX1,New Ned,new@rx1.nhs.uk,non-executive-director,"
                                        "2025-04-01,,no\n")


def test_organisations_are_added_by_national_administrators_and_the_operator(
        board: Board) -> None:
    seed_second_board()
    for who in ("cosec@rx1.nhs.uk", "chair@rx1.nhs.uk"):
        with pytest.raises(NotAllowed, match="national administrator"), \
                sessions.write_session() as session:
            add_organisation(session=session, actor=board.actor(who), code="RX1",
                             name="Renamed", org_type="nhs-trust")
    _grant(NATIONAL, national=True)
    with sessions.write_session() as session:
        added = add_organisation(session=session, actor=_actor(NATIONAL), code="RX9",
                                 name="Newtown Hospitals NHS Trust", org_type="nhs-trust")
    assert added.code == "RX9"


def test_opening_a_cycle_for_an_organisation_one_does_not_administer_is_refused(
        board: Board) -> None:
    seed_second_board()
    with pytest.raises(NotAllowed, match="You do not administer RX1"), \
            sessions.write_session() as session:
        open_cycles(session=session, actor=_actor(OTHER_COSEC), year="2025/26",
                    organisation_codes=["RX2", "RX1"], dates=resolve_dates("2025/26"))
    with pytest.raises(NotAllowed, match="Only an organisation's administrators"), \
            sessions.write_session() as session:
        open_cycles(session=session, actor=board.actor("ned1@rx1.nhs.uk"), year="2025/26",
                    organisation_codes=["RX1"], dates=resolve_dates("2025/26"))
    with sessions.read_session() as session:
        assert session.execute(select(Cycle.id).join(
            Appraisal, Appraisal.cycle_id == Cycle.id, isouter=True)
            .where(Cycle.organisation_id != board.organisation_id)).first() is None
    with sessions.write_session() as session:
        (opened,) = open_cycles(session=session, actor=_actor(OTHER_COSEC), year="2025/26",
                                organisation_codes=["RX2"], dates=resolve_dates("2025/26"),
                                today=date(2025, 12, 1))
    assert opened.created == 2  # RX2's chair and chief executive


def test_importing_rows_of_an_organisation_one_does_not_administer_is_refused(
        board: Board) -> None:
    seed_second_board()
    before = _appointments()
    with pytest.raises(ValidationFailed) as raised, sessions.write_session() as session:
        import_people(session=session, actor=_actor(OTHER_COSEC), csv_text=HEADER
                      + "RX2,Ned Two,ned@rx2.nhs.uk,non-executive-director,2025-04-01,,no\n"
                      + "RX1,Sly Ceo,sly@rx1.nhs.uk,executive-director,2025-04-01,,no\n")
    assert raised.value.problems == ["line 3: you do not administer RX1"]
    assert _appointments() == before


def test_only_the_chair_or_the_operator_appoints_to_a_role_that_appraises(
        board: Board) -> None:
    """Otherwise a company secretary could import a second chief executive of her own and
    hand an executive director's appraisal to them."""
    before = _appointments()
    rows = (HEADER + "RX1,Fake Ceo,fake.ceo@elsewhere.example,chief-executive,2025-04-01,,no\n"
            + "RX1,Fake Sid,fake.sid@elsewhere.example,senior-independent-director,"
              "2025-04-01,,no\n")
    with pytest.raises(ValidationFailed) as raised, sessions.write_session() as session:
        import_people(session=session, actor=board.actor("cosec@rx1.nhs.uk"), csv_text=rows)
    assert raised.value.problems == [
        "line 2: only the chair or the operator appoints a chief executive",
        "line 3: only the chair or the operator appoints a senior independent director"]
    assert _appointments() == before
    with sessions.write_session() as session:
        result = import_people(session=session, actor=board.actor("cosec@rx1.nhs.uk"),
                               csv_text=HEADER + "RX1,New Exec,new.exec@rx1.nhs.uk,"
                                                 "executive-director,2025-04-01,,no\n")
    assert result.appointments_added == 1
    with sessions.write_session() as session:
        result = import_people(session=session, actor=board.actor("chair@rx1.nhs.uk"),
                               csv_text=rows)
    assert result.appointments_added == 2


def test_a_grant_administers_that_organisation_until_revoked(board: Board) -> None:
    second = seed_second_board()
    ned = board.actor("ned1@rx1.nhs.uk")
    _grant("ned1@rx1.nhs.uk", organisation_code="rx2")
    with sessions.read_session() as session:
        assert administered_organisation_ids(session, ned) == {second}
        assert not is_org_administrator(session, ned, board.organisation_id)
    with sessions.write_session() as session:
        assert revoke_administration(session=session, actor=Actor.operator(),
                                     email="ned1@rx1.nhs.uk", organisation_code="RX2")
        assert not revoke_administration(session=session, actor=Actor.operator(),
                                         email="ned1@rx1.nhs.uk", organisation_code="RX2")
    with sessions.read_session() as session:
        assert administered_organisation_ids(session, ned) == set()
        assert [(g.scope, g.revoked_at is not None) for g in
                administration_grants(session, include_revoked=True)] == [("RX2", True)]
        events = session.execute(select(AuditEvent.action, AuditEvent.organisation_id,
                                        AuditEvent.details).where(
            AuditEvent.subject_id == "ned1@rx1.nhs.uk",
            AuditEvent.action.like("administration_%")).order_by(AuditEvent.id)).all()  # type: ignore[attr-defined]
    assert [tuple(e) for e in events] == [
        ("administration_granted", second, {"scope": "RX2"}),
        ("administration_revoked", second, {"scope": "RX2"})]


def test_only_the_operator_grants(board: Board) -> None:
    for who in ("chair@rx1.nhs.uk", "cosec@rx1.nhs.uk"):
        with pytest.raises(NotAllowed, match="Only the operator"), \
                sessions.write_session() as session:
            grant_administration(session=session, actor=board.actor(who),
                                 email="ned1@rx1.nhs.uk", national=True)
    with pytest.raises(ValidationFailed, match="not both"), sessions.write_session() as session:
        grant_administration(session=session, actor=Actor.operator(),
                             email="ned1@rx1.nhs.uk", organisation_code="RX1", national=True)
    with sessions.read_session() as session:
        assert session.execute(select(func.count()).select_from(
            AdministrationGrant)).scalar_one() == 0


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migration_0004_makes_the_old_admins_national_administrators(
        kind: str, home: object, request: pytest.FixtureRequest,
        monkeypatch: pytest.MonkeyPatch) -> None:
    if kind == "postgres":
        monkeypatch.setenv("APPRAISAL_DATABASE_URL", request.getfixturevalue("postgres_url"))
        config.settings.cache_clear()
        engines.reset_engines()
    engine = engines.engine()
    alembic = alembic_config()
    with engine.begin() as connection:
        alembic.attributes["connection"] = connection
        command.upgrade(alembic, "0003")
        connection.execute(text(
            "INSERT INTO person (id, name, email, is_admin) VALUES "
            "(1, 'Old Admin', 'old.admin@nhs.example', TRUE), "
            "(2, 'Plain Person', 'plain@nhs.example', FALSE)"))
        # Rows that refer to the people: the column is dropped without copying the table.
        connection.execute(text(
            "INSERT INTO organisation (id, code, name, type) VALUES (1, 'RX1', 'R', 'nhs-trust')"))
        connection.execute(text(
            "INSERT INTO appointment (person_id, organisation_id, role, start_date, interim, "
            "voting) VALUES (2, 1, 'chair', '2021-04-01', FALSE, TRUE)"))
    with engine.begin() as connection:
        alembic.attributes["connection"] = connection
        command.upgrade(alembic, "head")
    with sessions.read_session() as session:
        grants = administration_grants(session)
        assert [(g.email, g.scope) for g in grants] == [("old.admin@nhs.example", "national")]
        assert is_national_administrator(session, _actor("old.admin@nhs.example"))
        assert not is_org_administrator(session, _actor("old.admin@nhs.example"), 1)
        assert is_org_administrator(session, _actor("plain@nhs.example"), 1)
    with engine.begin() as connection:
        alembic.attributes["connection"] = connection
        command.downgrade(alembic, "0003")
        assert connection.execute(text(
            "SELECT email FROM person WHERE is_admin")).scalars().all() == [
                "old.admin@nhs.example"]
