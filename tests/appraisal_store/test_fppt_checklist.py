"""The FPPT checklist file: the shipped working list loads; bad files are refused by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from appraisal_store.errors import ValidationFailed
from appraisal_store.fppt_checklist import (
    DEFAULT_CHECKLIST_PATH,
    ESR_VALUES,
    SELF_ATTESTATION,
    default_checklist,
    load_checklist,
    parse_checklist,
)

SHIPPED = DEFAULT_CHECKLIST_PATH.read_text(encoding="utf-8")


def test_the_shipped_list_is_marked_as_the_projects_working_list() -> None:
    checklist = default_checklist()
    assert checklist.working_list
    assert "to be confirmed" in checklist.source_note
    assert "THE PROJECT'S WORKING LIST, TO BE CONFIRMED" in SHIPPED
    ids = [c.id for c in checklist.checks]
    for named in (SELF_ATTESTATION, "insolvency-register", "disqualified-directors",
                  "removed-trustees", "employment-tribunal", "social-media", "dbs",
                  "professional-registration", "qualifications", "employment-history",
                  "references", "lcf-appraisal"):
        assert named in ids
    assert checklist.declarations and checklist.reference_sections


def test_every_esr_column_names_a_known_value_or_check() -> None:
    checklist = default_checklist()
    ids = {c.id for c in checklist.checks}
    for column in checklist.esr_columns:
        assert column.value in ESR_VALUES or column.value.removeprefix("check:") in ids


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    start = -1
    for _ in range(occurrence):
        start = text.index(needle, start + 1)
    return text.count("\n", 0, start) + 1


def test_a_duplicate_id_is_refused_with_its_line() -> None:
    text = SHIPPED.replace("- id: removed-trustees", "- id: dbs")
    with pytest.raises(ValidationFailed) as refused:
        parse_checklist(text, source="mine.yaml")
    line = _line_of(text, "- id: dbs", 2)
    assert f"mine.yaml: line {line}: duplicate check id 'dbs'" in "\n".join(
        refused.value.problems)


def test_an_unknown_applies_to_is_refused_with_its_line() -> None:
    text = SHIPPED.replace("applies_to: clinically_registered", "applies_to: clinicians")
    with pytest.raises(ValidationFailed) as refused:
        parse_checklist(text, source="mine.yaml")
    line = _line_of(text, "applies_to: clinicians")
    assert any(p.startswith(f"mine.yaml: line {line}: ") and "unknown applies to "
               "'clinicians'" in p for p in refused.value.problems)


@pytest.mark.parametrize("broken, named", [
    ("checks: [", "not valid YAML"),
    ("", "the file is empty"),
    (SHIPPED.replace("    due: annually\n    applies_to: all\n  - id: insolvency", "    due: "
                     "weekly\n    applies_to: all\n  - id: insolvency"), "unknown due 'weekly'"),
    (SHIPPED.replace("value: check:dbs", "value: check:nothing"), "there is no check 'nothing'"),
])
def test_other_bad_files_are_refused(broken: str, named: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_checklist(broken)
    assert named in str(refused.value)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_bytes(b"checklist: x\nname: \xff\n")
    with pytest.raises(ValidationFailed) as refused:
        load_checklist(path)
    assert "line 2" in str(refused.value)
