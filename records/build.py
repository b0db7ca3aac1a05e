"""Build a :class:`RecordContent` from the store: everything the signed record shows.

A handful of set-based queries per appraisal (one per kind of row, never one per
statement). Every value comes from the data, never the clock, so building twice from
the same store gives equal content and rendering it gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from appraisal_store.errors import NotFound
from appraisal_store.feedback_summary import FeedbackSummary, feedback_summary
from appraisal_store.fppt_checklist import SELF_ATTESTATION
from appraisal_store.fppt_tables import FPPTCheckEntry, FPPTYear
from appraisal_store.models import (
    Appointment,
    Appraisal,
    Cycle,
    DevelopmentAction,
    DomainReflection,
    FPPTAttestation,
    FrameworkVersion,
    Objective,
    ObjectiveReview,
    Organisation,
    Person,
    Rating,
)
from appraisal_store.routing_policy import RegionalDirectorPart
from appraisal_store.services.contributors import route_of
from appraisal_store.services.fppt_access import chairs_signer
from appraisal_store.services.frameworks import framework_of
from appraisal_store.services.regional_input import inputs_of
from appraisal_store.vocabulary import BoardRole, ObjectiveKind, ReflectionAuthor
from competencies.framework import Domain
from competencies.scale import ScaleLabel
from competencies.summary import median_label, summarise_domain
from records.content import (
    DevelopmentLine,
    DomainSection,
    FeedbackDomainLine,
    FeedbackSection,
    FeedbackTheme,
    FPPTSection,
    LabelCount,
    ObjectiveLine,
    ObjectiveReviewLine,
    RecordContent,
    RegionalInputLine,
    StatementLine,
)
from records.typography import format_date

__all__ = ["RECORD_TIME_ZONE", "build_content", "nhse_note", "record_id"]

RECORD_TIME_ZONE = ZoneInfo("Europe/London")

# When the appraiser holds several roles on the board, the one that makes them the
# appraiser (routing: chair, chief executive, senior independent director) is shown.
_APPRAISER_ROLE_ORDER = (
    BoardRole.CHAIR,
    BoardRole.CHIEF_EXECUTIVE,
    BoardRole.SENIOR_INDEPENDENT_DIRECTOR,
    BoardRole.DEPUTY_CHAIR,
    BoardRole.NON_EXECUTIVE_DIRECTOR,
    BoardRole.EXECUTIVE_DIRECTOR,
    BoardRole.COMPANY_SECRETARY,
)


# Who signs the third box of a record that goes to NHS England.
ENDORSER = "NHS England's regional director, or their delegate"


def record_id(appraisal_id: int, version: int) -> str:
    """The identifier printed on a record, e.g. ``APR-12-v2``."""
    return f"APR-{appraisal_id}-v{version}"


def nhse_note(nhse_due: date | None) -> str:
    """The record's NHS England line: the submission deadline, or that it is held locally.

    A deadline, never a claim of submission: the record is sealed before anything is sent,
    and the date it went is kept in the submission pack's index and the store.
    """
    if nhse_due is None:
        return "Held locally"
    return f"For NHS England by {nhse_due.day} {nhse_due:%B %Y}"


def _label(value: ScaleLabel | None) -> str | None:
    return value.label if value is not None else None


def _appraiser_role(appointments: Iterable[Appointment], on: date) -> str:
    """The appraiser's board role on ``on`` (any of their roles there if none was current)."""
    rows = list(appointments)
    current = [a for a in rows if a.start_date <= on and (a.end_date is None or a.end_date >= on)]
    roles = {a.role for a in current or rows}
    for role in _APPRAISER_ROLE_ORDER:
        if role in roles:
            return role.label
    return "Appraiser"


def _domain_section(
    domain: Domain,
    ratings: dict[str, ScaleLabel],
    reflections: dict[tuple[str, ReflectionAuthor], DomainReflection],
) -> DomainSection:
    summary = summarise_domain(domain, ratings)
    answers = [ratings.get(statement.id) for statement in domain.statements]
    own = reflections.get((domain.id, ReflectionAuthor.APPRAISEE))
    appraiser = reflections.get((domain.id, ReflectionAuthor.APPRAISER))
    return DomainSection(
        number=domain.number,
        name=domain.name,
        what_good_looks_like=domain.what_good_looks_like,
        statements=tuple(
            StatementLine(text=statement.text, self_label=_label(answer))
            for statement, answer in zip(domain.statements, answers, strict=True)
        ),
        counts=tuple(LabelCount(label.label, count) for label, count in summary.counts.items()),
        strong_share=summary.strong_share,
        flagged=summary.flagged,
        flag_reason=summary.flag_reason,
        self_reflection=own.text if own else "",
        appraiser_commentary=appraiser.text if appraiser else "",
        self_median_label=_label(median_label(answers)),
        appraiser_view_label=_label(appraiser.view) if appraiser else None,
    )


