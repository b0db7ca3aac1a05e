"""The stakeholder feedback form's versions in the store: imported, and the current one."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from competencies.errors import FrameworkError
from competencies.feedback_form import (
    FeedbackForm,
    default_feedback_form,
    feedback_form_from_dict,
    load_feedback_form,
)

from ..actors import Actor
from ..audit import record_event
from ..errors import NotAllowed, ValidationFailed
from ..feedback_tables import FeedbackFormVersion
from .frameworks import current_framework_version, framework_of

_forms: dict[str, FeedbackForm] = {}


def store_feedback_form(session: Session, actor: Actor,
                        form: FeedbackForm) -> FeedbackFormVersion:
    """Add ``form`` as a version, or return the identical version already stored.

    Raises:
        ValidationFailed: the same id and version is stored with different content.
    """
    existing: FeedbackFormVersion | None = session.execute(select(FeedbackFormVersion).where(
        FeedbackFormVersion.form_id == form.form_id,
        FeedbackFormVersion.version == form.version)).scalar_one_or_none()
    if existing is not None:
        if existing.content_hash != form.content_hash:
            raise ValidationFailed(
                f"Feedback form {form.form_id} version {form.version} is already stored with "
                "different content: give the changed file a new version.")
        return existing
    stored = FeedbackFormVersion(form_id=form.form_id, version=form.version, name=form.name,
                                 content_hash=form.content_hash, content=form.to_dict())
    session.add(stored)
    session.flush()
    record_event(session, actor, "feedback_form_imported", subject_type="feedback_form",
                 subject_id=stored.id or 0,
                 details={"form_id": form.form_id, "version": form.version,
                          "content_hash": form.content_hash})
    return stored


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
        FeedbackFormVersion.id.desc()).limit(1)).scalar_one_or_none()  # type: ignore[union-attr]
    return latest if latest is not None else store_feedback_form(
        session, actor, default_feedback_form())


def form_of(version: FeedbackFormVersion) -> FeedbackForm:
    """The form a stored version holds (built once per content hash)."""
    if version.content_hash not in _forms:
        _forms[version.content_hash] = feedback_form_from_dict(version.content)
    return _forms[version.content_hash]
