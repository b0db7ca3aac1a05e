"""What the director's and the appraiser's pages show, read in a few set-based queries.

Every view of self-assessment content is audited (domain.md section 5): the content is read
in a read session, then a ``content_viewed`` event is committed in a short write of its own
before anything is shown, so a page never shows content whose view was not recorded and
page views do not hold the store's write lock while they read. A refused attempt to reach
content (NotFound or NotAllowed from the access check) is logged, not audited
(``appraisal_store.services.content_views``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from appraisal_store.actors import Actor
from appraisal_store.clock import moment_of
from appraisal_store.errors import NotAllowed, NotFound
from appraisal_store.fppt_tables import FPPTYear
from appraisal_store.lifecycle import Party, editable_states
from appraisal_store.models import (
    Appraisal,
    AppraisalRevision,
    DevelopmentAction,
    DomainReflection,
    FPPTAttestation,
    Objective,
    ObjectiveReview,
    Rating,
    Record,
)
from appraisal_store.services.access import can_view_content, get_appraisal
from appraisal_store.services.appraisal_changes import AppraisalContext, context_of
from appraisal_store.services.check_ins import carried_progress
from appraisal_store.services.content_views import log_refused_access, record_content_view
from appraisal_store.services.fppt_years import fppt_year_of
from appraisal_store.services.frameworks import framework_of
from appraisal_store.services.regional_input import InputLine, inputs_of
from appraisal_store.services.review_objectives import previous_objectives
from appraisal_store.services.signing import signatures_of
from appraisal_store.sessions import run_columns
from appraisal_store.vocabulary import ReflectionAuthor, SignatureRole
from competencies.framework import Domain, Framework
from competencies.scale import ScaleLabel
from competencies.summary import DomainSummary, summarise_domain

from .store import RequestStore, record_view_alone

SCALE_OPTIONS = [(label.value, label.label) for label in ScaleLabel]


@dataclass(frozen=True)
class DomainProgress:
    domain: Domain
    answered: int

    @property
    def total(self) -> int:
        return len(self.domain.statements)

    @property
    def status(self) -> str:
        if self.answered == 0:
            return "Not started"
        return "Completed" if self.answered == self.total else "In progress"


@dataclass
class AnswersView:
    """The appraisee's answers in an appraisal: what a domain page shows (content)."""

    appraisal: Appraisal
    parties: set[Party]
    framework: Framework
    ratings: dict[str, ScaleLabel]
    reflections: dict[str, str]

    @property
    def editable(self) -> bool:
        return (Party.APPRAISEE in self.parties
                and self.appraisal.state in editable_states("edit_self_assessment"))

    @property
    def progress(self) -> list[DomainProgress]:
        return [DomainProgress(d, sum(1 for s in d.statements if s.id in self.ratings))
                for d in self.framework.domains]

    @property
    def complete(self) -> bool:
        return all(p.answered == p.total for p in self.progress)

    @property
    def summaries(self) -> dict[str, DomainSummary]:
        return {d.id: summarise_domain(d, self.ratings) for d in self.framework.domains}

    def next_domain(self, domain_id: str) -> Domain | None:
        return domain_after(self.framework, domain_id)


@dataclass
class AppraisalView(AnswersView):
    """One appraisal as its parties see it: content included."""

    context: AppraisalContext | None = None
    appraiser_reflections: dict[str, DomainReflection] = field(default_factory=dict)
    objectives: list[Objective] = field(default_factory=list)
    objective_reviews: list[ObjectiveReview] = field(default_factory=list)
    # Last year's agreed objectives of the same appointment, carried forward for review.
    previous_objectives: list[Objective] = field(default_factory=list)
    # Last year's objectives' progress at the year's check-ins (objective id -> notes).
    year_progress: dict[int, list[tuple[str, date, str, str]]] = field(default_factory=dict)
    # NHS England's regional director's input to a chair's appraisal, for the appraiser.
    regional_inputs: list[InputLine] = field(default_factory=list)
    development_actions: list[DevelopmentAction] = field(default_factory=list)
    fppt: FPPTAttestation | None = None
    # The person's FPPT year: once signed off, its outcome stands in the appraisal.
    fppt_year: FPPTYear | None = None
    signed: set[SignatureRole] = field(default_factory=set)
    returns: list[AppraisalRevision] = field(default_factory=list)
    has_record: bool = False


def domain_after(framework: Framework, domain_id: str) -> Domain | None:
    """The domain that follows ``domain_id``, or None after the last."""
    ids = [d.id for d in framework.domains]
    position = ids.index(domain_id)
    return framework.domains[position + 1] if position + 1 < len(ids) else None


