"""The reminder plan, as a pure function of appraisal rows and the date."""

from __future__ import annotations

from datetime import date

from appraisal_store.vocabulary import AppraisalState
from flows.reminders import Contact, OpenAppraisal, plan_reminders, reminder_stage
from flows.working_days import WorkingCalendar, england

CALENDAR = england()
DUE = date(2026, 1, 30)  # a Friday


def row(state: AppraisalState = AppraisalState.IN_PREPARATION, due: date = DUE) -> OpenAppraisal:
    return OpenAppraisal(7, state, "self_assessment", due, "Riverside Hospitals NHS Trust",
                         "2025/26", Contact("Priya Shah", "finance@rx1.nhs.uk"),
                         Contact("Daniel Price", "ceo@rx1.nhs.uk"),
                         (Contact("Ruth Clarke", "cosec@rx1.nhs.uk"),))


def keys_on(day: date, rows: list[OpenAppraisal] | None = None) -> list[str]:
    return [m.idempotency_key for m in plan_reminders(rows or [row()], day, CALENDAR)]


def test_bank_holidays_come_offline_from_the_bundled_data() -> None:
    assert not CALENDAR.is_working_day(date(2025, 12, 25))
    assert not CALENDAR.is_working_day(date(2026, 5, 4))  # early May bank holiday
    assert not CALENDAR.is_working_day(date(2026, 1, 31))  # Saturday
    assert CALENDAR.is_working_day(date(2026, 1, 2))
    # Christmas and Boxing Day (and the weekend) are skipped when counting back.
    assert CALENDAR.working_days_before(date(2025, 12, 29), 1) == date(2025, 12, 24)


def test_reminders_fall_14_7_1_and_0_working_days_before_once_each() -> None:
    sent: dict[str, date] = {}
    day = date(2025, 12, 1)
    while day <= DUE:
        for key in keys_on(day):
            sent.setdefault(key, day)
        day = date.fromordinal(day.toordinal() + 1)
    assert sent == {
        "reminder:7:self_assessment:2026-01-30:14": CALENDAR.working_days_before(DUE, 14),
        "reminder:7:self_assessment:2026-01-30:7": CALENDAR.working_days_before(DUE, 7),
        "reminder:7:self_assessment:2026-01-30:1": date(2026, 1, 29),
        "reminder:7:self_assessment:2026-01-30:0": DUE,
    }
    assert CALENDAR.working_days_before(DUE, 14) == date(2026, 1, 12)


def test_the_stage_is_caught_up_the_next_working_day_but_keeps_its_key() -> None:
    assert reminder_stage(DUE, date(2026, 1, 13), CALENDAR) == "14"
    assert reminder_stage(DUE, date(2025, 12, 1), CALENDAR) is None


def test_nothing_on_weekends_or_bank_holidays() -> None:
    assert keys_on(date(2026, 1, 31)) == []
    assert keys_on(date(2026, 4, 3), [row(due=date(2026, 3, 20))]) == []  # Good Friday


def test_weekly_while_overdue_then_escalations_at_5_and_10_working_days() -> None:
    first = plan_reminders([row()], date(2026, 2, 2), CALENDAR)
    assert [(m.idempotency_key, m.recipient_email) for m in first] == [
        ("reminder:7:self_assessment:2026-01-30:overdue-w1", "finance@rx1.nhs.uk")]
    after_five = keys_on(date(2026, 2, 6))  # 5 working days overdue
    assert "reminder:7:self_assessment:2026-01-30:escalate-appraiser" in after_five
    assert not any("escalate-secretary" in k for k in after_five)
    after_ten = plan_reminders([row()], date(2026, 2, 13), CALENDAR)
    assert {m.idempotency_key for m in after_ten} >= {
        "reminder:7:self_assessment:2026-01-30:overdue-w3",
        "reminder:7:self_assessment:2026-01-30:escalate-secretary:cosec@rx1.nhs.uk"}
    escalation = next(m for m in after_ten if m.template == "escalation"
                      and m.recipient_email == "cosec@rx1.nhs.uk")
    assert escalation.payload["working_days_overdue"] == 10


def test_the_appraiser_is_reminded_when_it_is_their_move() -> None:
    [message] = plan_reminders([row(AppraisalState.IN_REVIEW)], date(2026, 1, 29), CALENDAR)
    assert message.recipient_email == "ceo@rx1.nhs.uk"
    late = keys_on(date(2026, 2, 13), [row(AppraisalState.IN_REVIEW)])
    assert not any("escalate-appraiser" in k for k in late)


def test_an_extension_moves_the_reminders() -> None:
    extended = row(due=date(2026, 2, 27))
    assert keys_on(date(2026, 2, 2), [extended]) == []
    assert keys_on(date(2026, 2, 26), [extended]) == [
        "reminder:7:self_assessment:2026-02-27:1"]


def test_a_calendar_can_carry_its_own_holidays() -> None:
    calendar = WorkingCalendar(frozenset({date(2026, 1, 29)}))
    assert calendar.working_days_before(DUE, 1) == date(2026, 1, 28)
