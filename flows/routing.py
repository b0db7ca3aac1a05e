"""After a person's action: tell the next person now, and seal what both have signed.

The portal or the command line calls ``route_appraisal(appraisal_id)`` after a service
call. The service already queued its message in the same transaction as the change
(submitted, returned, agreed, signed); this flow adds the meeting invitation when a
meeting date is set, seals the record once both have signed and tells the appraisee, the
appraiser and the company secretary, then sends that appraisal's messages at once.
Every step is keyed, so a repeat or a re-run after a crash changes nothing.
"""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select
from sqlalchemy.orm import aliased

from appraisal_store.database import read_session, write_session
from appraisal_store.models import Appraisal, Cycle, Organisation, Person
from appraisal_store.outbox import QueuedMessage, queue_messages
from appraisal_store.vocabulary import AppraisalState
from records.archive import seal_appraisal

from . import run_names
from .outbox import DeliveryReport, send_outbox_batches
from .runtime import flow_settings

MEETING_STATES = (AppraisalState.SUBMITTED, AppraisalState.IN_REVIEW)


def _people(appraisal_ids: list[int] | None, states: tuple[AppraisalState, ...]):  # type: ignore[no-untyped-def]
    appraisee, appraiser = aliased(Person), aliased(Person)
    statement = (
        select(Appraisal, Organisation.name, Cycle.year, appraisee.name, appraisee.email,
               appraiser.name, appraiser.email)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .join(Organisation, Organisation.id == Appraisal.organisation_id)
        .join(appraisee, appraisee.id == Appraisal.appraisee_id)
        .outerjoin(appraiser, appraiser.id == Appraisal.appraiser_id)
        .where(Appraisal.state.in_(states))  # type: ignore[attr-defined]
    )
    if appraisal_ids is not None:
        statement = statement.where(Appraisal.id.in_(appraisal_ids))  # type: ignore[union-attr]
    return statement


def queue_meeting_invitations(appraisal_ids: list[int]) -> int:
    """Invite both parties to the appraisal meeting (.ics attached), once per meeting date."""
    messages: list[QueuedMessage] = []
    with write_session() as session:
        for appraisal, org, year, ee_name, ee_email, er_name, er_email in session.execute(
                _people(appraisal_ids, MEETING_STATES)):
            if appraisal.meeting_date is None:
                continue
            payload = {"organisation": org, "year": year, "appraisee_name": ee_name,
                       "appraiser_name": er_name, "due": appraisal.review_due.isoformat(),
                       "meeting_date": appraisal.meeting_date.isoformat()}
            prefix = f"meeting:{appraisal.id}:{appraisal.meeting_date.isoformat()}"
            for who, name, email in (("appraisee", ee_name, ee_email),
                                     ("appraiser", er_name, er_email)):
                if email:
                    messages.append(QueuedMessage(f"{prefix}:{who}", "meeting_invitation",
                                                  email, name, appraisal.id, payload))
        return queue_messages(session, messages)


@task(name="seal-record", cache_policy=NO_CACHE, persist_result=False)
def seal_signed_record(appraisal_id: int) -> int:
    """Seal what this appraisal's signatures call for; returns how many records were stored.

    ``records.archive`` queues the record-complete messages in the same transaction as the
    complete record, so nothing is left for a later pass.
    """
    return len(seal_appraisal(appraisal_id))


@task(name="queue-meeting-invitations", cache_policy=NO_CACHE, persist_result=False)
def invite_to_meeting(appraisal_id: int) -> int:
    return queue_meeting_invitations([appraisal_id])


@flow(name="route-appraisal", flow_run_name=run_names.route_appraisal_run, persist_result=False)
def route_appraisal(appraisal_id: int) -> DeliveryReport:
    """Do what follows a person's action on one appraisal, then send its messages now.

    Idempotent: every message is keyed and a record is sealed once.
    """
    invite_to_meeting(appraisal_id)
    with read_session() as session:
        appraisal = session.get(Appraisal, appraisal_id)
        # The appraisee's signature is sealed into the record as soon as it is given; the
        # appraiser's then goes on top as an incremental update.
        signed = appraisal is not None and appraisal.state in (
            AppraisalState.SIGNED_BY_APPRAISEE, AppraisalState.COMPLETE)
    if signed:
        seal_signed_record(appraisal_id)
    return send_outbox_batches(appraisal_id=appraisal_id)


def run_route_appraisal(appraisal_id: int) -> DeliveryReport:
    """Plain entry point: ``route_appraisal`` with our Prefect settings."""
    with flow_settings():
        return route_appraisal(appraisal_id)
