"""Framework versions in the store: every appraisal pins the one it started on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from competencies.errors import FrameworkError
from competencies.framework import Framework
from competencies.loader import default_framework, framework_from_dict, load_framework

from ..actors import Actor
from ..clock import moment_of
from ..errors import NotFound, ValidationFailed
from ..models import FrameworkVersion
from ..sessions import run_columns
from .data_versions import add_version, stored_version


def store_framework(session: Session, actor: Actor, framework: Framework) -> FrameworkVersion:
    """Add ``framework`` as a version, or return the identical version already stored.

    Raises:
        ValidationFailed: the same id and version is stored with different content.
    """
    existing = stored_version(session, FrameworkVersion, id_column="framework_id",
                              data_id=framework.framework_id, version=framework.version,
                              content_hash=framework.content_hash, what="Framework")
    if existing is not None:
        return existing
    return add_version(session, actor, FrameworkVersion(
        framework_id=framework.framework_id, version=framework.version, name=framework.name,
        content_hash=framework.content_hash, content=framework.to_dict(),
        imported_at=moment_of(session)),
        action="framework_imported", subject_type="framework",
        details={"framework_id": framework.framework_id, "version": framework.version,
                 "content_hash": framework.content_hash})


def import_framework(*, session: Session, actor: Actor, path: Path) -> FrameworkVersion:
    """Validate the framework file at ``path`` and add it as the current version.

    Raises:
        ValidationFailed: the file has problems; every one is listed with its line.
    """
    try:
        framework = load_framework(path)
    except FrameworkError as error:
        raise ValidationFailed(
            f"{path} is not a valid framework file; nothing was imported.",
            str(error).splitlines(),
        ) from error
    except OSError as error:
        raise ValidationFailed(f"Cannot read {path}: {error.strerror}.") from error
    return store_framework(session, actor, framework)


def current_framework_version(session: Session, actor: Actor) -> FrameworkVersion:
    """The newest stored version; the shipped LCF 2024 file is stored on first use."""
    latest = session.execute(
        select(FrameworkVersion).order_by(col(FrameworkVersion.id).desc()).limit(1)
    ).scalar_one_or_none()
    return latest if latest is not None else store_framework(session, actor, default_framework())


_frameworks: dict[str, Framework] = {}
_CONTENT_HASH = select(col(FrameworkVersion.content_hash)).where(
    col(FrameworkVersion.id) == bindparam("framework_version_id"))


def framework_of(session: Session, framework_version_id: int) -> Framework:
    """The framework an appraisal pinned (a stored version never changes, so it is cached,
    and its hash is looked up once a session)."""
    known = session.info.setdefault("framework_hashes", {})
    content_hash = known.get(framework_version_id) or run_columns(
        session, _CONTENT_HASH, {"framework_version_id": framework_version_id}
    ).scalar_one_or_none()
    if content_hash is None:
        raise NotFound(f"There is no framework version {framework_version_id}.")
    framework = _frameworks.get(content_hash)
    if framework is None:
        content = session.execute(
            select(col(FrameworkVersion.content))
            .where(col(FrameworkVersion.id) == framework_version_id)
        ).scalar_one()
        framework = _frameworks[content_hash] = framework_from_dict(content)
    known[framework_version_id] = content_hash
    return framework
