"""The shared step of every appraisal write: load, check, change, audit, notify."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import record_event
from ..clock import moment_of
from ..lifecycle import Party, check_edit, check_transition
from ..models import Appraisal, Cycle, Organisation, Person
from ..outbox import QueuedMessage, queue_messages
from ..sessions import run_columns
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


def _context_statement() -> Select[Any]:
    appraisee, appraiser = aliased(Person), aliased(Person)
    return (select(col(Organisation.name), col(Organisation.code), col(Cycle.year),
                   col(appraisee.name), col(appraisee.email), col(appraiser.name),
                   col(appraiser.email))
            .select_from(Appraisal)
            .join(Organisation, col(Organisation.id) == Appraisal.organisation_id)
            .join(Cycle, col(Cycle.id) == Appraisal.cycle_id)
            .join(appraisee, col(appraisee.id) == col(Appraisal.appraisee_id))
            .outerjoin(appraiser, col(appraiser.id) == col(Appraisal.appraiser_id))
            .where(col(Appraisal.id) == bindparam("appraisal_id")))


# Built once: it runs on every change that sends a message and on every page of an appraisal.
_CONTEXT = _context_statement()


def context_of(session: Session, appraisal: Appraisal) -> AppraisalContext:
    """The organisation, year and both people of an appraisal, in one query."""
    row = run_columns(session, _CONTEXT, {"appraisal_id": appraisal.id}).one()
    return AppraisalContext(appraisal.id or 0, *row)


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
    appraisal.updated_at = moment_of(session)
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
    appraisal.updated_at = moment_of(session)
    session.add(appraisal)
    record_event(session, actor, kind, subject_type="appraisal", subject_id=appraisal.id or 0,
                 organisation_id=appraisal.organisation_id, details=details or {})
