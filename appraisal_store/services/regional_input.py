"""NHS England's regional director's input to a chair's appraisal, where the routing policy
gives them that part (an ICB's or NHS trust's chair by default): given before the
appraiser agrees the appraisal, read by the appraiser beside the review. Audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from ..actors import Actor
from ..audit import record_event
from ..errors import InvalidTransition, NotFound, ValidationFailed
from ..links import Page, for_reader
from ..models import Appraisal, Person
from ..names import text_problems
from ..nhse_tables import ExternalContributor, RegionalInput
from ..outbox import QueuedMessage
from ..routing_policy import RegionalDirectorPart
from ..vocabulary import AppraisalState
from .appraisal_changes import context_of
from .contributors import ContributorPart, live_contributors, role_route

S = AppraisalState
INPUT_LONGEST = 4000
# The input informs the review: it is given until the appraiser agrees the appraisal.
OPEN_TO_INPUT = frozenset({S.NOT_STARTED, S.IN_PREPARATION, S.SUBMITTED, S.IN_REVIEW,
                           S.RETURNED})


@dataclass(frozen=True)
class InputLine:
    name: str
    text: str
    given_at: datetime


@dataclass(frozen=True)
class InputPage:
    appraisal_id: int
    organisation: str
    year: str
    appraisee_name: str
    appraiser_name: str | None
    state: AppraisalState
    given: list[InputLine]

    @property
    def open(self) -> bool:
        return self.state in OPEN_TO_INPUT


def _regional_director(session: Session, actor: Actor, appraisal: Appraisal) -> None:
    """NotFound unless the policy gives the regional director input to this appraisal
    and the actor is registered as that regional director."""
    role, route = role_route(session, appraisal)
    if route.regional_director is RegionalDirectorPart.INPUT and actor.person_id is not None \
            and any(p.id == actor.person_id for _, p in live_contributors(
                session, appraisal.organisation_id, part=ContributorPart.REGIONAL_DIRECTOR,
                role=role)):
        return
    raise NotFound(f"There is no appraisal {appraisal.id} for you to give input to.")


def inputs_of(session: Session, appraisal_id: int) -> list[InputLine]:
    """The regional director's input to the appraisal, oldest first."""
    return [InputLine(name, given.text, given.given_at) for given, name in session.execute(
        select(RegionalInput, col(Person.name))
        .join(Person, col(Person.id) == RegionalInput.person_id)
        .where(col(RegionalInput.appraisal_id) == appraisal_id)
        .order_by(col(RegionalInput.given_at), col(RegionalInput.id))).tuples()]


def input_page(session: Session, actor: Actor, appraisal_id: int) -> InputPage:
    """The regional director's page of one chair's appraisal: status and their input.

    Raises:
        NotFound: not an appraisal the actor gives input to.
    """
    appraisal = session.get(Appraisal, appraisal_id)
    if appraisal is None:
        raise NotFound(f"There is no appraisal {appraisal_id} for you to give input to.")
    _regional_director(session, actor, appraisal)
    context = context_of(session, appraisal)
    return InputPage(appraisal_id, context.organisation, context.year,
                     context.appraisee_name, context.appraiser_name, appraisal.state,
                     inputs_of(session, appraisal_id))


def awaiting_input(session: Session, actor: Actor) -> list[InputPage]:
    """The chairs' appraisals the actor may still give input to."""
    if actor.person_id is None:
        return []
    organisations = set(session.execute(select(col(ExternalContributor.organisation_id)).where(
        col(ExternalContributor.person_id) == actor.person_id,
        col(ExternalContributor.part) == ContributorPart.REGIONAL_DIRECTOR.value,
        col(ExternalContributor.revoked_at).is_(None))).scalars())
    pages = []
    for appraisal_id in session.execute(select(col(Appraisal.id)).where(
            col(Appraisal.organisation_id).in_(organisations),
            col(Appraisal.state).in_(OPEN_TO_INPUT))
            .order_by(col(Appraisal.id))).scalars():
        try:
            pages.append(input_page(session, actor, appraisal_id))
        except NotFound:
            continue
    return pages


def give_input(*, session: Session, actor: Actor, appraisal_id: int, text: str,
               now: datetime) -> RegionalInput:
    """Record the regional director's input to a chair's appraisal. Audited.

    Raises:
        NotFound: not an appraisal the actor gives input to.
        InvalidTransition: the appraisal is agreed already (the input informs the review).
        ValidationFailed: no text, or text too long; nothing is written.
    """
    appraisal = session.execute(select(Appraisal).where(col(Appraisal.id) == appraisal_id)
                                .with_for_update()).scalar_one_or_none()
    if appraisal is None:
        raise NotFound(f"There is no appraisal {appraisal_id} for you to give input to.")
    _regional_director(session, actor, appraisal)
    if appraisal.state not in OPEN_TO_INPUT:
        raise InvalidTransition(
            f"This appraisal is {appraisal.state.label.lower()}: the regional director's "
            "input is given before the appraiser agrees it.")
    problems = [] if text.strip() else [
        "input: the input is empty; write the input for the appraiser"]
    problems += text_problems({"input: the input": text}, longest=INPUT_LONGEST)
    if problems:
        raise ValidationFailed("The input was not recorded.", problems)
    given = RegionalInput(appraisal_id=appraisal_id, person_id=actor.person_id or 0,
                          text=text.strip(), given_at=now)
    session.add(given)
    session.flush()
    record_event(session, actor, "regional_input_given", subject_type="appraisal",
                 subject_id=appraisal_id, organisation_id=appraisal.organisation_id,
                 details={"input": given.id}, at=now)
    return given


def input_requests(session: Session, appraisal: Appraisal) -> list[QueuedMessage]:
    """The emails asking the regional director for their input, when the policy gives them
    input to this appraisal: queued with the chair's first submitted self-assessment (once
    per appraisal, so a resubmission after a return asks nobody twice)."""
    role, route = role_route(session, appraisal)
    if route.regional_director is not RegionalDirectorPart.INPUT:
        return []
    context = context_of(session, appraisal)
    payload = context.payload(due=appraisal.review_due) | for_reader(Page.REGIONAL_INPUT)
    return [QueuedMessage(
        f"regional_input_requested:{appraisal.id}:{person.email}", "regional_input_requested",
        person.email, person.name, appraisal.id, payload)
        for _, person in live_contributors(session, appraisal.organisation_id,
                                           part=ContributorPart.REGIONAL_DIRECTOR, role=role)]
