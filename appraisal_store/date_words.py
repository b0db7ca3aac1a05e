"""Dates as people read them, in the NHS and GOV.UK style: 3 March 2026 (no leading zero,
the month in words), in pages, emails, documents and the store's messages alike."""

from __future__ import annotations

from datetime import date


def long_date(day: date) -> str:
    """3 March 2026."""
    return f"{day.day} {day:%B %Y}"


def short_date(day: date) -> str:
    """3 Mar 2026: where columns are narrow (a document's table)."""
    return f"{day.day} {day:%b %Y}"
