"""Every action against every state and every party: allowed exactly where the lifecycle says."""

from __future__ import annotations

import itertools

import pytest

from appraisal_store.errors import InvalidTransition, NotAllowed
from appraisal_store.lifecycle import EDITABLE_BY, TRANSITIONS, Party, check_edit, check_transition
from appraisal_store.vocabulary import AppraisalState

S = AppraisalState
P = Party

# The lifecycle of ARCHITECTURE.md, written out independently of the code under test.
EXPECTED: dict[str, tuple[set[AppraisalState], AppraisalState, set[Party]]] = {
    "start_self_assessment": ({S.NOT_STARTED, S.RETURNED}, S.IN_PREPARATION, {P.APPRAISEE}),
    "submit_self_assessment": ({S.IN_PREPARATION, S.RETURNED}, S.SUBMITTED, {P.APPRAISEE}),
    "begin_review": ({S.SUBMITTED}, S.IN_REVIEW, {P.APPRAISER}),
    "return_for_changes": ({S.SUBMITTED, S.IN_REVIEW}, S.RETURNED, {P.APPRAISER}),
    "agree": ({S.IN_REVIEW}, S.AGREED, {P.APPRAISER}),
    "sign_as_appraisee": ({S.AGREED}, S.SIGNED_BY_APPRAISEE, {P.APPRAISEE}),
    "sign_as_appraiser": ({S.SIGNED_BY_APPRAISEE}, S.COMPLETE, {P.APPRAISER}),
    "mark_submitted_to_nhse": ({S.COMPLETE}, S.SUBMITTED_TO_NHSE, {P.ADMINISTRATOR, P.SYSTEM}),
    "reopen_for_correction": ({S.COMPLETE, S.SUBMITTED_TO_NHSE}, S.AGREED,
                              {P.ADMINISTRATOR, P.SYSTEM}),
    "withdraw": ({S.NOT_STARTED, S.IN_PREPARATION, S.SUBMITTED, S.IN_REVIEW, S.RETURNED,
                  S.AGREED, S.SIGNED_BY_APPRAISEE}, S.WITHDRAWN, {P.ADMINISTRATOR, P.SYSTEM}),
    "defer": ({S.NOT_STARTED, S.IN_PREPARATION, S.SUBMITTED, S.IN_REVIEW, S.RETURNED,
               S.AGREED, S.SIGNED_BY_APPRAISEE}, S.DEFERRED, {P.ADMINISTRATOR, P.SYSTEM}),
    "resume": ({S.DEFERRED}, S.NOT_STARTED, {P.ADMINISTRATOR, P.SYSTEM}),
}


def test_the_lifecycle_has_exactly_the_expected_actions() -> None:
    assert set(TRANSITIONS) == set(EXPECTED)


@pytest.mark.parametrize(("action", "state", "party"), list(itertools.product(
    sorted(EXPECTED), list(AppraisalState), list(Party))))
def test_every_action_state_and_party(action: str, state: AppraisalState, party: Party) -> None:
    sources, target, parties = EXPECTED[action]
    if party not in parties:
        with pytest.raises(NotAllowed, match="Only the"):
            check_transition(action, state, {party})
    elif state not in sources:
        with pytest.raises(InvalidTransition, match="You cannot"):
            check_transition(action, state, {party})
    else:
        assert check_transition(action, state, {party}).target is target


def test_withdrawn_and_finished_appraisals_are_final_for_people() -> None:
    for state, action in itertools.product((S.WITHDRAWN, S.COMPLETE), EXPECTED):
        if action == "reopen_for_correction" and state is S.COMPLETE:
            continue
        with pytest.raises((InvalidTransition, NotAllowed)):
            check_transition(action, state, {P.APPRAISEE, P.APPRAISER})


def test_messages_name_who_and_which_states() -> None:
    with pytest.raises(NotAllowed) as wrong_person:
        check_transition("agree", S.IN_REVIEW, {P.APPRAISEE})
    assert str(wrong_person.value) == "Only the appraiser can agree the appraisal."
    with pytest.raises(InvalidTransition) as wrong_state:
        check_transition("agree", S.SUBMITTED, {P.APPRAISER})
    assert "while the appraisal is submitted; it must be in review" in str(wrong_state.value)


@pytest.mark.parametrize(("kind", "state", "party"), list(itertools.product(
    sorted(EDITABLE_BY), list(AppraisalState), list(Party))))
def test_every_edit_state_and_party(kind: str, state: AppraisalState, party: Party) -> None:
    states, allowed = EDITABLE_BY[kind]
    allowed_with_system = set(allowed) | ({P.SYSTEM} if P.ADMINISTRATOR in allowed else set())
    if party not in allowed_with_system:
        with pytest.raises(NotAllowed):
            check_edit(kind, state, {party})
    elif state not in states:
        with pytest.raises(InvalidTransition):
            check_edit(kind, state, {party})
    else:
        check_edit(kind, state, {party})


def test_submitted_self_assessments_cannot_be_edited() -> None:
    for state in (S.SUBMITTED, S.IN_REVIEW, S.AGREED, S.COMPLETE):
        with pytest.raises(InvalidTransition):
            check_edit("edit_self_assessment", state, {P.APPRAISEE})


def test_state_labels_keep_nhs_england_capitalised() -> None:
    from appraisal_store.vocabulary import AppraisalState

    assert AppraisalState.SUBMITTED_TO_NHSE.label == "Submitted to NHS England"
    assert AppraisalState.SIGNED_BY_APPRAISEE.label == "Signed by appraisee"
