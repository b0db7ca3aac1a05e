"""After a person's action: tell the next person now, and seal what both have signed.

The portal or the command line calls ``route_appraisal(appraisal_id)`` after a service
call. The service already queued its messages in the same transaction as the change
(submitted, returned, agreed, signed, and the meeting's invitations); this flow seals the
record once both have signed and tells the appraisee, the appraiser and the company
secretary, then sends that appraisal's messages at once.
Every step is keyed, so a repeat or a re-run after a crash changes nothing.
"""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from appraisal_store.models import Appraisal
from appraisal_store.sessions import read_session
from appraisal_store.vocabulary import AppraisalState
from records.record_sealing import seal_appraisal

from . import run_names
from .delivery import DeliveryReport
from .failures import fails_with_a_sentence
from .outbox import send_outbox_batches
from .prefect_settings import flow_settings


@task(name="seal-record", cache_policy=NO_CACHE, persist_result=False)
def seal_signed_record(appraisal_id: int) -> int:
    """Seal what this appraisal's signatures call for; returns how many records were stored.

    ``records.record_sealing`` queues the record-complete messages in the same transaction as the
    complete record, so nothing is left for a later pass.
    """
    return len(seal_appraisal(appraisal_id))


@flow(name="route-appraisal", flow_run_name=run_names.route_appraisal_run, persist_result=False)
@fails_with_a_sentence
def route_appraisal(appraisal_id: int) -> DeliveryReport:
    """Do what follows a person's action on one appraisal, then send its messages now.

    Idempotent: every message is keyed and a record is sealed once.
    """
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
