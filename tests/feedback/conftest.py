"""Fixtures of multi-source feedback: the seeded board's appraisals with rounds."""

from __future__ import annotations

from datetime import UTC, date, datetime

TODAY = date(2025, 12, 1)
NOW = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)
