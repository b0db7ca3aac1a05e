"""The shipped LCF 2024 data file: exact official names and labels, sensible statements."""

from __future__ import annotations

import yaml

from competencies.loader import DEFAULT_FRAMEWORK_PATH, default_framework, load_framework
from competencies.scale import ScaleLabel
from tests.competencies.framework_text import LABELS, OFFICIAL_NAMES


def test_shipped_framework_loads_with_identity_and_hash():
    framework = default_framework()

    assert framework.framework_id == "lcf-2024"
    assert framework.version == "2024.1-project"
    assert "Leadership Competency Framework" in framework.name
    assert len(framework.content_hash) == 64
    int(framework.content_hash, 16)


def test_default_framework_is_loaded_once_and_equals_the_file():
    assert default_framework() is default_framework()
    assert load_framework(DEFAULT_FRAMEWORK_PATH) == default_framework()


def test_six_domains_with_exact_official_names_in_official_order():
    framework = default_framework()

    assert [domain.name for domain in framework.domains] == list(OFFICIAL_NAMES)
    assert [domain.number for domain in framework.domains] == [1, 2, 3, 4, 5, 6]
    assert [domain.id for domain in framework.domains] == ["d1", "d2", "d3", "d4", "d5", "d6"]


def test_each_domain_has_a_summary_and_five_to_eight_first_person_statements():
    for domain in default_framework().domains:
        assert len(domain.what_good_looks_like) > 40, domain.id
        assert 5 <= len(domain.statements) <= 8, domain.id
        for statement in domain.statements:
            assert statement.text.startswith("I "), statement.id
            assert statement.text.endswith("."), statement.id
            assert statement.id.startswith(f"{domain.id}.s"), statement.id


def test_statement_ids_are_unique_and_resolve_to_their_domain():
    framework = default_framework()
    ids = framework.statement_ids()

    assert len(ids) == len(set(ids))
    assert len(ids) == sum(len(domain.statements) for domain in framework.domains)
    assert framework.statement("d3.s4").id == "d3.s4"
    assert framework.domain_of("d3.s4").name == OFFICIAL_NAMES[2]


def test_scale_block_lists_the_five_exact_labels_in_order():
    raw = yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text(encoding="utf-8"))

    assert raw["scale"] == list(LABELS)
    assert [label.label for label in default_framework().scale] == list(LABELS)
    assert default_framework().scale[-1] is ScaleLabel.NO_CHANCE_TO_DEMONSTRATE


def test_source_note_says_names_are_official_and_statements_are_the_projects_own():
    note = default_framework().source_note

    assert "exact published text" in note
    assert "own" in note
    assert "not copied" in note
    assert "Open Government Licence" in note
    assert "appraisal framework import FILE" in note


def test_statements_do_not_reuse_the_hsj_quoted_wording():
    texts = " ".join(
        statement.text for domain in default_framework().domains for statement in domain.statements
    )

    assert "only voice" not in texts
    assert "[they]" not in texts
