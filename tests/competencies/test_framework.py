"""Content hash (layout-proof, wording-sensitive), look-ups and the dictionary round trip."""

from __future__ import annotations

import json

import pytest

from competencies.errors import FrameworkError
from competencies.framework import Domain, Framework, Statement
from competencies.loader import default_framework, framework_from_dict, parse_framework
from tests.competencies.framework_text import OFFICIAL_NAMES, framework_text

REFORMATTED = """\
# The same framework as framework_text(), laid out differently: keys reordered,
# comments added, quoting and block styles changed, long text wrapped.
scale: [Almost always, Frequently, Occasionally, "Rarely or never",
        'No chance to demonstrate']
name: "Framework for tests"   # a trailing comment
version: "1.0"
framework_id: test-framework
source_note: >
  Written for
  the tests.
domains:
{domains}
"""


def reformatted_domains() -> str:
    blocks = []
    for number in range(1, 7):
        blocks.append(
            f"- statements:\n"
            f"  - text: |\n"
            f"      I do the first thing\n"
            f"        in domain {number}.\n"
            f"    id: d{number}.s1\n"
            f"  - {{id: d{number}.s2, text: 'I do the second thing in domain {number}.'}}\n"
            f"  what_good_looks_like: >-\n"
            f"    Good looks like\n"
            f"    domain {number}.\n"
            f"  name: {OFFICIAL_NAMES[number - 1]}\n"
            f"  number: {number}\n"
            f"  id: d{number}\n"
        )
    return "".join(blocks)


def test_hash_is_unchanged_by_layout_comments_key_order_and_quoting():
    original = parse_framework(framework_text())
    reformatted = parse_framework(REFORMATTED.format(domains=reformatted_domains()))

    assert reformatted == original
    assert reformatted.content_hash == original.content_hash


@pytest.mark.parametrize(
    ("original", "changed"),
    [
        ("I do the first thing in domain 3.", "I do the first thing in domain 3!"),
        ("I do the second thing in domain 6.", "I do the second  thing in domain six."),
        ("Good looks like domain 2.", "Good looks like domain two."),
        ("name: Framework for tests", "name: Framework for testing"),
        ("version: '1.0'", "version: '1.1'"),
        ("framework_id: test-framework", "framework_id: other-framework"),
        ("- id: d4.s2", "- id: d4.s9"),
        ("source_note: Written for the tests.", "source_note: Written for tests."),
    ],
)
def test_any_change_of_content_changes_the_hash(original, changed):
    text = framework_text()
    assert original in text

    assert parse_framework(text.replace(original, changed)).content_hash != (
        parse_framework(text).content_hash
    )


def test_paragraphs_survive_and_are_the_same_in_literal_and_folded_blocks():
    literal = framework_text().replace(
        "source_note: Written for the tests.",
        "source_note: |\n  First paragraph\n  wrapped.\n\n  Second paragraph.",
    )
    folded = framework_text().replace(
        "source_note: Written for the tests.",
        "source_note: >\n  First paragraph\n  wrapped.\n\n  Second paragraph.",
    )

    assert parse_framework(literal).source_note == "First paragraph wrapped.\n\nSecond paragraph."
    assert parse_framework(folded).content_hash == parse_framework(literal).content_hash


def test_to_dict_survives_json_and_rebuilds_the_same_framework():
    framework = default_framework()

    rebuilt = framework_from_dict(json.loads(json.dumps(framework.to_dict())))

    assert rebuilt == framework
    assert rebuilt.content_hash == framework.content_hash
    assert rebuilt.to_dict() == framework.to_dict()


def test_stored_content_that_no_longer_matches_its_hash_is_refused():
    content = default_framework().to_dict()
    content["domains"][2]["statements"][0]["text"] = "I altered this after it was pinned."

    with pytest.raises(FrameworkError) as caught:
        framework_from_dict(content)

    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].line is None
    assert "content_hash" in str(caught.value)
    assert str(caught.value).startswith("<dict>: ")


def test_dictionary_content_is_validated_like_a_file():
    content = default_framework().to_dict()
    del content["content_hash"]
    content["domains"] = content["domains"][:5]
    content["domains"][0]["statements"] = []

    with pytest.raises(FrameworkError) as caught:
        framework_from_dict(content)

    assert [problem.message for problem in caught.value.problems] == [
        "the framework must have exactly six domains; found 5",
        "domain 'd1' has no statements",
    ]


def test_content_hash_is_computed_and_cannot_be_passed_in():
    domain = Domain("d1", 1, "Name", "Summary.", [Statement("d1.s1", "I act.")])
    framework = Framework("x", "1", "X", "", [domain])

    assert isinstance(framework.domains, tuple)
    assert isinstance(domain.statements, tuple)
    assert len(framework.content_hash) == 64
    with pytest.raises(TypeError):
        Framework("x", "1", "X", "", (domain,), content_hash="0" * 64)  # type: ignore[call-arg]


def test_lookups_by_id_and_unknown_ids():
    framework = default_framework()

    assert framework.domain("d5").number == 5
    assert framework.domain_of("d2.s3").id == "d2"
    assert framework.statement_ids()[0] == "d1.s1"
    with pytest.raises(KeyError, match="no statement 'd9.s1'"):
        framework.statement("d9.s1")
    with pytest.raises(KeyError, match="no domain 'd7'"):
        framework.domain("d7")
