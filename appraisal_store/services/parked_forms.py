"""Forms posted after their session ended, kept until their author signs in again.

A person who types for half an hour and then presses "Save" after the idle timeout must not
lose what they typed: the portal parks the fields here, sends them to sign in, and shows
the same page with the fields filled in again, to save. Nothing is saved to the appraisal
until they do. The CSRF token is never kept; a parked form expires after ``KEPT_FOR``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlmodel import Session, col

from ..errors import ValidationFailed
from ..models import ParkedForm

KEPT_FOR = timedelta(hours=24)
MAX_FIELDS = 200
MAX_CHARACTERS = 200_000
NEVER_KEPT = frozenset({"csrf_token"})


def park_form(*, session: Session, person_id: int, path: str, fields: Mapping[str, str],
              now: datetime) -> ParkedForm:
    """Keep what was posted to ``path`` for ``person_id``, replacing an older parked copy.

    Raises:
        ValidationFailed: too many fields or too much text to keep.
    """
    kept = {str(k): str(v) for k, v in fields.items() if k not in NEVER_KEPT}
    if len(kept) > MAX_FIELDS or sum(len(k) + len(v) for k, v in kept.items()) > MAX_CHARACTERS:
        raise ValidationFailed("The form is too large to keep.",
                               [f"at most {MAX_FIELDS} fields and {MAX_CHARACTERS} characters"])
    session.execute(delete(ParkedForm).where(
        col(ParkedForm.person_id) == person_id,
        (col(ParkedForm.path) == path) | (col(ParkedForm.expires_at) <= now)))
    parked = ParkedForm(person_id=person_id, path=path[:300], fields=kept, created_at=now,
                        expires_at=now + KEPT_FOR)
    session.add(parked)
    return parked


def parked_form(*, session: Session, person_id: int, path: str, now: datetime
                ) -> dict[str, str] | None:
    """The fields parked for this person and page, if any are still kept (a read)."""
    found = session.execute(select(col(ParkedForm.fields)).where(
        col(ParkedForm.person_id) == person_id, col(ParkedForm.path) == path,
        col(ParkedForm.expires_at) > now).order_by(col(ParkedForm.id).desc()).limit(1)
    ).scalar_one_or_none()
    return dict(found) if found is not None else None


def discard_parked_form(*, session: Session, person_id: int, path: str) -> None:
    """Forget the parked copy once the page is saved (or the person chose not to keep it)."""
    session.execute(delete(ParkedForm).where(col(ParkedForm.person_id) == person_id,
                                             col(ParkedForm.path) == path))


def discard_expired(*, session: Session, now: datetime) -> int:
    """Drop every parked form past its time; the number dropped."""
    result = session.execute(delete(ParkedForm).where(col(ParkedForm.expires_at) <= now))
    return int(getattr(result, "rowcount", 0) or 0)  # a DML result: its row count
