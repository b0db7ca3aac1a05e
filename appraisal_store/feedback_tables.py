"""The tables of multi-source feedback: the form's versions, rounds, respondents, answers.

Confidential by construction: a submitted response (``FeedbackResponse`` and its ratings
and texts) carries no respondent, no time and no ordered id: its key is random, so
nothing in the store ties what was said to who said it. Nor does the order rows were written
in: each submission rewrites the round's responses in a random order, in one transaction
(``services.feedback_responses``). Until a respondent submits, their
answers sit in a draft of their own (``FeedbackDraft``), which submitting, declining or
the round's close deletes. A respondent's link token is never stored, only its SHA-256
(``appraisal_store.feedback_links``).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from competencies.scale import ScaleLabel

from .clock import utcnow
from .sql_types import EnumText, UTCDateTime


class RespondentStatus(StrEnum):
    PROPOSED = "proposed"  # by the appraisee, waiting for the appraiser's approval
    INVITED = "invited"
    SUBMITTED = "submitted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # a proposal not approved, or a nomination taken back

    @property
    def label(self) -> str:
        return {"proposed": "Proposed, waiting for approval", "invited": "Asked, no answer yet",
                "submitted": "Answered", "declined": "Declined",
                "withdrawn": "Not asked"}[self.value]


class FeedbackFormVersion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("form_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    form_id: str = Field(max_length=60)
    version: str = Field(max_length=60)
    name: str = Field(max_length=300)
    content_hash: str = Field(max_length=64)
    content: dict[str, Any] = Field(sa_type=JSON)
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class FeedbackRound(SQLModel, table=True):
    """One appraisal's round of feedback, pinned to a form version and variant."""

    __table_args__ = (Index("ix_feedbackround_org_closed", "organisation_id", "closed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", unique=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    form_version_id: int = Field(foreign_key="feedbackformversion.id")
    variant: str = Field(max_length=60)
    closes_on: date
    # Below this many responses a group is merged into "other respondents"; pinned when
    # the round opens, so a change of the setting never reshapes a summary already read.
    group_threshold: int = 3
    appraisee_may_propose: bool = False
    opened_by: str = Field(max_length=200)
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class FeedbackRespondent(SQLModel, table=True):
    """Someone asked for feedback: who, in which group, and where their answer stands."""

    __table_args__ = (UniqueConstraint("round_id", "email"),
                      Index("ix_feedbackrespondent_round_status", "round_id", "status"))

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="feedbackround.id")
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    group_id: str = Field(max_length=60)
    status: RespondentStatus = Field(sa_type=EnumText(RespondentStatus), nullable=False)
    proposed_by_appraisee: bool = False
    # The link: a random nonce (the token is derived from it with the deployment's key
    # when a message is rendered) and the token's SHA-256, which redemption looks up.
    link_nonce: str = Field(max_length=64)
    token_hash: str = Field(max_length=64, unique=True)
    # The respondent's browser session on the form, hashed like the portal's.
    session_hash: str | None = Field(default=None, max_length=64, unique=True)
    csrf_token: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    answered_on: date | None = None


class FeedbackDraft(SQLModel, table=True):
    """A respondent's answers while they work; deleted once they submit or decline."""

    id: int | None = Field(default=None, primary_key=True)
    respondent_id: int = Field(foreign_key="feedbackrespondent.id", unique=True)
    ratings: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    texts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class FeedbackResponse(SQLModel, table=True):
    """One submitted response: its group and round only (a random key, no time)."""

    id: str = Field(primary_key=True, max_length=32)
    round_id: int = Field(foreign_key="feedbackround.id", index=True)
    group_id: str = Field(max_length=60)


class FeedbackRating(SQLModel, table=True):
    """One rating of a submitted response (keyed by the response: no ordered id)."""

    response_id: str = Field(foreign_key="feedbackresponse.id", max_length=32,
                             primary_key=True)
    statement_id: str = Field(max_length=60, primary_key=True)
    value: ScaleLabel = Field(sa_type=EnumText(ScaleLabel), nullable=False)


class FeedbackText(SQLModel, table=True):
    """One free-text answer of a submitted response; ``place`` is a domain id or overall."""

    response_id: str = Field(foreign_key="feedbackresponse.id", max_length=32,
                             primary_key=True)
    place: str = Field(max_length=40, primary_key=True)
    prompt: str = Field(max_length=40, primary_key=True)
    text: str = Field(sa_type=Text)
