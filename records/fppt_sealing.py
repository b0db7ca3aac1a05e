"""Making the FPPT's sealed documents from the store: read, render and seal outside any
write, then keep them through the FPPT services in one short transaction (which checks
again that nothing changed the outcome: who may sign, what is complete)."""

from __future__ import annotations

from datetime import datetime

from appraisal_store.actors import Actor
from appraisal_store.errors import NotFound
from appraisal_store.exports import xlsx_bytes
from appraisal_store.fppt_exports import submission_sheet
from appraisal_store.fppt_queries import board_year
from appraisal_store.fppt_tables import BoardMemberReference, FPPTSubmission
from appraisal_store.models import Appointment, Organisation, Person
from appraisal_store.services.fppt_references import (
    check_may_sign_reference,
    reference_gaps,
    sections_of,
    sees_reference,
    sign_reference,
)
from appraisal_store.services.fppt_submissions import (
    check_may_submit,
    leavers_in_year,
    record_submission,
)
from appraisal_store.sessions import read_session, write_session
from appraisal_store.vocabulary import BoardRole
from records.configured_seal import deployment_seal
from records.fppt_documents import Signer, reference_pdf, seal_document, submission_pdf
from records.seal import Seal


def make_submission(*, actor: Actor, organisation_id: int, year: str, declaration: str,
                    now: datetime, seal: Seal | None = None) -> FPPTSubmission:
    """Render, seal and keep the chair's annual submission (PDF and XLSX).

    Raises:
        NotAllowed, InvalidTransition, ValidationFailed: as the submission service.
    """
    today = now.date()
    with read_session() as session:
        check_may_submit(session, actor, organisation_id, year, today)
        organisation = session.get(Organisation, organisation_id)
        chair = session.get(Person, actor.person_id) if actor.person_id else None
        if organisation is None or chair is None:
            raise NotFound(f"There is no organisation {organisation_id}.")
        sheet = submission_sheet(board_year(session, organisation_id, year),
                                 leavers_in_year(session, organisation_id, year))
        signer = Signer(chair.name, BoardRole.CHAIR.label, now)
        pdf = submission_pdf(organisation=organisation.name, region=organisation.region or "",
                             year=year, declaration=declaration, sheet=sheet, chair=signer)
    sealed = seal_document(pdf, field_name="Chair", signer=signer,
                           seal=seal or deployment_seal())
    with write_session() as session:
        return record_submission(session=session, actor=actor,
                                 organisation_id=organisation_id, year=year,
                                 declaration=declaration, pdf=sealed,
                                 xlsx=xlsx_bytes([sheet]), today=today)


def make_reference(*, actor: Actor, reference_id: int, now: datetime,
                   seal: Seal | None = None) -> BoardMemberReference:
    """Render, seal and keep the leaver's Board Member Reference, signed by the chair.

    Raises:
        NotFound, NotAllowed, ValidationFailed: as the reference service.
    """
    from appraisal_store.errors import ValidationFailed

    with read_session() as session:
        reference = session.get(BoardMemberReference, reference_id)
        if reference is None or not sees_reference(session, actor, reference):
            raise NotFound(f"There is no board member reference {reference_id} that you "
                           "can see.")
        check_may_sign_reference(session, actor, reference, now.date())
        gaps = reference_gaps(reference)
        if gaps:
            raise ValidationFailed("The reference cannot be signed yet.", gaps)
        organisation = session.get(Organisation, reference.organisation_id)
        person = session.get(Person, reference.person_id)
        appointment = session.get(Appointment, reference.appointment_id)
        signer_person = session.get(Person, actor.person_id) if actor.person_id else None
        assert organisation and person and appointment and signer_person
        sections = []
        for section in sections_of(reference):
            given = reference.answers.get(section.id) or {}
            answer = given.get("text", "")
            if given.get("answer") is not None:
                answer = ("Yes. " if given["answer"] else "No. ") + answer
            sections.append((section.title, answer.strip()))
        role = (BoardRole.SENIOR_INDEPENDENT_DIRECTOR if appointment.role is BoardRole.CHAIR
                else BoardRole.CHAIR)
        signer = Signer(signer_person.name, role.label, now)
        pdf = reference_pdf(organisation=organisation.name, person=person.name,
                            role=appointment.role.label, left_on=reference.left_on,
                            reason=reference.leaving_reason, sections=sections, chair=signer)
    sealed = seal_document(pdf, field_name="Chair", signer=signer,
                           seal=seal or deployment_seal())
    with write_session() as session:
        return sign_reference(session=session, actor=actor, reference_id=reference_id,
                              pdf=sealed, now=now)
