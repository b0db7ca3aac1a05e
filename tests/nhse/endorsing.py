"""Bring a seeded board's NHS England appraisal to a sealed, complete record, with the
regional director registered as its endorser."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

from appraisal_store import config, sessions
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


def emailed_link(key_prefix: str) -> str:
    """The portal link in the delivered email (an .eml in the outbox) whose idempotency key
    starts with ``key_prefix``, sent to the regional director."""
    for file in sorted(Path(config.settings().outbox_dir).glob("*.eml")):
        email = message_from_bytes(file.read_bytes(), policy=policy.default)
        if str(email["X-Appraisal-Key"]).startswith(key_prefix):
            assert email["To"].addresses[0].addr_spec == REGIONAL
            text = email.get_body(("plain",)).get_content()
            return next(w for w in text.split() if w.startswith(config.settings().base_url))
    raise AssertionError(f"no {key_prefix.rstrip(':')} email was delivered")
