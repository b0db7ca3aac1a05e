"""Each rule of the record is written once: the chain's start and its head row, the sets of
states the lifecycle names, and who leads a board.

A copy of a rule drifts from its original the first time one of them changes; these tests
find a copy by its shape in the source.
"""

from __future__ import annotations

import re
from pathlib import Path

from appraisal_store.lifecycle import AWAITING_APPRAISER, TRANSITIONS, Party, editable_states
from appraisal_store.vocabulary import OPEN_STATES, AppraisalState

ROOT = Path(__file__).resolve().parent.parent
CODE = ("competencies", "appraisal_store", "records", "flows", "portal", "commands")
# A literal set of two or more states: ``{AppraisalState.X, AppraisalState.Y}``.
_STATE_SET = re.compile(r"[{(]\s*AppraisalState\.\w+\s*,\s*AppraisalState\.\w+")


def _sources(*packages: str) -> dict[str, str]:
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
            for package in packages for path in sorted((ROOT / package).rglob("*.py"))
            if "versions" not in path.parts}


def test_the_chains_starting_hash_is_written_once() -> None:
    holders = sorted(name for name, text in _sources(*CODE).items()
                     if re.search(r"""["']0["']\s*\*\s*64""", text))
    assert holders == ["appraisal_store/audit_hashing.py"]


def test_only_the_audit_writer_writes_the_chains_head_row() -> None:
    writers = sorted(name for name, text in _sources(*CODE).items()
                     if "AuditHead.__table__" in text or "table_of(AuditHead)" in text
                     or re.search(r"(INSERT\s+INTO|UPDATE)\s+audithead", text, re.IGNORECASE))
    assert writers == ["appraisal_store/audit.py"]


def test_sets_of_states_are_named_by_the_store_only() -> None:
    # Callers take the states from the vocabulary and the lifecycle (what may be edited,
    # whose move it is), never from a copy of their own.
    copies = sorted(name for name, text in _sources("records", "flows", "portal",
                                                     "commands").items()
                    if _STATE_SET.search(text))
    assert copies == []


def test_whose_move_it_is_follows_the_transitions() -> None:
    appraisee_moves = {state for t in TRANSITIONS.values() if Party.APPRAISEE in t.parties
                       for state in t.sources}
    assert AWAITING_APPRAISER == {AppraisalState.SUBMITTED, AppraisalState.IN_REVIEW,
                                  AppraisalState.SIGNED_BY_APPRAISEE}
    assert AWAITING_APPRAISER | appraisee_moves == OPEN_STATES  # someone's move in each
    assert editable_states("edit_self_assessment") <= appraisee_moves


def test_who_leads_a_board_is_decided_in_the_access_module() -> None:
    leaders = sorted(name for name, text in _sources("records", "flows", "portal",
                                                      "commands").items()
                     if re.search(r"role\)?\.in_\(\s*\[?\s*\(?BoardRole\.CHAIR", text))
    assert leaders == []
