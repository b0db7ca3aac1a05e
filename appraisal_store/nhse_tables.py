"""The tables of the chair's appraisal routes, the NHS England hand-over and the year's
check-ins (issue 21). Every write goes through ``appraisal_store.services``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from .clock import utcnow
from .sql_types import UTCDateTime


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _when() -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


class ExternalContributor(SQLModel, table=True):
    """Someone outside the board whom the organisation registered to take part in the
    appraisals of the listed roles without conducting them: NHS England's regional director
    (gives input, endorses), their delegate (endorses), or the contact of a foundation
    trust's council of governors' nominations committee (receives the chair's outcome)."""

    __table_args__ = (Index("ix_externalcontributor_org", "organisation_id", "revoked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    person_id: int = Field(foreign_key="person.id")
    part: str = Field(max_length=40)
    roles: list[str] = Field(default_factory=list, sa_type=JSON)
    reason: str = Field(sa_type=Text)
    registered_by: str = Field(max_length=200)
    registered_at: datetime = _created()
    revoked_at: datetime | None = _when()


class RoutingOverride(SQLModel, table=True):
    """An organisation's routing policy laid over the shipped one (role -> fields), with
    the reason; the latest one not revoked is in force."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    policy: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    reason: str = Field(sa_type=Text)
    set_by: str = Field(max_length=200)
    set_at: datetime = _created()
    revoked_at: datetime | None = _when()


class Endorsement(SQLModel, table=True):
    """NHS England's regional director (or their delegate) endorsing one signed record
    version: the third signature on the record."""

    __table_args__ = (UniqueConstraint("appraisal_id", "record_version"),)

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True)
    record_version: int
    endorser_id: int = Field(foreign_key="person.id")
    # regional-director or endorsement-delegate: the standing they endorsed on.
    standing: str = Field(max_length=40)
    comment: str = Field(default="", sa_type=Text)
    endorsed_at: datetime = _created()


class SubmissionPack(SQLModel, table=True):
    """One organisation's submission to NHS England for one deadline: the zip (kept here, so
    any machine hands it out), what it holds, and when, how and by whom it was sent."""

    __table_args__ = (Index("ix_submissionpack_org_deadline", "organisation_id", "deadline"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    year: str = Field(max_length=7)
    deadline: date
    filename: str = Field(max_length=200)
    content: bytes = Field(sa_type=LargeBinary)
    sha256: str = Field(max_length=64)
    built_by_id: int | None = Field(default=None, foreign_key="person.id")
    built_by: str = Field(max_length=200)
    built_at: datetime = _created()
    sent_on: date | None = None
    channel: str | None = Field(default=None, max_length=200)
    sent_by: str | None = Field(default=None, max_length=200)
    sent_recorded_at: datetime | None = _when()


class SubmissionPackItem(SQLModel, table=True):
    """One sealed record in a submission pack, with the SHA-256 the manifest gives."""

    __table_args__ = (UniqueConstraint("pack_id", "appraisal_id"),)

    id: int | None = Field(default=None, primary_key=True)
    pack_id: int = Field(foreign_key="submissionpack.id", index=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True)
    record_id: int = Field(foreign_key="record.id")
    sha256: str = Field(max_length=64)


class CheckInSchedule(SQLModel, table=True):
    """The mid-year review date of the objectives a cycle agreed."""

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", unique=True)
    mid_year_review_due: date
    set_by: str = Field(max_length=200)
    set_at: datetime = _created()


class CheckIn(SQLModel, table=True):
    """A conversation about a signed-off appraisal's objectives and development actions
    during the following year: the mid-year review, or a further check-in."""

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True)
    kind: str = Field(max_length=20)  # mid-year or check-in
    held_on: date
    joint_note: str = Field(default="", sa_type=Text)
    recorded_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _created()
    updated_at: datetime = _created()


class CheckInProgress(SQLModel, table=True):
    """Progress on one objective or development action at one check-in, in each party's
    words."""

    __table_args__ = (UniqueConstraint("check_in_id", "objective_id", "action_id"),)

    id: int | None = Field(default=None, primary_key=True)
    check_in_id: int = Field(foreign_key="checkin.id", index=True)
    objective_id: int | None = Field(default=None, foreign_key="objective.id")
    action_id: int | None = Field(default=None, foreign_key="developmentaction.id")
    appraisee_note: str = Field(default="", sa_type=Text)
    appraiser_note: str = Field(default="", sa_type=Text)
