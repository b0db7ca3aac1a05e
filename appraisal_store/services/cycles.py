"""Opening a year's cycle: one appraisal per board appointment, set-based, safe to re-run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Row, select
from sqlmodel import Session, col

from ..actors import Actor
from ..appraisal_year import appraisal_year
from ..audit import PendingEvent, record_events
from ..clock import day_of
from ..errors import NotAllowed, ValidationFailed
from ..models import Appointment, Appraisal, Cycle, Organisation, Person
from ..outbox import QueuedMessage, queue_messages
from ..routing import BoardLeads, default_route, nhse_submission_due
from ..routing_policy import shipped_policy
from ..upsert import dialect_insert
from ..vocabulary import AppraisalState, BoardRole
from .access import administered_organisation_ids, is_org_administrator
from .contributors import OrganisationRouting, organisation_routing
from .fppt_years import open_fppt_years
from .frameworks import current_framework_version

# Directors appointed in the second half of the year have too little to appraise yet.
LATE_STARTER_MONTHS = 6


@dataclass(frozen=True)
class CycleDates:
    self_assessment_due: date
    review_due: date
    sign_off_due: date


@dataclass(frozen=True)
class OpenedCycle:
    organisation_code: str
    year: str
    dates: CycleDates
    created: int
    deferred: int
    already_open: int
    excluded_leavers: int
    without_appraiser: int


@dataclass
class _Plan:
    organisation: Organisation
    cycle_id: int
    rows: list[dict[str, object]] = field(default_factory=list)
    excluded: int = 0
    already_open: int = 0


def parse_year(label: str) -> tuple[date, date]:
    """``"2025/26"`` -> (1 April 2025, 31 March 2026): the performance year appraised.

    Raises:
        ValidationFailed: the label is not a financial year like 2025/26.
    """
    year = appraisal_year(label)
    return year.starts, year.ends


def default_dates(year: str) -> CycleDates:
    """Within the year, leaving the spring for the NHS England submissions that follow."""
    _, ends = parse_year(year)
    closing = ends.year
    return CycleDates(date(closing, 1, 31), date(closing, 2, 28), ends)


_DATE_NAMES = {"self_assessment_due": "self-assessment due", "review_due": "review due",
               "sign_off_due": "sign-off due"}


def resolve_dates(year: str, *, self_assessment_due: date | None = None,
                  review_due: date | None = None, sign_off_due: date | None = None) -> CycleDates:
    """The given dates, defaults for the rest.

    The year is the performance year appraised (``appraisal_year``): no date may fall before
    it starts nor after NHS England's last deadline that follows from it, and the dates run
    self-assessment, then review, then sign-off.

    Raises:
        ValidationFailed: a date contradicts the year or the order, each problem named.
    """
    performance = appraisal_year(year)
    defaults = default_dates(year)
    dates = CycleDates(self_assessment_due or defaults.self_assessment_due,
                       review_due or defaults.review_due, sign_off_due or defaults.sign_off_due)
    problems = []
    for name, value in vars(dates).items():
        what = _DATE_NAMES[name]
        if value < performance.starts:
            problems.append(f"{what} {value} is before the performance year {year} starts "
                            f"({performance.starts})")
        elif value > performance.non_executive_deadline:
            problems.append(f"{what} {value} is after NHS England's last deadline for the "
                            f"{year} year ({performance.non_executive_deadline})")
    if dates.sign_off_due < dates.self_assessment_due:
        problems.append(f"sign-off due {dates.sign_off_due} is before the self-assessment is "
                        f"due ({dates.self_assessment_due})")
    elif not dates.self_assessment_due <= dates.review_due <= dates.sign_off_due:
        problems.append(
            "the dates must run self-assessment due, then review due, then sign-off due")
    if problems:
        raise ValidationFailed(f"The cycle's dates contradict the year {year}.", problems)
    return dates


def _board_leads(appointments: Sequence[Row[Any]], on: date,
                 routing: OrganisationRouting) -> BoardLeads:
    def in_post(a: Row[Any]) -> bool:
        return bool(a.start_date <= on and (a.end_date is None or a.end_date >= on))

    # A company secretary appraises nobody, even one who also holds a lead role.
    secretaries = {a.person_id for a in appointments
                   if a.role is BoardRole.COMPANY_SECRETARY and in_post(a)}

    def holder(*roles: BoardRole) -> int | None:
        holders = sorted((a.start_date, a.person_id) for a in appointments
                         if a.role in roles and in_post(a) and a.person_id not in secretaries)
        return holders[-1][1] if holders else None
    return BoardLeads(holder(BoardRole.CHAIR), holder(BoardRole.CHIEF_EXECUTIVE),
                      holder(BoardRole.SENIOR_INDEPENDENT_DIRECTOR),
                      holder(BoardRole.DEPUTY_CHAIR), routing.external_appraiser_ids,
                      routing.regional_director)


def check_may_open_cycles(session: Session, actor: Actor) -> None:
    """Refuse, before reading the form, someone who administers no organisation.

    Raises:
        NotAllowed: the actor administers no organisation.
    """
    if not actor.is_system and not administered_organisation_ids(session, actor):
        raise NotAllowed("Only an organisation's administrators can open its cycle.")


def open_cycles(*, session: Session, actor: Actor, year: str, organisation_codes: Sequence[str],
                dates: CycleDates, today: date | None = None) -> list[OpenedCycle]:
    """Open ``year`` for each organisation: create the appraisals and queue the invitations.

    Every board appointment in post when the cycle is opened gets one appraisal, routed to
    its default appraiser and pinned to the current framework version. Directors who have
    left are excluded; those appointed in the second half of the year are deferred with a
    reason. Running it again creates nothing new: existing appraisals are kept as they are.

    Raises:
        NotAllowed: only the organisation's administrators (and the operator and flows)
            open its cycle; a national administrator opens none.
        ValidationFailed: an organisation code is unknown.
    """
    check_may_open_cycles(session, actor)
    opened_on = today or day_of(session)
    starts, ends = parse_year(year)
    late_from = date(starts.year + (starts.month + LATE_STARTER_MONTHS - 1) // 12,
                     (starts.month + LATE_STARTER_MONTHS - 1) % 12 + 1, 1)
    codes = [c.strip().upper() for c in organisation_codes]
    organisations = {o.code: o for o in session.execute(
        select(Organisation).where(col(Organisation.code).in_(codes))
    ).scalars()}
    unknown = [c for c in codes if c not in organisations]
    if unknown:
        raise ValidationFailed("No cycle was opened.",
                               [f"unknown organisation '{c}'" for c in unknown])
    foreign = [c for c in codes
               if not is_org_administrator(session, actor, organisations[c].id or 0)]
    if foreign:
        raise NotAllowed(f"You do not administer {', '.join(foreign)}: no cycle was opened.")
    framework = current_framework_version(session, actor)
    org_ids = [o.id for o in organisations.values()]
    # Plain rows, not ORM objects: building ten thousand SQLModel instances cost more than
    # reading them.
    appointments_by_org: dict[int, list[Row[Any]]] = {}
    for appointment in session.execute(
        select(col(Appointment.id), col(Appointment.person_id), col(Appointment.organisation_id),
               col(Appointment.role), col(Appointment.start_date), col(Appointment.end_date))
        .where(col(Appointment.organisation_id).in_(org_ids))
    ):
        appointments_by_org.setdefault(appointment.organisation_id, []).append(appointment)
    routings = organisation_routing(session, [o for o in org_ids if o is not None])
    policy = shipped_policy()
    cycles = _get_or_create_cycles(session, org_ids, year, starts, ends, dates)
    already = _existing_appointment_ids(session, list(cycles.values()))

    plans: list[_Plan] = []
    for code in codes:
        organisation = organisations[code]
        cycle_id = cycles[organisation.id]
        plan = _Plan(organisation, cycle_id,
                     already_open=sum(1 for c in already.values() if c == cycle_id))
        appointments = appointments_by_org.get(organisation.id or 0, [])
        routing = routings[organisation.id or 0]
        leads = _board_leads(appointments, max(min(opened_on, ends), starts), routing)
        for appointment in appointments:
            if not appointment.role.is_board_member or appointment.id in already:
                continue
            if appointment.end_date is not None and appointment.end_date < min(opened_on, ends):
                plan.excluded += 1
                continue
            if appointment.start_date > ends:
                continue
            route = default_route(role=appointment.role, org_type=organisation.type,
                                  appraisee_id=appointment.person_id, leads=leads,
                                  policy=policy.route(organisation.type, appointment.role,
                                                      routing.override))
            late = appointment.start_date >= late_from
            plan.rows.append({
                "cycle_id": cycle_id, "appointment_id": appointment.id,
                "organisation_id": organisation.id, "appraisee_id": appointment.person_id,
                "appraiser_id": route.appraiser_id, "routing_basis": route.basis,
                "framework_version_id": framework.id,
                "state": AppraisalState.DEFERRED if late else AppraisalState.NOT_STARTED,
                "closure_reason": (f"Appointed on {appointment.start_date}, in the second half "
                                   "of the year: first appraisal deferred") if late else None,
                "self_assessment_due": dates.self_assessment_due, "review_due": dates.review_due,
                "sign_off_due": dates.sign_off_due,
                "nhse_due": nhse_submission_due(role=appointment.role, org_type=organisation.type,
                                                year_label=year),
            })
        plans.append(plan)
    opened = _write_plans(session, actor, plans, year, dates, framework.id or 0)
    open_fppt_years(session=session, actor=actor, organisation_ids=org_ids, year=year,
                    today=opened_on)
    return opened


def _insert(session: Session) -> Any:
    """The store's INSERT, which knows ON CONFLICT DO NOTHING."""
    return dialect_insert(session.get_bind().dialect.name)


