"""The name rule: one line of printable text, checked at import, in forms and commands."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.errors import ValidationFailed
from appraisal_store.models import Appointment, AuditEvent, Organisation, Person
from appraisal_store.names import name_problem, printable_name
from appraisal_store.services.organisations import add_organisation
from appraisal_store.services.people import import_people

HEADER = "org_code,name,email,role,start_date,end_date,interim\n"
GOOD = "RX1,Ann Chair,ann@x.nhs.uk,chair,2024-04-01,,no\n"


@pytest.fixture(name="organisation")
def organisation_fixture(store: Engine, operator: Actor) -> None:
    with sessions.write_session() as session:
        add_organisation(session=session, actor=operator, code="RX1", name="One",
                         org_type="nhs-trust")


def _rows() -> tuple[int, int, int]:
    with sessions.read_session() as session:
        return tuple(session.execute(select(func.count()).select_from(table)).scalar_one()
                     for table in (Person, Appointment, AuditEvent))  # type: ignore[return-value]


def _import_problems(text: str) -> list[str]:
    before = _rows()
    with pytest.raises(ValidationFailed) as raised, sessions.write_session() as session:
        import_people(session=session, actor=Actor.operator(), csv_text=text)
    assert raised.value.summary.endswith("nothing was imported.")
    assert _rows() == before
    return raised.value.problems


@pytest.mark.parametrize(("name", "called"), [
    ('"Jane\r\nDoe"', "a carriage return (U+000D), a line feed (U+000A)"),
    ('"Jane\nDoe"', "a line feed (U+000A)"),
    ("Jane\tDoe", "a tab (U+0009)"),
    ("Jane\x00Doe", "a NUL (U+0000)"),
    ("Jane\x1bDoe", "a control character (U+001B)"),
    ("Jane\x85Doe", "a next-line character (U+0085)"),
    ("Jane\x9bDoe", "a control character (U+009B)"),
    ("Jane\u2028Doe", "a line separator (U+2028)"),
    ("Jane\u202eeoD", "a bidirectional text control (U+202E)"),
])
def test_a_name_with_a_control_character_is_refused_naming_its_line_and_field(
        organisation: None, name: str, called: str) -> None:
    text = HEADER + GOOD + f"RX1,{name},jane@x.nhs.uk,executive-director,2024-04-01,,no\n"
    assert _import_problems(text) == [
        f"line 3: the name contains {called}; a name must be one line of printable text"]


def test_a_carriage_return_outside_quotes_is_refused_with_its_line(organisation: None) -> None:
    text = HEADER + GOOD + "RX1,Jane\rDoe,jane@x.nhs.uk,executive-director,2024-04-01,,no\n"
    [problem] = _import_problems(text)
    assert problem.startswith("line 3: a field holds a carriage return (U+000D)")


def test_a_multi_line_row_is_named_by_the_line_it_starts_on(organisation: None) -> None:
    text = (HEADER + '"RX1","Ann\nChair",ann@x.nhs.uk,chair,2024-04-01,,no\n'
            "RX1,Bob,not-an-email,chief-executive,2024-04-01,,no\n")
    problems = _import_problems(text)
    assert problems[0].startswith("line 2: the name contains a line feed")
    assert problems[1].startswith("line 4: 'not-an-email' is not an email address")


def test_a_name_longer_than_its_column_is_refused(organisation: None) -> None:
    text = HEADER + f"RX1,{'A' * 201},ann@x.nhs.uk,chair,2024-04-01,,no\n"
    assert _import_problems(text) == [
        "line 2: the name is 201 characters long; at most 200 are kept"]


def test_names_of_every_script_with_commas_and_marks_are_accepted(organisation: None) -> None:
    names = ["Zoë Łukasiewicz", "Nguyễn Thị Hoa", "Doe, John", "Siân Ŵyn ap Gruffydd",
             "O'Brien-Smith", "\u05d3\u05d5\u05d3 \u200f\u05db\u05d4\u05df", "李小龍"]
    assert [name_problem(n) for n in names] == [None] * len(names)
    text = HEADER + "".join(
        f'RX1,"{n}",p{i}@x.nhs.uk,non-executive-director,2024-04-01,,no\n'
        for i, n in enumerate(names))
    with sessions.write_session() as session:
        import_people(session=session, actor=Actor.operator(), csv_text=text)
    with sessions.read_session() as session:
        assert sorted(session.execute(select(Person.name)).scalars()) == sorted(names)


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("name", "Riverside\r\nTrust", "The name contains a carriage return (U+000D), a line feed "
                                    "(U+000A); a name must be one line of printable text."),
    ("name", "R" * 201, "The name is 201 characters long; at most 200 are kept."),
    ("region", "North\tWest", "The region contains a tab (U+0009); a name must be one line "
                               "of printable text."),
])
def test_an_organisation_name_or_region_with_a_control_character_is_refused(
        store: Engine, operator: Actor, field: str, value: str, problem: str) -> None:
    given = {"name": "Riverside", "region": "North West", field: value}
    with pytest.raises(ValidationFailed) as raised, sessions.write_session() as session:
        add_organisation(session=session, actor=operator, code="RX9", org_type="nhs-trust",
                         **given)
    assert raised.value.problems == [problem]
    with sessions.read_session() as session:
        assert session.execute(select(func.count()).select_from(Organisation)).scalar_one() == 0


def test_printable_name_turns_refused_characters_into_single_spaces() -> None:
    assert printable_name("Ann\r\n\tLee\u202e") == "Ann Lee"
    assert printable_name("Zoë Łukasiewicz") == "Zoë Łukasiewicz"
