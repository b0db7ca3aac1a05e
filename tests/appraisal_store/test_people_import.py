"""CSV import: all or nothing, every bad row named with its line and reason."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.errors import NotAllowed, ValidationFailed
from appraisal_store.models import Appointment, Person
from appraisal_store.services.organisations import add_organisation
from appraisal_store.services.people import import_people

HEADER = "org_code,name,email,role,start_date,end_date,interim\n"


@pytest.fixture(name="orgs")
def orgs_fixture(store: Engine, operator: Actor) -> None:
    with sessions.write_session() as session:
        add_organisation(session=session, actor=operator, code="RX1", name="One",
                         org_type="nhs-trust")
        add_organisation(session=session, actor=operator, code="QX2", name="Two", org_type="icb")


def _import(text: str, actor: Actor | None = None):  # type: ignore[no-untyped-def]
    with sessions.write_session() as session:
        return import_people(session=session, actor=actor or Actor.operator(), csv_text=text)


def _counts() -> tuple[int, int]:
    with sessions.read_session() as session:
        return (session.execute(select(func.count()).select_from(Person)).scalar_one(),
                session.execute(select(func.count()).select_from(Appointment)).scalar_one())


def test_a_good_file_imports_and_a_second_import_adds_nothing(orgs: None) -> None:
    text = HEADER + ("RX1,Ann Chair,ann@x.nhs.uk,chair,2024-04-01,,no\n"
                     "RX1,Bob Ceo,bob@x.nhs.uk,chief-executive,01/04/2024,,yes\n"
                     "QX2,Ann Chair,ANN@x.nhs.uk,non-executive-director,2024-04-01,,no\n")
    first = _import(text)
    assert (first.people_added, first.appointments_added) == (2, 3)
    again = _import(text)
    assert (again.people_added, again.appointments_added, again.appointments_already_present) \
        == (0, 0, 3)
    assert _counts() == (2, 3)


def test_every_bad_row_is_reported_and_nothing_is_written(orgs: None) -> None:
    text = HEADER + (
        "RX1,Good Person,good@x.nhs.uk,executive-director,2024-04-01,,no\n"  # line 2: fine
        "ZZ9,Unknown Org,u@x.nhs.uk,chair,2024-04-01,,no\n"                   # line 3
        "RX1,Bad Email,not-an-email,chair,2024-04-01,,no\n"                   # line 4
        "RX1,Bad Role,r@x.nhs.uk,treasurer,2024-04-01,,no\n"                  # line 5
        "RX1,Bad Date,d@x.nhs.uk,executive-director,2024-13-01,,no\n"         # line 6
        "RX1,Backwards,b@x.nhs.uk,executive-director,2024-04-01,2023-01-01,no\n"  # line 7
        "RX1,Bad Interim,i@x.nhs.uk,executive-director,2024-04-01,,maybe\n"   # line 8
    )
    with pytest.raises(ValidationFailed) as raised:
        _import(text)
    problems = raised.value.problems
    assert [p.split(":")[0] for p in problems] == [f"line {n}" for n in range(3, 9)]
    assert "unknown organisation 'ZZ9'" in problems[0]
    assert "'not-an-email' is not an email address" in problems[1]
    assert "unknown role 'treasurer'" in problems[2]
    assert "'2024-13-01' is not a date" in problems[3]
    assert "before the start date" in problems[4]
    assert "interim must be yes or no" in problems[5]
    assert _counts() == (0, 0)


def test_duplicates_and_a_second_chair_are_refused(orgs: None) -> None:
    text = HEADER + (
        "RX1,Ann Chair,ann@x.nhs.uk,chair,2024-04-01,,no\n"
        "RX1,Ann Chair,ann@x.nhs.uk,chair,2024-04-01,,no\n"
        "RX1,Other Chair,other@x.nhs.uk,chair,2025-01-01,,no\n"
        "RX1,Someone Else,ann@x.nhs.uk,executive-director,2024-04-01,,no\n"
    )
    with pytest.raises(ValidationFailed) as raised:
        _import(text)
    joined = "\n".join(raised.value.problems)
    assert "line 3: duplicate of line 2" in joined
    assert "line 4: a second chair for RX1 over the same dates as line 2" in joined
    assert "line 5: the email ann@x.nhs.uk is used on line 2 for 'Ann Chair'" in joined
    assert _counts() == (0, 0)


def test_a_chair_already_on_record_blocks_an_overlapping_one(orgs: None) -> None:
    _import(HEADER + "RX1,Ann Chair,ann@x.nhs.uk,chair,2024-04-01,,no\n")
    with pytest.raises(ValidationFailed, match="already has a chair"):
        _import(HEADER + "RX1,New Chair,new@x.nhs.uk,chair,2025-04-01,,no\n")
    # A successor after the first chair's end date is fine.
    _import(HEADER + "QX2,Old,old@x.nhs.uk,chair,2020-01-01,2024-03-31,no\n"
            "QX2,Successor,succ@x.nhs.uk,chair,2024-04-01,,no\n")


def test_a_wrong_header_and_an_empty_file(orgs: None) -> None:
    with pytest.raises(ValidationFailed, match="line 1: the header lacks email"):
        _import("org_code,name,role,start_date,end_date,interim\n")
    with pytest.raises(ValidationFailed, match="the file is empty"):
        _import("")


def test_only_administrators_import(orgs: None) -> None:
    with pytest.raises(NotAllowed):
        _import(HEADER, Actor.person(1, "someone"))