@contextmanager
def refusals_logged(session: Session, actor: Actor, appraisal_id: int, page: str
                    ) -> Iterator[None]:
    """Log a NotFound or NotAllowed raised inside (at the session's moment), then let it go
    on to the error page."""
    try:
        yield
    except (NotFound, NotAllowed) as refusal:
        log_refused_access(actor=actor, what=f"the portal's {page} page",
                           appraisal_id=appraisal_id, reason=refusal.message,
                           at=moment_of(session))
        raise


_RATINGS = select(col(Rating.statement_id), col(Rating.value)).where(
    col(Rating.appraisal_id) == bindparam("appraisal_id"),
    col(Rating.revision) == bindparam("revision"))
_OWN_REFLECTIONS = select(col(DomainReflection.domain_id), col(DomainReflection.text)).where(
    col(DomainReflection.appraisal_id) == bindparam("appraisal_id"),
    col(DomainReflection.revision) == bindparam("revision"),
    col(DomainReflection.author) == ReflectionAuthor.APPRAISEE)


def _ratings(session: Session, appraisal: Appraisal) -> dict[str, ScaleLabel]:
    return dict(run_columns(
        session, _RATINGS, {"appraisal_id": appraisal.id, "revision": appraisal.revision}
    ).tuples().all())


def _answers(session: Session, appraisal: Appraisal, parties: set[Party]) -> AnswersView:
    reflections: dict[str, str] = dict(run_columns(
        session, _OWN_REFLECTIONS,
        {"appraisal_id": appraisal.id, "revision": appraisal.revision}).tuples().all())
    return AnswersView(appraisal, parties, framework_of(session, appraisal.framework_version_id),
                       _ratings(session, appraisal), reflections)


def _load(session: Session, appraisal: Appraisal, parties: set[Party], *,
          review: bool) -> AppraisalView:
    appraisal_id = appraisal.id or 0
    reflections: dict[str, str] = {}
    by_appraiser: dict[str, DomainReflection] = {}
    for row in session.execute(select(DomainReflection).where(
            col(DomainReflection.appraisal_id) == appraisal_id,
            col(DomainReflection.revision) == appraisal.revision)).scalars():
        if row.author is ReflectionAuthor.APPRAISEE:
            reflections[row.domain_id] = row.text
        else:
            by_appraiser[row.domain_id] = row
    view = AppraisalView(
        appraisal, parties, framework_of(session, appraisal.framework_version_id),
        _ratings(session, appraisal), reflections, context=context_of(session, appraisal),
        appraiser_reflections=by_appraiser,
        fppt=session.execute(select(FPPTAttestation).where(
            col(FPPTAttestation.appraisal_id) == appraisal_id)).scalar_one_or_none(),
        signed=set(signatures_of(session, appraisal)),
        has_record=session.execute(select(col(Record.id)).where(
            col(Record.appraisal_id) == appraisal_id)).first() is not None,
    )
    if view.context is not None:
        view.fppt_year = fppt_year_of(session, organisation_id=appraisal.organisation_id,
                                      person_id=appraisal.appraisee_id, year=view.context.year)
    if review or appraisal.state not in editable_states("edit_self_assessment"):
        view.objectives = list(session.execute(select(Objective).where(
            col(Objective.appraisal_id) == appraisal_id).order_by(col(Objective.position))
        ).scalars())
        view.objective_reviews = list(session.execute(select(ObjectiveReview).where(
            col(ObjectiveReview.appraisal_id) == appraisal_id).order_by(col(ObjectiveReview.id))
        ).scalars())
        view.development_actions = list(session.execute(select(DevelopmentAction).where(
            col(DevelopmentAction.appraisal_id) == appraisal_id)
            .order_by(col(DevelopmentAction.position))).scalars())
    if review:
        view.regional_inputs = inputs_of(session, appraisal_id)
        view.previous_objectives = previous_objectives(session, appraisal)
        if view.previous_objectives:
            view.year_progress = carried_progress(
                session, view.previous_objectives[0].appraisal_id)
    view.returns = list(session.execute(select(AppraisalRevision).where(
        col(AppraisalRevision.appraisal_id) == appraisal_id,
        col(AppraisalRevision.returned_at).is_not(None))
        .order_by(col(AppraisalRevision.revision))).scalars())
    return view


def _own(session: Session, actor: Actor, appraisal_id: int, page: str
         ) -> tuple[Appraisal, set[Party]]:
    with refusals_logged(session, actor, appraisal_id, page):
        appraisal, parties = get_appraisal(session, actor, appraisal_id)
        if Party.APPRAISEE not in parties:
            raise NotFound(f"There is no appraisal {appraisal_id} that you can see.")
    return appraisal, parties


def check_own(session: Session, actor: Actor, appraisal_id: int, page: str) -> None:
    """NotFound unless the actor is the appraisee: checked before anything a form says is
    read, so nobody else learns from the answer whether what they typed would do."""
    _own(session, actor, appraisal_id, page)


