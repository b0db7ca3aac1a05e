"""Dates typed into the NHS.UK date input: three fields (day, month, year) per date."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from appraisal_store.errors import ValidationFailed

PARTS = ("day", "month", "year")


def date_parts(form: Mapping[str, Any], name: str) -> dict[str, str]:
    """The three typed parts of date ``name`` (``name-day``, ``name-month``, ``name-year``)."""
    return {part: str(form.get(f"{name}-{part}", "") or "").strip() for part in PARTS}


def date_from_form(form: Mapping[str, Any], name: str, label: str, *,
                   field: str | None = None, required: bool = False) -> date | None:
    """The date typed into the date input ``name``; None when all three parts are empty.

    Raises:
        ValidationFailed: a part missing, not a number, or not a real date; the problem is
            ``"<field>: <label> must ..."`` (the field defaults to ``name``; an empty
            ``field`` gives the message alone).
    """
    key = name if field is None else field
    prefix = f"{key}: " if key else ""
    parts = date_parts(form, name)
    if not any(parts.values()):
        if required:
            raise ValidationFailed(f"Enter {label.lower()}.", [f"{prefix}enter {label.lower()}"])
        return None
    missing = [part for part in PARTS if not parts[part]]
    if missing:
        raise ValidationFailed(f"Check {label.lower()}.", [
            f"{prefix}{label} must include a {' and a '.join(missing)}"])
    if not all(parts[part].isdigit() for part in PARTS) or len(parts["year"]) != 4:
        raise ValidationFailed(f"Check {label.lower()}.", [
            f"{prefix}{label} must be a real date, like 27 1 2026"])
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        raise ValidationFailed(f"Check {label.lower()}.", [
            f"{prefix}{label} must be a real date, like 27 1 2026"]) from None
