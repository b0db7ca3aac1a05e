"""The tables of the record. Every write goes through ``appraisal_store.services`` (see
appraisal_store/README.md; tests/test_one_writer.py holds every module outside the store
to it).

Kept in one module: these tables point at one another by foreign key and are read as one
schema (by Alembic's autogenerate and by a reader learning the record); a new family of
tables goes in a module of its own, registered by one import at the bottom.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from competencies.scale import ScaleLabel

from .clock import utcnow
from .sql_types import EnumText, UTCDateTime
from .vocabulary import (
    AppraisalState,
    BoardRole,
    FPPTStatus,
    ObjectiveKind,
    ObjectiveOutcome,
    OrgType,
    RecordStage,
    ReflectionAuthor,
    SignatureRole,
)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _when() -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=200)
    type: OrgType = Field(sa_type=EnumText(OrgType), nullable=False)
    region: str | None = Field(default=None, max_length=100)


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320, unique=True, index=True)
    staff_number: str | None = Field(default=None, max_length=40)
    # A registered doctor, nurse or other regulated professional: the FPPT's checks of the
    # professional register apply to them. A fact of the person, not of a role: their
    # registration is the same on every board they sit on.
    clinically_registered: bool = Field(default=False, sa_column_kwargs={
        "server_default": "0"})


class Appointment(SQLModel, table=True):
    __table_args__ = (Index("ix_appointment_org_role", "organisation_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    role: BoardRole = Field(sa_type=EnumText(BoardRole), nullable=False)
    start_date: date
    end_date: date | None = None
    interim: bool = False
    voting: bool = True


class FrameworkVersion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("framework_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    framework_id: str = Field(max_length=60)
    version: str = Field(max_length=60)
    name: str = Field(max_length=300)
    content_hash: str = Field(max_length=64, index=True)
    content: dict[str, Any] = Field(sa_type=JSON)
    imported_at: datetime = _created()


class Cycle(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("organisation_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    year: str = Field(max_length=7, index=True)
    starts_on: date
    ends_on: date
    self_assessment_due: date
    review_due: date
    sign_off_due: date
    opened_at: datetime = _created()
    closed_at: datetime | None = _when()


class Appraisal(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("cycle_id", "appointment_id"),
        Index("ix_appraisal_appraiser_state", "appraiser_id", "state"),
        Index("ix_appraisal_org_state", "organisation_id", "state"),
        Index("ix_appraisal_cycle_state", "cycle_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id")
    appointment_id: int = Field(foreign_key="appointment.id")
    organisation_id: int = Field(foreign_key="organisation.id")
    appraisee_id: int = Field(foreign_key="person.id", index=True)
    appraiser_id: int | None = Field(default=None, foreign_key="person.id")
    routing_basis: str = Field(default="", max_length=300)
    routing_override_reason: str | None = Field(default=None, sa_type=Text)
    framework_version_id: int = Field(foreign_key="frameworkversion.id")
    state: AppraisalState = Field(sa_type=EnumText(AppraisalState), nullable=False)
    revision: int = 1
    record_version: int = 1
    self_assessment_due: date
    review_due: date
    sign_off_due: date
    nhse_due: date | None = None
    meeting_date: date | None = None
    return_reason: str | None = Field(default=None, sa_type=Text)
    closure_reason: str | None = Field(default=None, sa_type=Text)
    msf_summary: str = Field(default="", sa_type=Text)
    appraisee_comments: str = Field(default="", sa_type=Text)
    appraiser_comments: str = Field(default="", sa_type=Text)
    disagreement: str = Field(default="", sa_type=Text)
    created_at: datetime = _created()
    updated_at: datetime = _created()
    submitted_at: datetime | None = _when()
    agreed_at: datetime | None = _when()
    completed_at: datetime | None = _when()
    overdue_since: date | None = None


class AppraisalMeeting(SQLModel, table=True):
    """The appraisal meeting: one calendar event, one UID for good, however often it moves.

    ``starts_at`` is the wall-clock time in Europe/London (no zone stored): the time both
    people agreed is what must stay fixed, whatever the offset from UTC on the day.
    ``sequence`` is the iCalendar SEQUENCE, raised on every change. A cancelled meeting
    stays cancelled; scheduling again makes a new meeting with a new UID.
    """

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True)
    uid: str = Field(max_length=120, unique=True)
    organiser_id: int = Field(foreign_key="person.id")
    starts_at: datetime = Field(sa_type=DateTime(timezone=False), nullable=False)
    duration_minutes: int
    place: str = Field(sa_type=Text)
    sequence: int = 0
    created_at: datetime = _created()
    updated_at: datetime = _created()
    cancelled_at: datetime | None = _when()


class AppraisalRevision(SQLModel, table=True):
    """One submitted revision: kept readable after a return for changes."""

    __table_args__ = (UniqueConstraint("appraisal_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id")
    revision: int
    submitted_at: datetime = _created()
    returned_at: datetime | None = _when()
    return_reason: str | None = Field(default=None, sa_type=Text)


class Rating(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("appraisal_id", "revision", "statement_id"),)

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id")
    revision: int
    statement_id: str = Field(max_length=40)
    value: ScaleLabel = Field(sa_type=EnumText(ScaleLabel), nullable=False)


class DomainReflection(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("appraisal_id", "revision", "domain_id", "author"),)

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id")
    revision: int
    domain_id: str = Field(max_length=40)
    author: ReflectionAuthor = Field(sa_type=EnumText(ReflectionAuthor), nullable=False)
    text: str = Field(default="", sa_type=Text)
    view: ScaleLabel | None = Field(default=None, sa_type=EnumText(ScaleLabel))


class Objective(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True)
    position: int = 0
    kind: ObjectiveKind = Field(sa_type=EnumText(ObjectiveKind), nullable=False)
    text: str = Field(sa_type=Text)
    measure: str = Field(default="", sa_type=Text)
    target_date: date | None = None
    # The organisational priority the objective serves (free text: each board names its own).
    priority: str = Field(default="", sa_type=Text)


class ObjectiveReview(SQLModel, table=True):
    """Last year's objective, reviewed in this year's appraisal."""

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True)
    previous_objective_id: int | None = Field(default=None, foreign_key="objective.id")
    text: str = Field(sa_type=Text)
    outcome: ObjectiveOutcome = Field(sa_type=EnumText(ObjectiveOutcome), nullable=False)
    comment: str = Field(default="", sa_type=Text)


class DevelopmentAction(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True)
    position: int = 0
    domain_id: str | None = Field(default=None, max_length=40)
    need: str = Field(sa_type=Text)
    action: str = Field(sa_type=Text)
    support: str = Field(default="", sa_type=Text)
    timescale: str = Field(default="", max_length=200)


class FPPTAttestation(SQLModel, table=True):
    """The appraiser's confirmation of the last FPPT assessment, for an appraisal whose
    FPPT year is not signed off (once it is, the year's outcome stands instead)."""

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", unique=True)
    # The director's one-checkbox declaration of appraisals made before the FPPT year
    # (migration 0013): kept as their record, no longer written (the self-attestation is
    # the FPPT year's check, ``services.fppt.attest``).
    self_attested_at: datetime | None = _when()
    self_declaration: str = Field(default="", sa_type=Text)
    last_assessed_on: date | None = None
    status: FPPTStatus | None = Field(default=None, sa_type=EnumText(FPPTStatus))
    notes: str = Field(default="", sa_type=Text)
    confirmed_by_id: int | None = Field(default=None, foreign_key="person.id")
    confirmed_at: datetime | None = _when()


class Signature(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("appraisal_id", "record_version", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True)
    record_version: int = 1
    role: SignatureRole = Field(sa_type=EnumText(SignatureRole), nullable=False)
    signer_id: int = Field(foreign_key="person.id")
    signed_at: datetime = _created()


class Record(SQLModel, table=True):
    """The PDF of an appraisal: bytes and SHA-256, versioned; a correction adds a version."""

    __table_args__ = (UniqueConstraint("appraisal_id", "version", "stage"),)

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True)
    version: int = 1
    stage: RecordStage = Field(sa_type=EnumText(RecordStage), nullable=False)
    pdf: bytes = Field(sa_type=LargeBinary)
    sha256: str = Field(max_length=64, index=True)
    reason: str = Field(default="", sa_type=Text)
    created_at: datetime = _created()
    # The audit chain's head when the record was made, also inside its signed bytes
    # (``audit verify`` checks the chain still passes through it); none before 0006.
    audit_anchor_event: int | None = Field(default=None)
    audit_anchor_hash: str | None = Field(default=None, max_length=64)


class OutboxMessage(SQLModel, table=True):
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    template: str = Field(max_length=80)
    recipient_email: str = Field(max_length=320)
    recipient_name: str = Field(max_length=200)
    appraisal_id: int | None = Field(default=None, foreign_key="appraisal.id", index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = _created()
    attempts: int = 0
    next_attempt_at: datetime | None = _when()
    last_error: str | None = Field(default=None, sa_type=Text)
    sent_at: datetime | None = _when()
    # Set when the mail server refused the message for good (a 5xx); ``last_error`` then
    # holds its answer, and the message is never tried again.
    failed_at: datetime | None = _when()


class AuditEvent(SQLModel, table=True):
    """One event in the hash chain: ``hash`` covers the event and the previous event's hash."""

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = _created()
    actor_id: int | None = Field(default=None)
    actor_label: str = Field(max_length=200)
    action: str = Field(max_length=80)
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=80)
    organisation_id: int | None = Field(default=None, index=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """A single row locked by every audit write, so the chain never forks under concurrency."""

    id: int = Field(default=1, primary_key=True)
    last_event_id: int = 0
    last_hash: str = Field(max_length=64)  # created by ``audit.start_chain`` only


class ContentDelegation(SQLModel, table=True):
    """The chair lets the company secretary see appraisal content for one organisation."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    delegate_id: int = Field(foreign_key="person.id")
    granted_by_id: int = Field(foreign_key="person.id")
    granted_at: datetime = _created()
    revoked_at: datetime | None = _when()


class AdministrationGrant(SQLModel, table=True):
    """Administration of one organisation, or the national (status only) view, granted to a
    person by the operator. The chair and company secretary administer their own
    organisation without a grant."""

    __table_args__ = (
        CheckConstraint("(national AND organisation_id IS NULL) OR "
                        "(NOT national AND organisation_id IS NOT NULL)",
                        name="ck_administrationgrant_scope"),
        Index("ix_administrationgrant_person", "person_id", "revoked_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    national: bool = False
    granted_by: str = Field(max_length=200)
    granted_at: datetime = _created()
    revoked_at: datetime | None = _when()


class ExternalAppraiser(SQLModel, table=True):
    """Someone outside the board's routing whom the organisation has registered to appraise
    the listed roles (NHS England's regional director for the chair, a partner's deputy
    chair), with the reason."""

    __table_args__ = (Index("ix_externalappraiser_org", "organisation_id", "revoked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    person_id: int = Field(foreign_key="person.id")
    roles: list[str] = Field(default_factory=list, sa_type=JSON)
    reason: str = Field(sa_type=Text)
    registered_by: str = Field(max_length=200)
    registered_at: datetime = _created()
    revoked_at: datetime | None = _when()


class SignInToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    email: str = Field(max_length=320, index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    client: str = Field(default="", max_length=100, index=True)
    created_at: datetime = _created()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = _when()


class ParkedForm(SQLModel, table=True):
    """A form posted after its session ended, kept until its author signs in again.

    Only the fields the person typed are kept (never the CSRF token), for the person whose
    session posted it and for the page it was posted to; it expires with ``expires_at``.
    """

    __table_args__ = (Index("ix_parkedform_person_path", "person_id", "path"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    path: str = Field(max_length=300)
    fields: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = _created()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


class PortalSession(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    session_hash: str = Field(max_length=64, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = _created()
    last_seen_at: datetime = _created()
    ended_at: datetime | None = _when()


class StoredReport(SQLModel, table=True):
    """A close-of-cycle report kept in the store, so that any machine can hand it out.

    Per organisation (``organisation_id``) or for all of them (None: the NHS England
    submission list); a re-run of the close replaces the file of the same name.
    """

    __table_args__ = (UniqueConstraint("year", "filename"),)

    id: int | None = Field(default=None, primary_key=True)
    year: str = Field(max_length=7, index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id",
                                        index=True)
    kind: str = Field(max_length=40)
    filename: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    content: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = _created()
from . import feedback_tables  # noqa: E402,F401  (multi-source feedback's tables)
from . import fppt_tables as _fppt_tables  # noqa: E402,F401  (registers the FPPT tables)
from . import nhse_tables as nhse_tables  # noqa: E402,F401 - issue 21's tables
