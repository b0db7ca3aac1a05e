"""The shared step of every appraisal write: load, check, change, audit, notify."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from ..actors import Actor
from ..audit import record_event
from ..lifecycle import Party, check_edit, check_transition
from ..models import Appointment, Appraisal, Cycle, Organisation, Person
from ..outbox import QueuedMessage, queue_messages
from ..types import utcnow
from ..vocabulary import BoardRole
from .access import get_appraisal


@dataclass(frozen=True)
class AppraisalContext:
    """Names an email or a page needs about one appraisal."""

    appraisal_id: int
    organisation: str
    organisation_code: str
    year: str
    appraisee_name: str
    appraisee_email: str
    appraiser_name: str | None
    appraiser_email: str | None

    def payload(self, **extra: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "organisation": self.organisation, "year": self.year,
            "appraisee_name": self.appraisee_name, "appraiser_name": self.appraiser_name,
        }
        data.update({k: (v.isoformat() if hasattr(v, "isoformat") else v)
                     for k, v in extra.items()})
        return data


def context_of(session: Session, appraisal: Appraisal) -> AppraisalContext:
    organisation = session.get(Organisation, appraisal.organisation_id)
    cycle = session.get(Cycle, appraisal.cycle_id)
    appraisee = session.get(Person, appraisal.appraisee_id)
    appraiser = session.get(Person, appraisal.appraiser_id) if appraisal.appraiser_id else None
    assert organisation and cycle and appraisee
    return AppraisalContext(
        appraisal.id or 0, organisation.name, organisation.code, cycle.year,
        appraisee.name, appraisee.email,
        appraiser.name if appraiser else None, appraiser.email if appraiser else None,
    )


def begin(session: Session, actor: Actor, appraisal_id: int) -> tuple[Appraisal, set[Party]]:
    """Load the appraisal for a change, locked against concurrent writers."""
    return get_appraisal(session, actor, appraisal_id, for_update=True)


def transition(session: Session, actor: Actor, appraisal: Appraisal, parties: set[Party],
               action: str, *, details: dict[str, Any] | None = None,
               messages: Sequence[QueuedMessage] = ()) -> None:
    """Move the appraisal by ``action``, audit it and queue its messages, in one transaction."""
    step = check_transition(action, appraisal.state, parties)
    before = appraisal.state
    appraisal.state = step.target
    appraisal.updated_at = utcnow()
    appraisal.overdue_since = None  # overdue is judged afresh against the next deadline
    session.add(appraisal)
    session.flush()
    record_event(session, actor, action, subject_type="appraisal", subject_id=appraisal.id or 0,
                 organisation_id=appraisal.organisation_id,
                 details={"from": before.value, "to": step.target.value, **(details or {})})
    queue_messages(session, messages)


def edit(session: Session, actor: Actor, appraisal: Appraisal, parties: set[Party], kind: str,
         *, details: dict[str, Any] | None = None) -> None:
    """Check and audit a content change that leaves the state alone."""
    check_edit(kind, appraisal.state, parties)
    appraisal.updated_at = utcnow()
    session.add(appraisal)
    record_event(session, actor, kind, subject_type="appraisal", subject_id=appraisal.id or 0,
                 organisation_id=appraisal.organisation_id, details=details or {})


def company_secretaries(session: Session, organisation_id: int) -> list[Person]:
    """The organisation's company secretaries in post (they hear of finished records)."""
    return list(session.execute(
        select(Person).join(Appointment, Appointment.person_id == Person.id).where(
            Appointment.organisation_id == organisation_id,
            Appointment.role == BoardRole.COMPANY_SECRETARY,
            Appointment.end_date.is_(None),  # type: ignore[union-attr]
        )
    ).scalars())
