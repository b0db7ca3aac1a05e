"""The FPPT's spreadsheets, written by the one exporter (``exports``): the Electronic
Staff Record's FPPT fields (columns as the checklist file lists them) and the annual
submission's lines."""

from __future__ import annotations

from collections.abc import Sequence

from .date_words import long_date
from .exports import Cell, Sheet
from .fppt_checklist import Checklist
from .fppt_queries import MemberYear, ReferenceRow, outcome_label


def _esr_value(member: MemberYear, value: str, organisation: str) -> Cell:
    year = member.year
    if value.startswith("check:"):
        wanted = value.removeprefix("check:")
        status = next((c for c in member.checks if c.check.id == wanted), None)
        return status.entry.done_on if status is not None and status.entry else None
    signed_on = year.signed_off_at.date() if year.signed_off_at else None
    return {
        "staff_number": member.staff_number or "",
        "name": member.name,
        "email": member.email,
        "organisation": organisation,
        "role": year.role.label,
        "year": year.year,
        "assessment_date": signed_on,
        "outcome": outcome_label(year.outcome, year.state),
        "self_attestation_date": member.self_attested_on,
        "sign_off_date": signed_on,
        "signed_off_by": member.signed_off_by or "",
    }[value]


def esr_sheet(members: Sequence[MemberYear], checklist: Checklist, organisation: str
              ) -> Sheet:
    """A line per board member with the ESR's FPPT fields, in the checklist's columns."""
    return Sheet("ESR FPPT", [c.column for c in checklist.esr_columns], [
        [_esr_value(m, c.value, organisation) for c in checklist.esr_columns]
        for m in members])


SUBMISSION_COLUMNS = ("Board member", "Role", "Interim", "FPPT state", "Outcome",
                      "Signed off on", "Signed off by", "Mitigation or concern", "Left on",
                      "Board Member Reference")


def submission_sheet(members: Sequence[MemberYear], references: Sequence[ReferenceRow]
                     ) -> Sheet:
    """The submission's line per board member (leavers in the year included)."""
    by_person = {r.reference.person_id: r for r in references}
    lines: list[list[Cell]] = []
    for m in members:
        reference = by_person.pop(m.year.person_id, None)
        lines.append([
            m.name, m.year.role.label, "yes" if m.interim else "no", m.year.state.label,
            outcome_label(m.year.outcome, m.year.state) if m.year.outcome else
            (m.year.not_required_reason or ""),
            m.year.signed_off_at.date() if m.year.signed_off_at else None,
            m.signed_off_by or "", m.mitigation or m.year.chair_decision or "",
            m.left_on, _reference_state(reference)])
    for reference in by_person.values():  # left before the year's FPPT opened
        lines.append([reference.name, reference.role.label, "", "Left before the year's "
                      "FPPT", "", None, "", "", reference.reference.left_on,
                      _reference_state(reference)])
    return Sheet("FPPT submission", SUBMISSION_COLUMNS, lines)


def _reference_state(reference: ReferenceRow | None) -> str:
    if reference is None:
        return ""
    if reference.reference.signed_at is not None:
        return f"completed {long_date(reference.reference.signed_at)}"
    return f"not completed (due {long_date(reference.reference.due_on)})"
