"""Bring a seeded board's NHS England appraisal to a sealed, complete record, with the
regional director registered as its endorser."""

from __future__ import annotations

from appraisal_store import sessions
from appraisal_store.actors import Actor
from appraisal_store.services.contributors import register_contributor
from records.configured_seal import ensure_deployment_seal
from records.record_sealing import seal_appraisal
from tests.conftest import Board
from tests.records.appraisals import complete

REGIONAL = "rd.northwest@england.nhs.uk"
DELEGATE = "delegate.northwest@england.nhs.uk"


def register_regional_director(code: str = "RX1", email: str = REGIONAL,
                               part: str = "regional-director",
                               name: str = "Dr Amara Osei") -> None:
    with sessions.write_session() as session:
        register_contributor(session=session, actor=Actor.operator(), organisation_code=code,
                             email=email, name=name, part=part,
                             roles=["chair", "non-executive-director",
                                    "senior-independent-director"],
                             reason="NHS England's regional director for the North West")


def sealed_complete(board: Board, appraisee: str) -> int:
    """Agree, sign and seal the appraisee's appraisal; its id."""
    ensure_deployment_seal()
    appraisal_id = complete(board, appraisee)
    seal_appraisal(appraisal_id)
    return appraisal_id


def people_id(board: Board, email: str) -> int:
    from sqlalchemy import select

    from appraisal_store.models import Person

    with sessions.read_session() as session:
        return session.execute(select(Person.id).where(Person.email == email)).scalar_one()
