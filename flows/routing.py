"""After a person's action: tell the next person now, and seal what both have signed.

The portal or the command line calls ``route_appraisal(appraisal_id)`` after a service
call. The service already queued its message in the same transaction as the change
(submitted, returned, agreed, signed); this flow adds the meeting invitation when a
meeting date is set, seals the record once both have signed and tells the appraisee, the
appraiser and the company secretary, then sends that appraisal's messages at once.
Every step is keyed, so a repeat or a re-run after a crash changes nothing.
"""

from __future__ import annotations

import logging

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from appraisal_store.database import read_session, write_session
from appraisal_store.models import Appraisal, Cycle, Organisation, Person, Record
from appraisal_store.outbox import QueuedMessage, queue_messages
from appraisal_store.services.steps import company_secretaries
from appraisal_store.vocabulary import AppraisalState, RecordStage

from .outbox import DeliveryReport, send_outbox_batches
from .runtime import flow_settings

log = logging.getLogger(__name__)
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


def queue_record_complete(appraisal_ids: list[int] | None = None) -> int:
    """Tell appraisee, appraiser and company secretaries of every sealed, complete record.

    Set-based and keyed ``record_complete:{appraisal_id}:{version}:{email}``: it finds every
    complete appraisal whose current record version is sealed, so a crash between the seal
    and this step is made good by the next run.
    """
    finished = (AppraisalState.COMPLETE, AppraisalState.SUBMITTED_TO_NHSE)
    statement = _people(appraisal_ids, finished).join(Record, and_(
        Record.appraisal_id == Appraisal.id, Record.version == Appraisal.record_version,
        Record.stage == RecordStage.COMPLETE))
    messages: list[QueuedMessage] = []
    with write_session() as session:
        for appraisal, org, year, ee_name, ee_email, er_name, er_email in session.execute(
                statement):
            payload = {"organisation": org, "year": year, "appraisee_name": ee_name,
                       "appraiser_name": er_name, "due": appraisal.sign_off_due.isoformat(),
                       "nhse_due": appraisal.nhse_due.isoformat() if appraisal.nhse_due
                       else None}
            recipients = [(ee_name, ee_email), (er_name, er_email)] + [
                (p.name, p.email) for p in company_secretaries(session, appraisal.organisation_id)]
            for name, email in recipients:
                if email:
                    messages.append(QueuedMessage(
                        f"record_complete:{appraisal.id}:{appraisal.record_version}:{email}",
                        "record_complete", email, name, appraisal.id, payload))
        return queue_messages(session, messages)


def seal_pending(limit: int) -> list[int]:
    """Render and seal the records whose signatures have no sealed record yet.

    Delegates to ``records.archive.seal_pending_records`` (imported lazily: the records
    package owns rendering and sealing). Returns the appraisal ids sealed; [] when the
    records archive is not installed.
    """
    try:
        from records.archive import seal_pending_records
    except ModuleNotFoundError as error:
        if error.name not in ("records.archive", "records"):
            raise
        log.warning("records.archive is not available: no record was sealed")
        return []
    return list(seal_pending_records(limit=limit))


@task(name="seal-records", cache_policy=NO_CACHE, persist_result=False)
def seal_and_announce(limit: int) -> list[int]:
    """Seal what both parties signed, then queue the record-complete messages."""
    sealed = seal_pending(limit)
    queue_record_complete()
    return sealed


@task(name="queue-meeting-invitations", cache_policy=NO_CACHE, persist_result=False)
def invite_to_meeting(appraisal_id: int) -> int:
    return queue_meeting_invitations([appraisal_id])


@flow(name="route-appraisal", persist_result=False)
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
        seal_and_announce(50)
    return send_outbox_batches(appraisal_id=appraisal_id)


def run_route_appraisal(appraisal_id: int) -> DeliveryReport:
    """Plain entry point: ``route_appraisal`` with our Prefect settings."""
    with flow_settings():
        return route_appraisal(appraisal_id)
