"""A second organisation with a board of its own, and a national administrator on no
board: the people the first board's records must stay hidden from."""

from __future__ import annotations

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.models import Person
from appraisal_store.services.organisations import add_organisation
from appraisal_store.services.people import import_people

SECOND_BOARD = """org_code,name,email,role,start_date,end_date,interim
RX2,Olu Bankole,chair@rx2.nhs.uk,chair,2021-04-01,,no
RX2,Hana Novak,ceo@rx2.nhs.uk,chief-executive,2020-09-01,,no
RX2,Ian Moss,cosec@rx2.nhs.uk,company-secretary,2019-01-01,,no
"""
NATIONAL = "regional@england.nhs.uk"


def seed_second_board() -> int:
    """Add RX2 and its board, and the person ``NATIONAL`` (not yet granted anything);
    returns RX2's id."""
    operator = Actor.operator()
    with sessions.write_session() as session:
        second = add_organisation(session=session, actor=operator, code="RX2",
                                  name="Hillside Community NHS Trust", org_type="nhs-trust")
        import_people(session=session, actor=operator, csv_text=SECOND_BOARD)
        session.add(Person(name="Rhona Regional", email=NATIONAL))
        return second.id or 0
