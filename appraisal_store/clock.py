"""The wall clock, read once at the edge (a command, a flow, a portal request) and passed in."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