def own_appraisal(session: Session, actor: Actor, appraisal_id: int, page: str = "overview"
                  ) -> AppraisalView:
    """The director's own appraisal; anybody else's is NotFound, never a hint that it exists.

    Reads content: show it only after ``record_content_view`` (or use ``show_own_appraisal``).
    """
    appraisal, parties = _own(session, actor, appraisal_id, page)
    return _load(session, appraisal, parties, review=False)


def domain_of(framework: Framework, domain_id: str) -> Domain:
    """The framework's domain ``domain_id``, or NotFound (a page address can name any)."""
    try:
        return framework.domain(domain_id)
    except KeyError:
        raise NotFound(f"There is no domain '{domain_id}' in this appraisal.") from None


def show_own_domain(store: RequestStore, actor: Actor, appraisal_id: int, domain_id: str
                    ) -> tuple[AnswersView, Domain]:
    """The director's answers and the domain of a domain page, read without a lock; the
    view is audited once the domain is known to exist (before that, nothing is shown)."""
    with store.read() as session:
        appraisal, parties = _own(session, actor, appraisal_id, f"domain {domain_id}")
        view = _answers(session, appraisal, parties)
    domain = domain_of(view.framework, domain_id)
    record_view_alone(actor, appraisal, f"domain {domain_id}", now=store.now)
    return view, domain


def own_framework(session: Session, actor: Actor, appraisal_id: int) -> Framework:
    """The framework of the director's own appraisal (NotFound as above; no content read)."""
    appraisal, _ = _own(session, actor, appraisal_id, "domain")
    return framework_of(session, appraisal.framework_version_id)


def show_own_appraisal(store: RequestStore, actor: Actor, appraisal_id: int, page: str
                       ) -> AppraisalView:
    """``own_appraisal`` read without a lock, its view audited before it is returned."""
    with store.read() as session:
        view = own_appraisal(session, actor, appraisal_id, page)
    record_view_alone(actor, view.appraisal, page, now=store.now)
    return view


def reviewed_appraisal(session: Session, actor: Actor, appraisal_id: int) -> AppraisalView:
    """The appraisal as its appraiser (or a content viewer, read-only) sees it.

    Raises:
        NotFound: the actor has no standing on it at all.
        NotAllowed: the actor sees status only (an administrator without delegated access).
    """
    with refusals_logged(session, actor, appraisal_id, "review"):
        appraisal, parties = get_appraisal(session, actor, appraisal_id)
        if Party.APPRAISEE in parties and Party.APPRAISER not in parties:
            raise NotFound(f"There is no appraisal {appraisal_id} to review.")
        if Party.APPRAISER not in parties and not can_view_content(session, actor, appraisal):
            raise NotAllowed("You can see the status of this appraisal, not its content. The "
                             "chair can delegate access to content to the company secretary.")
    return _load(session, appraisal, parties, review=True)


def show_reviewed_appraisal(store: RequestStore, actor: Actor, appraisal_id: int
                            ) -> AppraisalView:
    """``reviewed_appraisal`` read without a lock, its view audited before it is returned."""
    with store.read() as session:
        view = reviewed_appraisal(session, actor, appraisal_id)
    record_view_alone(actor, view.appraisal, "review", now=store.now)
    return view


def domain_ids(session: Session, actor: Actor, appraisal_id: int) -> list[str]:
    """The domain ids of the framework the appraisal is pinned to (no content read)."""
    appraisal, _ = get_appraisal(session, actor, appraisal_id)
    return [d.id for d in framework_of(session, appraisal.framework_version_id).domains]


def latest_record(session: Session, actor: Actor, appraisal_id: int) -> Record:
    """The newest sealed PDF, for the parties and the content viewers.

    Raises:
        NotFound: no record yet, or the actor may not see this appraisal's content.
    """
    with refusals_logged(session, actor, appraisal_id, "record.pdf"):
        appraisal, parties = get_appraisal(session, actor, appraisal_id)
        if not (parties & {Party.APPRAISEE, Party.APPRAISER}
                or can_view_content(session, actor, appraisal)):
            raise NotFound(f"There is no record for appraisal {appraisal_id} that you can see.")
    record = session.execute(select(Record).where(col(Record.appraisal_id) == appraisal_id)
                             .order_by(col(Record.version).desc(), col(Record.id).desc())
                             .limit(1)).scalar_one_or_none()
    if record is None:
        raise NotFound("The signed record is not ready yet. It appears here once it is sealed.")
    record_content_view(session=session, actor=actor, appraisal=appraisal, page="record")
    return record


def fppt_signed_off(view: AppraisalView) -> bool:
    """Whether the person's FPPT year is signed off (its outcome then stands in the
    appraisal instead of the appraiser's confirmation)."""
    return view.fppt_year is not None and view.fppt_year.signed_off_at is not None
