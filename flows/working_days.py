"""Working days in England: weekends and English bank holidays are never working days.

The bank holidays come from ``govuk-bank-holidays``' bundled copy of the GOV.UK list, so
nothing here touches the network (a reminder sweep must not depend on gov.uk answering).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from govuk_bank_holidays.bank_holidays import BankHolidays


@lru_cache(maxsize=1)
def english_bank_holidays() -> frozenset[date]:
    """England and Wales bank holidays from the package's bundled data (no download)."""
    holidays = BankHolidays(use_cached_holidays=True)
    england = holidays.get_holidays(division=BankHolidays.ENGLAND_AND_WALES)
    return frozenset(h["date"] for h in england)


class WorkingCalendar:
    """Counts working days: Monday to Friday, except the given bank holidays."""

    def __init__(self, holidays: frozenset[date] | None = None) -> None:
        self.holidays = english_bank_holidays() if holidays is None else holidays

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def working_days_before(self, day: date, count: int) -> date:
        """The working day ``count`` working days before ``day`` (``count`` >= 1)."""
        current = day
        left = count
        while left > 0:
            current -= timedelta(days=1)
            if self.is_working_day(current):
                left -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``: how many working days ``end`` is after ``start``.

        Negative when ``end`` is before ``start``.
        """
        if end < start:
            return -self.working_days_between(end, start)
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


@lru_cache(maxsize=1)
def england() -> WorkingCalendar:
    """The calendar reminders follow."""
    return WorkingCalendar()
