"""The lifecycle of one appraisal, enforced in one place.

::

    not_started -> in_preparation -> submitted -> in_review -> agreed -> signed_by_appraisee
        -> complete -> (submitted_to_nhse)
    submitted | in_review -> returned -> in_preparation | submitted
    any open state -> withdrawn | deferred;  deferred -> not_started (resumed)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import InvalidTransition, NotAllowed
from .vocabulary import OPEN_STATES, AppraisalState

S = AppraisalState


class Party(StrEnum):
    """How the actor stands to one appraisal."""

    APPRAISEE = "appraisee"
    APPRAISER = "appraiser"
    ADMINISTRATOR = "administrator"  # the organisation's chair or company secretary, or an admin
    SYSTEM = "system"  # the operator's command line and the flows


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[AppraisalState]
    target: AppraisalState
    parties: frozenset[Party]
    description: str


def _t(action: str, sources: set[AppraisalState] | frozenset[AppraisalState],
       target: AppraisalState, parties: set[Party], description: str) -> Transition:
    return Transition(action, frozenset(sources), target, _with_system(parties), description)


def _with_system(parties: set[Party] | frozenset[Party]) -> frozenset[Party]:
    # The operator and the flows may do what an administrator may, never a person's own part.
    extra = {Party.SYSTEM} if Party.ADMINISTRATOR in parties else set()
    return frozenset(set(parties) | extra)


_ADMIN = {Party.ADMINISTRATOR}

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("start_self_assessment", {S.NOT_STARTED, S.RETURNED}, S.IN_PREPARATION,
           {Party.APPRAISEE}, "start the self-assessment"),
        _t("submit_self_assessment", {S.IN_PREPARATION, S.RETURNED}, S.SUBMITTED,
           {Party.APPRAISEE}, "submit the self-assessment"),
        _t("begin_review", {S.SUBMITTED}, S.IN_REVIEW, {Party.APPRAISER}, "begin the review"),
        _t("return_for_changes", {S.SUBMITTED, S.IN_REVIEW}, S.RETURNED, {Party.APPRAISER},
           "return the self-assessment for changes"),
        _t("agree", {S.IN_REVIEW}, S.AGREED, {Party.APPRAISER}, "agree the appraisal"),
        _t("sign_as_appraisee", {S.AGREED}, S.SIGNED_BY_APPRAISEE, {Party.APPRAISEE},
           "sign as the appraisee"),
        _t("sign_as_appraiser", {S.SIGNED_BY_APPRAISEE}, S.COMPLETE, {Party.APPRAISER},
           "sign as the appraiser"),
        _t("mark_submitted_to_nhse", {S.COMPLETE}, S.SUBMITTED_TO_NHSE, _ADMIN,
           "record the submission to NHS England"),
        _t("reopen_for_correction", {S.COMPLETE, S.SUBMITTED_TO_NHSE}, S.AGREED, _ADMIN,
           "reopen the signed record for a correction"),
        _t("withdraw", OPEN_STATES, S.WITHDRAWN, _ADMIN, "withdraw the appraisal"),
        _t("defer", OPEN_STATES, S.DEFERRED, _ADMIN, "defer the appraisal"),
        _t("resume", {S.DEFERRED}, S.NOT_STARTED, _ADMIN, "resume the deferred appraisal"),
    )
}

# Actions that change content but not the state: allowed only in these states.
EDITABLE_BY: dict[str, tuple[frozenset[AppraisalState], frozenset[Party]]] = {
    "edit_self_assessment": (
        frozenset({S.NOT_STARTED, S.IN_PREPARATION, S.RETURNED}), frozenset({Party.APPRAISEE})),
    "edit_review": (frozenset({S.IN_REVIEW}), frozenset({Party.APPRAISER})),
    "comment_as_appraisee": (
        frozenset({S.IN_REVIEW, S.AGREED}), frozenset({Party.APPRAISEE})),
    "extend_deadline": (OPEN_STATES, frozenset({Party.ADMINISTRATOR})),
    "reassign_appraiser": (OPEN_STATES, frozenset({Party.ADMINISTRATOR})),
}


# Whose move it is: the appraiser's in the states an appraiser's transition starts from
# (their queue, their reminders); the appraisee's in every other open state.
AWAITING_APPRAISER = frozenset(
    state for t in TRANSITIONS.values() if Party.APPRAISER in t.parties for state in t.sources)


def editable_states(kind: str) -> frozenset[AppraisalState]:
    """The states in which an edit of ``kind`` is allowed (``check_edit`` enforces them)."""
    return EDITABLE_BY[kind][0]


def _state_phrase(state: AppraisalState) -> str:
    return state.label.lower()


def check_transition(action: str, state: AppraisalState, parties: set[Party]) -> Transition:
    """Return the transition for ``action`` or raise the error a person can act on.

    Raises:
        NotAllowed: none of the actor's parties may take this action.
        InvalidTransition: the appraisal is in a state the action cannot start from.
    """
    transition = TRANSITIONS[action]
    if not parties & transition.parties:
        who = " or ".join(sorted(p.value for p in transition.parties - {Party.SYSTEM}))
        raise NotAllowed(f"Only the {who} can {transition.description}.")
    if state not in transition.sources:
        order = list(AppraisalState)
        allowed = ", ".join(_state_phrase(s) for s in sorted(transition.sources, key=order.index))
        if len(transition.sources) > 1:
            allowed = "one of: " + allowed
        raise InvalidTransition(
            f"You cannot {transition.description} while the appraisal is "
            f"{_state_phrase(state)}; it must be {allowed}."
        )
    return transition


def check_edit(kind: str, state: AppraisalState, parties: set[Party]) -> None:
    """Check a content edit that leaves the state alone (same errors as transitions)."""
    states, allowed = EDITABLE_BY[kind]
    if not parties & _with_system(allowed):
        who = " or ".join(sorted(p.value for p in allowed))
        raise NotAllowed(f"Only the {who} can do this ({kind.replace('_', ' ')}).")
    if state not in states:
        raise InvalidTransition(
            f"This appraisal is {_state_phrase(state)}, so you cannot "
            f"{kind.replace('_', ' ')} now."
        )
