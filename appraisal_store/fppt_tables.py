"""The tables of the fit and proper person test: the checklist versions, each board
member's FPPT year, the checks recorded (append only), the Board Member References and
the annual submissions. Written only through ``appraisal_store.services.fppt*``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from .clock import utcnow
from .fppt_vocabulary import CheckOutcome, FPPTOutcome, FPPTYearState, ReferenceState
from .sql_types import EnumText, UTCDateTime
from .vocabulary import BoardRole


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _when() -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


class FPPTChecklistVersion(SQLModel, table=True):
    """One imported checklist file; every FPPT year pins the version it was opened on."""

    __table_args__ = (UniqueConstraint("checklist_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    checklist_id: str = Field(max_length=60)
    version: str = Field(max_length=60)
    name: str = Field(max_length=300)
    working_list: bool = False
    content_hash: str = Field(max_length=64)
    content: dict[str, Any] = Field(sa_type=JSON)
    imported_at: datetime = _created()


class FPPTYear(SQLModel, table=True):
    """One board member's FPPT assessment for one organisation and year."""

    __table_args__ = (UniqueConstraint("organisation_id", "person_id", "year"),
                      Index("ix_fpptyear_org_year", "organisation_id", "year"))

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    appointment_id: int = Field(foreign_key="appointment.id")
    role: BoardRole = Field(sa_type=EnumText(BoardRole), nullable=False)
    year: str = Field(max_length=7)
    checklist_version_id: int = Field(foreign_key="fpptchecklistversion.id")
    state: FPPTYearState = Field(sa_type=EnumText(FPPTYearState), nullable=False)
    not_required_reason: str | None = Field(default=None, sa_type=Text)
    outcome: FPPTOutcome | None = Field(default=None, sa_type=EnumText(FPPTOutcome))
    sign_off_note: str = Field(default="", sa_type=Text)
    signed_off_by_id: int | None = Field(default=None, foreign_key="person.id")
    signed_off_at: datetime | None = _when()
    # The chair's recorded decision on a "not fit and proper" outcome, without which the
    # person's appraisal cannot be agreed.
    chair_decision: str | None = Field(default=None, sa_type=Text)
    chair_decision_by_id: int | None = Field(default=None, foreign_key="person.id")
    chair_decision_at: datetime | None = _when()
    opened_at: datetime = _created()


class FPPTCheckEntry(SQLModel, table=True):
    """A check recorded: never changed; a correction is a new entry naming the one it
    supersedes."""

    id: int | None = Field(default=None, primary_key=True)
    fppt_year_id: int = Field(foreign_key="fpptyear.id", index=True)
    check_id: str = Field(max_length=60)
    done_on: date
    outcome: CheckOutcome = Field(sa_type=EnumText(CheckOutcome), nullable=False)
    note: str = Field(default="", sa_type=Text)
    mitigation: str = Field(default="", sa_type=Text)
    evidence_reference: str = Field(default="", sa_type=Text)
    evidence_file_name: str | None = Field(default=None, max_length=200)
    evidence_file: bytes | None = Field(default=None, sa_type=LargeBinary)
    evidence_sha256: str | None = Field(default=None, max_length=64)
    # The self-attestation's answers: declaration id -> {"answer": bool, "details": str}.
    answers: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    recorded_by_id: int | None = Field(default=None, foreign_key="person.id")
    recorded_by_label: str = Field(max_length=200)
    supersedes_id: int | None = Field(default=None, foreign_key="fpptcheckentry.id")
    recorded_at: datetime = _created()


class BoardMemberReference(SQLModel, table=True):
    """The reference completed and kept for a board member who left, whatever the reason."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    appointment_id: int = Field(foreign_key="appointment.id", unique=True)
    left_on: date
    leaving_reason: str = Field(sa_type=Text)
    due_on: date
    state: ReferenceState = Field(sa_type=EnumText(ReferenceState), nullable=False)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    sections: list[Any] = Field(default_factory=list, sa_type=JSON)
    signed_by_id: int | None = Field(default=None, foreign_key="person.id")
    signed_at: datetime | None = _when()
    pdf: bytes | None = Field(default=None, sa_type=LargeBinary)
    sha256: str | None = Field(default=None, max_length=64)
    opened_at: datetime = _created()


class ReferenceReceived(SQLModel, table=True):
    """A reference a new appointment came with: from whom, when, covering which years."""

    id: int | None = Field(default=None, primary_key=True)
    appointment_id: int = Field(foreign_key="appointment.id", index=True)
    from_whom: str = Field(max_length=300)
    received_on: date
    covering: str = Field(max_length=200)
    recorded_by_label: str = Field(max_length=200)
    recorded_at: datetime = _created()


class FPPTSubmission(SQLModel, table=True):
    """The chair's annual FPPT submission to the NHS England regional director."""

    __table_args__ = (UniqueConstraint("organisation_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    year: str = Field(max_length=7)
    declaration: str = Field(sa_type=Text)
    submitted_by_id: int | None = Field(default=None, foreign_key="person.id")
    submitted_by_label: str = Field(max_length=200)
    submitted_on: date
    pdf: bytes = Field(sa_type=LargeBinary)
    sha256: str = Field(max_length=64)
    xlsx: bytes = Field(sa_type=LargeBinary)
    recorded_at: datetime = _created()
