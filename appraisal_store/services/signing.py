"""Both parties sign the agreed record: the appraisee first, then the appraiser."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..clock import moment_of
from ..errors import InvalidTransition
from ..follow_ups import note_seal
from ..lifecycle import Party, check_transition
from ..links import Page, for_reader
from ..models import Appraisal, Signature
from ..outbox import QueuedMessage
from ..vocabulary import AppraisalState, SignatureRole
from .appraisal_changes import begin, context_of, transition


def sign(*, session: Session, actor: Actor, appraisal_id: int) -> Signature:
    """Sign the agreed appraisal as whichever party the actor is, in turn.

    The signature is recorded here and noted for sealing after the commit (the portal
    seals it at once; the ``seal_pending_records`` sweep finds any signature that still has
    no sealed record).

    Raises:
        NotAllowed / InvalidTransition: not the actor's turn to sign.
    """
    appraisal, parties = begin(session, actor, appraisal_id)
    context = context_of(session, appraisal)
    if appraisal.state is AppraisalState.AGREED and Party.APPRAISEE in parties:
        role, action = SignatureRole.APPRAISEE, "sign_as_appraisee"
        messages = []
        if context.appraiser_email:
            messages.append(QueuedMessage(
                f"appraisee_signed:{appraisal_id}:{appraisal.record_version}",
                "appraisee_signed", context.appraiser_email, context.appraiser_name or "",
                appraisal_id, context.payload(due=appraisal.sign_off_due)
                | for_reader(Page.REVIEW)))
    elif appraisal.state is AppraisalState.SIGNED_BY_APPRAISEE and Party.APPRAISER in parties:
        role, action, messages = SignatureRole.APPRAISER, "sign_as_appraiser", []
    elif Party.APPRAISER in parties and appraisal.state is AppraisalState.AGREED:
        raise InvalidTransition("The appraisee signs first; you can sign once they have.")
    else:
        # The lifecycle names the problem: the wrong person, or the wrong state.
        check_transition("sign_as_appraiser" if Party.APPRAISER in parties
                         else "sign_as_appraisee", appraisal.state, parties)
        raise InvalidTransition("It is not your turn to sign this appraisal.")
    signature = Signature(appraisal_id=appraisal_id, record_version=appraisal.record_version,
                          role=role, signer_id=actor.person_id or 0, signed_at=moment_of(session))
    transition(session, actor, appraisal, parties, action,
               details={"record_version": appraisal.record_version}, messages=messages)
    session.add(signature)
    if role is SignatureRole.APPRAISER:
        appraisal.completed_at = signature.signed_at
        session.add(appraisal)
    session.flush()
    note_seal(session, appraisal_id)
    return signature


def signatures_of(session: Session, appraisal: Appraisal) -> dict[SignatureRole, Signature]:
    """The signatures on the appraisal's current record version."""
    rows = session.execute(select(Signature).where(
        col(Signature.appraisal_id) == appraisal.id,
        col(Signature.record_version) == appraisal.record_version)).scalars()
    return {s.role: s for s in rows}
