"""The stakeholder feedback form's versions in the store: imported, and the current one."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, col

from competencies.errors import FrameworkError
from competencies.feedback_form import (
    FeedbackForm,
    default_feedback_form,
    feedback_form_from_dict,
    load_feedback_form,
)

from ..actors import Actor
from ..clock import moment_of
from ..errors import NotAllowed, ValidationFailed
from ..feedback_tables import FeedbackFormVersion
from .data_versions import add_version, stored_version
from .frameworks import current_framework_version, framework_of

_forms: dict[str, FeedbackForm] = {}


def store_feedback_form(session: Session, actor: Actor,
                        form: FeedbackForm) -> FeedbackFormVersion:
    """Add ``form`` as a version, or return the identical version already stored.

    Raises:
        ValidationFailed: the same id and version is stored with different content.
    """
    existing = stored_version(session, FeedbackFormVersion, id_column="form_id",
                              data_id=form.form_id, version=form.version,
                              content_hash=form.content_hash, what="Feedback form")
    if existing is not None:
        return existing
    return add_version(session, actor, FeedbackFormVersion(
        form_id=form.form_id, version=form.version, name=form.name,
        content_hash=form.content_hash, content=form.to_dict(), imported_at=moment_of(session)),
        action="feedback_form_imported", subject_type="feedback_form",
        details={"form_id": form.form_id, "version": form.version,
                 "content_hash": form.content_hash})


def import_feedback_form(*, session: Session, actor: Actor, path: Path) -> FeedbackFormVersion:
    """Validate the form file at ``path`` (against the current framework's domains) and add
    it as the current version; rounds already open keep the version they pinned.

    Raises:
        NotAllowed: only the operator imports a form.
        ValidationFailed: the file has problems; every one is listed with its line.
    """
    if not actor.is_system:
        raise NotAllowed("Only the operator can import a feedback form.")
    framework = framework_of(session, current_framework_version(session, actor).id or 0)
    try:
        form = load_feedback_form(path, framework=framework)
    except FrameworkError as error:
        raise ValidationFailed(f"{path} is not a valid feedback form; nothing was imported.",
                               str(error).splitlines()) from error
    return store_feedback_form(session, actor, form)


def current_feedback_form(session: Session, actor: Actor) -> FeedbackFormVersion:
    """The newest stored version; the shipped form is stored on first use."""
    latest: FeedbackFormVersion | None = session.execute(select(FeedbackFormVersion).order_by(
        col(FeedbackFormVersion.id).desc()).limit(1)).scalar_one_or_none()
    return latest if latest is not None else store_feedback_form(
        session, actor, default_feedback_form())


def form_of(version: FeedbackFormVersion) -> FeedbackForm:
    """The form a stored version holds (built once per content hash)."""
    if version.content_hash not in _forms:
        _forms[version.content_hash] = feedback_form_from_dict(version.content)
    return _forms[version.content_hash]
