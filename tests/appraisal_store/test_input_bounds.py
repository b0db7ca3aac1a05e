"""Input bounded before it reaches the database: every length a column's, NUL and other
control characters refused, each named with its field (and, in a file, its line), alike on
SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.errors import ValidationFailed
from appraisal_store.models import Appointment, AuditEvent, Organisation, Person
from appraisal_store.names import email_problem, shown, text_problem
from appraisal_store.services.organisations import add_organisation
from appraisal_store.services.people import import_people
from tests.appraisal_store.test_names import GOOD, HEADER, _import_problems
from tests.appraisal_store.test_names import organisation_fixture as organisation_fixture  # noqa: F401
from tests.conftest import Board


def test_a_nul_in_any_field_of_a_people_file_is_refused_with_its_line(
        organisation: None) -> None:
    text = HEADER + GOOD + (
        "RX1,Ann\x00Lee,a@x.nhs.uk,chair,2024-04-01,,no\n"          # line 3: the name
        "RX1,Bo Lee,b\x00@x.nhs.uk,chair,2024-04-01,,no\n"           # line 4: the email
        "RX1,Cy Lee,c@x.nhs.uk,chair\x00,2024-04-01,,no\n"           # line 5: the role
        "RX\x001,Di Lee,d@x.nhs.uk,chair,2024-04-01,,no\n")          # line 6: the code
    assert _import_problems(text) == [
        "line 3: the name contains a NUL (U+0000); a name must be one line of printable text",
        "line 4: the email contains a NUL (U+0000); an email address must be one line of "
        "printable text",
        "line 5: the role contains a NUL (U+0000); a field must be one line of printable text",
        "line 6: the org_code contains a NUL (U+0000); a field must be one line of printable "
        "text",
    ]


def test_over_long_names_and_emails_in_a_people_file_are_refused_with_their_line(
        organisation: None) -> None:
    long_email = "a" * 320 + "@x.nhs.uk"
    ned = "non-executive-director,2024-04-01,,no"
    text = HEADER + GOOD + (
        f"RX1,{'N' * 201},n@x.nhs.uk,{ned}\n"
        f"RX1,Em Lee,{long_email},{ned}\n"
        f"{'R' * 21},Co Lee,c@x.nhs.uk,{ned}\n")
    problems = _import_problems(text)
    assert problems == [
        "line 3: the name is 201 characters long; at most 200 are kept",
        f"line 4: the email is {len(long_email)} characters long; at most 320 are kept",
        "line 5: the org_code is 21 characters long; at most 20 are kept",
    ]


def test_a_field_past_the_csv_limit_is_named_with_its_line_and_not_quoted_back(
        organisation: None) -> None:
    text = HEADER + GOOD + f"RX1,{'x' * 2_000_000},b@x.nhs.uk,chair,2024-04-01,,no\n"
    [problem] = _import_problems(text)
    assert problem.startswith("line 3: a field is longer than 131072 characters")
    assert len(problem) < 200


def test_a_refused_value_is_quoted_back_short_and_printable() -> None:
    assert shown("not-an-email") == "not-an-email"
    assert shown("x\x00y\n" + "z" * 500) == "x y " + "z" * 55 + "…"
    assert email_problem("ann@x.nhs.uk") is None


def test_free_text_keeps_line_breaks_and_tabs_and_refuses_other_controls() -> None:
    assert text_problem("First point.\r\n\tSecond point.") is None
    assert text_problem("a\x00b\x1bc") == ("contains a NUL (U+0000), a control character "
                                           "(U+001B); only printable text, line breaks and "
                                           "tabs are kept")
    assert text_problem("x" * 20_001) == "is 20001 characters long; at most 20000 are kept"


def test_an_organisation_name_longer_than_its_column_is_refused_before_the_database(
        store: Engine, operator: Actor) -> None:
    with pytest.raises(ValidationFailed) as raised, sessions.write_session() as session:
        add_organisation(session=session, actor=operator, code="RX9", name="N" * 500,
                         org_type="nhs-trust")
    assert raised.value.problems == ["The name is 500 characters long; at most 200 are kept."]
    with pytest.raises(ValidationFailed) as raised, sessions.write_session() as session:
        add_organisation(session=session, actor=operator, code="R" * 500, name="Trust",
                         org_type="nhs-trust")
    [problem] = raised.value.problems
    assert problem.startswith("The code 'RRRR") and len(problem) < 150
    # A name at the bound is stored, on PostgreSQL too.
    with sessions.write_session() as session:
        add_organisation(session=session, actor=operator, code="RX9", name="N" * 200,
                         org_type="nhs-trust")
    with sessions.read_session() as session:
        assert session.execute(select(func.count()).select_from(Organisation)).scalar_one() == 1


def test_free_text_of_the_forms_is_refused_with_its_field_and_nothing_is_written(
        board: Board) -> None:
    from appraisal_store.services.administration import withdraw
    from appraisal_store.services.self_assessment import save_self_assessment

    appraisal = board.appraisals["finance@rx1.nhs.uk"]
    director = board.actor("finance@rx1.nhs.uk")
    with sessions.read_session() as session:
        events = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    with pytest.raises(ValidationFailed) as raised, sessions.write_session() as session:
        save_self_assessment(session=session, actor=director, appraisal_id=appraisal,
                             ratings={}, reflections={"d1": "Good\x00year"})
    assert raised.value.problems == [
        "The reflection on domain d1 contains a NUL (U+0000); only printable text, line "
        "breaks and tabs are kept."]
    with pytest.raises(ValidationFailed) as raised, sessions.write_session() as session:
        withdraw(session=session, actor=board.actor("cosec@rx1.nhs.uk"),
                 appraisal_id=appraisal, reason="x" * 20_001)
    assert raised.value.problems == [
        "the reason is 20001 characters long; at most 20000 are kept"]
    with sessions.read_session() as session:
        assert session.execute(select(func.count()).select_from(AuditEvent)
                               ).scalar_one() == events


def test_nothing_of_a_refused_file_is_written(organisation: None) -> None:
    with sessions.read_session() as session:
        before = session.execute(select(func.count()).select_from(Person)).scalar_one()
    with pytest.raises(ValidationFailed), sessions.write_session() as session:
        import_people(session=session, actor=Actor.operator(),
                      csv_text=HEADER + GOOD + "RX1,Bad\x00,b@x.nhs.uk,chair,2024-04-01,,no\n")
    with sessions.read_session() as session:
        assert session.execute(select(func.count()).select_from(Person)).scalar_one() == before
        assert session.execute(select(func.count()).select_from(Appointment)).scalar_one() == 0


def test_org_add_with_a_500_character_name_says_so_in_one_sentence(
        sqlite_store: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.commands.test_operator_commands import invoke

    code, out, err = invoke(capsys, "org", "add", "RX9", "--name", "N" * 500,
                            "--type", "nhs-trust")
    assert (code, out) == (1, "")
    assert err.splitlines() == ["Error: The organisation was not added.",
                                "  - The name is 500 characters long; at most 200 are kept."]


def test_an_external_appraisers_email_with_a_nul_is_refused_before_it_is_looked_up(
        board: Board, operator: Actor) -> None:
    from appraisal_store.services.appraisers import register_external_appraiser

    with pytest.raises(ValidationFailed) as raised, sessions.write_session() as session:
        register_external_appraiser(session=session, actor=operator, organisation_code="RX1",
                                    email="ext\x00@x.nhs.uk", roles=["chair"],
                                    reason="Independent chair appraiser", name="Ext Ernal")
    assert raised.value.problems == [
        "email: the email contains a NUL (U+0000); an email address must be one line of "
        "printable text"]


def test_people_import_of_a_file_with_a_2_mb_field_exits_1_with_its_line(
        organisation: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.commands.test_operator_commands import invoke

    board = tmp_path / "board.csv"
    board.write_text(HEADER + GOOD + f"RX1,{'x' * 2_000_000},b@x.nhs.uk,chair,2024-04-01,,no\n",
                     encoding="utf-8")
    code, out, err = invoke(capsys, "people", "import", str(board))
    assert (code, out) == (1, "")
    assert "line 3: a field is longer than 131072 characters" in " ".join(err.split())
    assert "Unexpected error" not in err and "Traceback" not in err
    assert len(err) < 2000  # the field is not quoted back
    with sessions.read_session() as session:
        assert session.execute(select(func.count()).select_from(Person)).scalar_one() == 0