def _get_or_create_cycles(session: Session, organisation_ids: list[int | None], year: str,
                          starts: date, ends: date, dates: CycleDates) -> dict[int, int]:
    """The year's cycle id of each organisation, created where missing (organisation id ->
    cycle id). A cycle another run created meanwhile is kept: its key is (organisation,
    year)."""
    def found() -> dict[int, int]:
        return dict(session.execute(
            select(col(Cycle.organisation_id), col(Cycle.id)).where(
                col(Cycle.year) == year,
                col(Cycle.organisation_id).in_(organisation_ids))
        ).tuples().all())

    cycles = found()
    missing = [{"organisation_id": o, "year": year, "starts_on": starts, "ends_on": ends,
                **vars(dates)} for o in organisation_ids if o not in cycles]
    if not missing:
        return cycles
    session.connection().execute(
        _insert(session)(Cycle).on_conflict_do_nothing(
            index_elements=["organisation_id", "year"]), missing)
    return found()


def _existing_appointment_ids(session: Session, cycle_ids: list[int]) -> dict[int, int]:
    return dict(session.execute(
        select(col(Appraisal.appointment_id), col(Appraisal.cycle_id)).where(
            col(Appraisal.cycle_id).in_(cycle_ids))
    ).tuples().all())


def _write_plans(session: Session, actor: Actor, plans: list[_Plan], year: str,
                 dates: CycleDates, framework_version_id: int) -> list[OpenedCycle]:
    rows = [row for plan in plans for row in plan.rows]
    statement = _insert(session)(Appraisal).on_conflict_do_nothing(
        index_elements=["cycle_id", "appointment_id"])
    for start in range(0, len(rows), 1000):
        session.connection().execute(statement, rows[start:start + 1000])
    new_keys = {(r["cycle_id"], r["appointment_id"]) for r in rows}
    created = session.execute(
        select(col(Appraisal.id), col(Appraisal.cycle_id), col(Appraisal.appointment_id),
               col(Appraisal.state), col(Appraisal.appraiser_id), col(Appraisal.organisation_id),
               col(Person.name), col(Person.email))
        .join(Person, col(Person.id) == Appraisal.appraisee_id)
        .where(col(Appraisal.cycle_id).in_({p.cycle_id for p in plans}))
    ).all()
    events: list[PendingEvent] = []
    invitations: list[QueuedMessage] = []
    codes = {p.organisation.id: p.organisation for p in plans}
    for row in created:
        if (row.cycle_id, row.appointment_id) not in new_keys:
            continue
        organisation = codes[row.organisation_id]
        events.append(PendingEvent("appraisal_opened", "appraisal", row.id, row.organisation_id,
                                   {"year": year, "state": row.state.value,
                                    "appraiser_id": row.appraiser_id,
                                    "framework_version_id": framework_version_id}))
        if row.state is AppraisalState.NOT_STARTED:
            invitations.append(QueuedMessage(
                f"invitation:{row.id}", "invitation", row.email, row.name, row.id,
                {"organisation": organisation.name, "year": year,
                 "due": dates.self_assessment_due.isoformat()}))
    for plan in plans:
        events.append(PendingEvent("cycle_opened", "cycle", plan.cycle_id,
                                   plan.organisation.id, {"year": year, "dates": vars(dates)}))
    record_events(session, actor, events)
    queue_messages(session, invitations)
    return [
        OpenedCycle(
            plan.organisation.code, year, dates,
            created=sum(1 for r in plan.rows if r["state"] is AppraisalState.NOT_STARTED),
            deferred=sum(1 for r in plan.rows if r["state"] is AppraisalState.DEFERRED),
            already_open=plan.already_open,
            excluded_leavers=plan.excluded,
            without_appraiser=sum(1 for r in plan.rows if r["appraiser_id"] is None),
        )
        for plan in plans
    ]