def build_content(session: Session, appraisal_id: int) -> RecordContent:
    """Everything the record of an appraisal's current version shows, read from the store.

    Ratings and reflections come from the appraisal's current revision; ``record_id`` is
    ``APR-{appraisal_id}-v{record_version}``; ``issued_on`` is the day the appraisal was
    agreed (the meeting date if it was never agreed), so the content never depends on the
    clock and never claims a day still to come.

    Args:
        session: Any session; nothing is written.
        appraisal_id: The appraisal.

    Returns:
        The record's content, ready for :func:`records.render.render_record`.

    Raises:
        NotFound: There is no such appraisal.
    """
    appraisee, appraiser = aliased(Person), aliased(Person)
    row = session.execute(
        select(Appraisal, Organisation, Cycle, Appointment, FrameworkVersion, appraisee, appraiser)
        .join(Organisation, col(Organisation.id) == Appraisal.organisation_id)
        .join(Cycle, col(Cycle.id) == Appraisal.cycle_id)
        .join(Appointment, col(Appointment.id) == Appraisal.appointment_id)
        .join(FrameworkVersion, col(FrameworkVersion.id) == Appraisal.framework_version_id)
        .join(appraisee, col(appraisee.id) == col(Appraisal.appraisee_id))
        .outerjoin(appraiser, col(appraiser.id) == col(Appraisal.appraiser_id))
        .where(col(Appraisal.id) == appraisal_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"There is no appraisal {appraisal_id}.")
    appraisal, organisation, cycle, appointment, version, appraisee_row, appraiser_row = row

    framework = framework_of(session, appraisal.framework_version_id)
    ratings: dict[str, ScaleLabel] = dict(
        session.execute(
            select(col(Rating.statement_id), col(Rating.value)).where(
                col(Rating.appraisal_id) == appraisal_id, col(Rating.revision) == appraisal.revision
            )
        ).tuples().all()
    )
    reflections = {
        (r.domain_id, r.author): r
        for r in session.execute(
            select(DomainReflection).where(
                col(DomainReflection.appraisal_id) == appraisal_id,
                col(DomainReflection.revision) == appraisal.revision,
            )
        ).scalars()
    }
    reviews = session.execute(
        select(ObjectiveReview)
        .where(col(ObjectiveReview.appraisal_id) == appraisal_id)
        .order_by(col(ObjectiveReview.id))
    ).scalars()
    objectives = session.execute(
        select(Objective)
        .where(col(Objective.appraisal_id) == appraisal_id)
        .order_by(col(Objective.position), col(Objective.id))
    ).scalars()
    actions = session.execute(
        select(DevelopmentAction)
        .where(col(DevelopmentAction.appraisal_id) == appraisal_id)
        .order_by(col(DevelopmentAction.position), col(DevelopmentAction.id))
    ).scalars()
    fppt = session.execute(
        select(FPPTAttestation).where(col(FPPTAttestation.appraisal_id) == appraisal_id)
    ).scalar_one_or_none()

    agreed_on = (
        appraisal.agreed_at.astimezone(RECORD_TIME_ZONE).date() if appraisal.agreed_at else None
    )
    issued_on = agreed_on or appraisal.meeting_date or cycle.ends_on
    if appraiser_row is not None:
        appraiser_appointments = session.execute(
            select(Appointment).where(
                col(Appointment.person_id) == appraiser_row.id,
                col(Appointment.organisation_id) == appraisal.organisation_id,
            )
        ).scalars()
        appraiser_role = _appraiser_role(appraiser_appointments, issued_on)
    else:
        appraiser_role = ""

    # Read once for both: who endorses, and whether the regional director gave input.
    route = route_of(session, appraisal, organisation.type, appointment.role)
    regional_input = (inputs_of(session, appraisal_id)
                      if route.regional_director is RegionalDirectorPart.INPUT else [])
    return RecordContent(
        record_id=record_id(appraisal_id, appraisal.record_version),
        organisation_name=organisation.name,
        organisation_code=organisation.code,
        organisation_type_label=organisation.type.label,
        appraisee_name=appraisee_row.name,
        appraisee_role=appointment.role.label,
        appraiser_name=appraiser_row.name if appraiser_row is not None else "No appraiser",
        appraiser_role=appraiser_role,
        cycle_year=cycle.year,
        meeting_date=appraisal.meeting_date,
        framework_name=version.name,
        framework_version=version.version,
        framework_hash=f"sha256:{version.content_hash}",
        domains=tuple(
            _domain_section(domain, ratings, reflections) for domain in framework.domains
        ),
        previous_objectives=tuple(
            ObjectiveReviewLine(text=r.text, outcome_label=r.outcome.label, comment=r.comment)
            for r in reviews
        ),
        objectives=tuple(
            ObjectiveLine(
                kind_label=o.kind.label,
                is_edi=o.kind is ObjectiveKind.EDI,
                text=o.text,
                measure=o.measure,
                target_date=o.target_date,
            )
            for o in objectives
        ),
        development_plan=tuple(
            DevelopmentLine(need=a.need, action=a.action, support=a.support, timescale=a.timescale)
            for a in actions
        ),
        fppt=_fppt_section(session, appraisal, cycle.year, fppt),
        msf_summary=appraisal.msf_summary,
        appraisee_comments=appraisal.appraisee_comments,
        appraiser_comments=appraisal.appraiser_comments,
        disagreement=appraisal.disagreement,
        issued_on=issued_on,
        nhse_note=nhse_note(appraisal.nhse_due),
        feedback=feedback_section(feedback_summary(session, appraisal, framework)),
        endorsement_by=(ENDORSER if appraisal.nhse_due is not None and route.endorsed
                        else ""),
        regional_input=tuple(
            RegionalInputLine(line.name, line.given_at.astimezone(RECORD_TIME_ZONE).date(),
                              line.text) for line in regional_input),
    )


def _fppt_section(session: Session, appraisal: Appraisal, year: str,
                  fppt: FPPTAttestation | None) -> FPPTSection:
    """The FPPT as the record shows it: the signed-off outcome of the person's FPPT year,
    who signed it off and when, where it is signed off; else the year's state beside the
    appraiser's confirmation of the last assessment."""
    # The year and its self-attestation's date in one query.
    attested = select(func.max(col(FPPTCheckEntry.done_on))).where(
        col(FPPTCheckEntry.fppt_year_id) == FPPTYear.id,
        col(FPPTCheckEntry.check_id) == SELF_ATTESTATION).correlate(FPPTYear).scalar_subquery()
    found = session.execute(select(FPPTYear, attested).where(
        col(FPPTYear.organisation_id) == appraisal.organisation_id,
        col(FPPTYear.person_id) == appraisal.appraisee_id,
        col(FPPTYear.year) == year)).first()
    fppt_year, attested_on = (found[0], found[1]) if found is not None else (None, None)
    if fppt_year is not None and fppt_year.signed_off_at is not None and fppt_year.outcome:
        signed_on = fppt_year.signed_off_at.astimezone(RECORD_TIME_ZONE).date()
        signer = session.get(Person, fppt_year.signed_off_by_id)
        role = (chairs_signer(session, fppt_year.organisation_id, signed_on)
                if fppt_year.role is BoardRole.CHAIR else BoardRole.CHAIR)
        return FPPTSection(
            last_assessed_on=signed_on, status_label=fppt_year.outcome.label,
            notes=fppt_year.chair_decision or fppt_year.sign_off_note,
            self_attested_on=attested_on,
            sign_off=f"By {signer.name if signer else 'the ' + role.label.lower()} "
                     f"({role.label.lower()}) on {format_date(signed_on)}, for {year}")
    return FPPTSection(
        last_assessed_on=fppt.last_assessed_on if fppt else None,
        status_label=fppt.status.label if fppt and fppt.status else "Not confirmed",
        notes=fppt.notes if fppt else "",
        self_attested_on=attested_on,
        sign_off=(f"Not yet: the {year} FPPT is {fppt_year.state.label.lower()}"
                  if fppt_year is not None else "Not signed off"))
def feedback_section(summary: FeedbackSummary | None) -> FeedbackSection | None:
    """The summary as the record carries it: counts in scale order, text without names."""
    if summary is None:
        return None
    scale = list(ScaleLabel)
    return FeedbackSection(
        response_rate=summary.response_rate, threshold=summary.threshold,
        columns=tuple(f"{label} ({n})" for label, n in summary.columns),
        domains=tuple(FeedbackDomainLine(
            f"{d.number}. {d.name}", tuple(d.self_assessment.get(v, 0) for v in scale),
            tuple(tuple(column.get(v, 0) for v in scale) for column in d.columns))
            for d in summary.domains),
        themes=tuple(FeedbackTheme(t.place, t.prompt, t.texts) for t in summary.themes))
