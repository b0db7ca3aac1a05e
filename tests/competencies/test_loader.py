"""Loading a framework file: every problem reported, each with the line it is on."""

from __future__ import annotations

import pytest

from competencies.errors import FrameworkError, FrameworkProblem
from competencies.loader import load_framework
from tests.competencies.framework_text import (
    OFFICIAL_NAMES,
    domain_block,
    framework_text,
    line_of,
    only_problem,
    problems_of,
    write,
)


def test_a_valid_file_loads(tmp_path):
    framework = load_framework(write(tmp_path, framework_text()))

    assert framework.framework_id == "test-framework"
    assert framework.version == "1.0"
    assert [domain.name for domain in framework.domains] == list(OFFICIAL_NAMES)
    assert framework.statement("d6.s2").text == "I do the second thing in domain 6."


def test_yaml_syntax_error_names_its_line(tmp_path):
    text = framework_text().replace("name: Framework for tests", "name: Framework: for tests")

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, "name: Framework: for tests")
    assert "not valid YAML" in problem.message


def test_unclosed_quote_names_the_line_it_was_opened_on(tmp_path):
    text = framework_text().replace("version: '1.0'", "version: '1.0")

    problem = only_problem(tmp_path, text)

    assert f"from line {line_of(text, 'version:')}" in problem.message


def test_error_text_lists_problems_as_file_line_message(tmp_path):
    text = framework_text().replace("version: '1.0'\n", "")
    path = write(tmp_path, text)

    with pytest.raises(FrameworkError) as caught:
        load_framework(path)

    assert str(caught.value) == f"{path}:1: the framework has no version"


@pytest.mark.parametrize("key", ["framework_id", "version", "name"])
def test_missing_identity_field_is_reported_at_the_top_of_the_file(tmp_path, key):
    text = "\n".join(
        line for line in framework_text().splitlines() if not line.startswith(f"{key}:")
    )

    problem = only_problem(tmp_path, text)

    assert problem == FrameworkProblem(1, f"the framework has no {key}")


@pytest.mark.parametrize(
    ("original", "replacement"),
    [
        ("framework_id: test-framework", "framework_id: ''"),
        ("version: '1.0'", "version:"),
        ("name: Framework for tests", "name: '   '"),
    ],
)
def test_empty_identity_field_is_reported_on_its_line(tmp_path, original, replacement):
    text = framework_text().replace(original, replacement)

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, replacement)
    assert problem.message.endswith("of the framework is empty")


@pytest.mark.parametrize("count", [5, 7])
def test_not_exactly_six_domains_is_reported_on_the_domains_line(tmp_path, count):
    text = framework_text(domain_count=6 if count == 7 else count)
    if count == 7:
        text += domain_block(7, name="A local seventh domain")

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, "domains:")
    assert problem.message == f"the framework must have exactly six domains; found {count}"


def test_domain_with_empty_statement_list_is_reported_on_its_statements_line(tmp_path):
    text = framework_text().replace(
        "    statements:\n      - id: d4.s1\n        text: I do the first thing in domain 4.\n"
        "      - id: d4.s2\n        text: I do the second thing in domain 4.\n",
        "    statements: []\n",
    )

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, "statements: []")
    assert problem.message == "domain 'd4' has no statements"


def test_domain_without_statements_key_is_reported_on_the_domain_line(tmp_path):
    block = domain_block(2)
    without = block.split("    statements:\n")[0]
    text = framework_text().replace(block, without)

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, "- id: d2", whole=True)
    assert problem.message == "domain 'd2' has no statements"


def test_duplicate_domain_id_names_both_lines(tmp_path):
    text = framework_text().replace("  - id: d5\n", "  - id: d2\n")

    problem = only_problem(tmp_path, text)

    first = line_of(text, "- id: d2", whole=True)
    second = line_of(text, "- id: d2", occurrence=2, whole=True)
    assert problem.line == second
    assert f"lines {first} and {second}" in problem.message
    assert "domain id 'd2' is used twice" in problem.message


def test_duplicate_statement_id_across_domains_names_both_lines(tmp_path):
    text = framework_text().replace("- id: d6.s1", "- id: d1.s2")

    problem = only_problem(tmp_path, text)

    first, second = line_of(text, "id: d1.s2"), line_of(text, "id: d1.s2", occurrence=2)
    assert problem.line == second
    assert problem.message.startswith(f"statement id 'd1.s2' is used twice: lines {first} and")


def test_empty_statement_text_is_reported_on_its_line(tmp_path):
    text = framework_text().replace("text: I do the second thing in domain 3.", 'text: ""')

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, 'text: ""')
    assert problem.message == "text of statement 'd3.s2' is empty"


def test_empty_what_good_looks_like_is_reported(tmp_path):
    text = framework_text().replace(
        "what_good_looks_like: Good looks like domain 1.", "what_good_looks_like:"
    )

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, "what_good_looks_like:")
    assert problem.message == "what_good_looks_like of domain 'd1' is empty"


def test_scale_label_out_of_order_is_reported_on_each_wrong_line(tmp_path):
    text = framework_text().replace(
        "  - Frequently\n  - Occasionally\n", "  - Occasionally\n  - Frequently\n"
    )

    problems = problems_of(tmp_path, text)

    assert [problem.line for problem in problems] == [
        line_of(text, "- Occasionally"),
        line_of(text, "- Frequently"),
    ]
    assert problems[0].message.startswith("scale label 2 is 'Occasionally'; expected 'Frequently'")


def test_scale_label_with_other_wording_is_refused(tmp_path):
    text = framework_text().replace("  - Rarely or never\n", "  - Rarely\n")

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, "- Rarely")
    assert "expected 'Rarely or never'" in problem.message


def test_scale_with_four_labels_is_reported_on_the_scale_line(tmp_path):
    text = framework_text().replace("  - No chance to demonstrate\n", "")

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, "scale:")
    assert "exactly the five labels" in problem.message
    assert "found 4" in problem.message


def test_missing_scale_is_reported(tmp_path):
    text = (
        framework_text().split("scale:\n")[0]
        + "domains:\n"
        + framework_text().split("domains:\n")[1]
    )

    problem = only_problem(tmp_path, text)

    assert problem.line == 1
    assert problem.message.startswith("the framework has no scale")


def test_several_problems_in_one_file_are_all_reported_in_line_order(tmp_path):
    text = (
        framework_text()
        .replace("version: '1.0'", "version: ''")
        .replace("  - Occasionally\n", "  - Sometimes\n")
        .replace("- id: d4.s2", "- id: d4.s1")
        .replace("text: I do the first thing in domain 5.", "text: ''  # emptied")
    )
    text += "  - id: d7\n    name: Extra\n    what_good_looks_like: More.\n"
    path = write(tmp_path, text)

    with pytest.raises(FrameworkError) as caught:
        load_framework(path)

    expected_lines = [
        line_of(text, "version: ''"),
        line_of(text, "- Sometimes"),
        line_of(text, "domains:"),
        line_of(text, "- id: d4.s1", occurrence=2),
        line_of(text, "# emptied"),
        line_of(text, "- id: d7"),
    ]
    assert [problem.line for problem in caught.value.problems] == expected_lines
    report = str(caught.value).splitlines()
    assert report == [
        f"{path}:{line}: {problem.message}"
        for line, problem in zip(expected_lines, caught.value.problems, strict=True)
    ]
    assert report[3].startswith(f"{path}:{expected_lines[3]}: statement id 'd4.s1' is used twice")
    assert report[5] == f"{path}:{expected_lines[5]}: domain 'd7' has no statements"


def test_unexpected_and_repeated_keys_are_reported(tmp_path):
    text = framework_text().replace(
        "    number: 3\n", "    number: 3\n    colour: blue\n    number: 3\n"
    )

    problems = problems_of(tmp_path, text)

    assert [problem.line for problem in problems] == [
        line_of(text, "colour: blue"),
        line_of(text, "number: 3", occurrence=2),
    ]
    assert "unexpected key 'colour'" in problems[0].message
    assert f"gives 'number' twice (first on line {line_of(text, 'number: 3')})" in (
        problems[1].message
    )


def test_domain_number_must_match_its_position(tmp_path):
    text = framework_text().replace("    number: 2\n", "    number: 5\n")

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, "number: 5")
    assert "numbered 5 but is listed in position 2" in problem.message


def test_domain_number_is_optional_and_taken_from_the_position(tmp_path):
    text = framework_text().replace("    number: 3\n", "")

    assert load_framework(write(tmp_path, text)).domain("d3").number == 3


def test_ids_with_unsafe_characters_are_refused(tmp_path):
    text = framework_text().replace("- id: d2.s1", "- id: d2 s1")

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, "- id: d2 s1")
    assert "may contain only letters, digits" in problem.message


@pytest.mark.parametrize(
    ("printed", "official"),
    [
        ("Setting strategy and delivering long-term transformation", OFFICIAL_NAMES[1]),
        (
            "Promoting equality and inclusion and reducing health and workforce inequalities",
            OFFICIAL_NAMES[2],
        ),
        ("Leading for equality", OFFICIAL_NAMES[2]),
        ("Delivering a compassionate, just and positive culture", OFFICIAL_NAMES[4]),
        ("Building trusted relationships with partners and communities", OFFICIAL_NAMES[5]),
        ("Driving high quality, sustainable outcomes", OFFICIAL_NAMES[0]),
    ],
)
def test_known_variant_domain_names_are_normalised_to_the_official_name(
    tmp_path, printed, official
):
    number = OFFICIAL_NAMES.index(official) + 1
    text = framework_text().replace(domain_block(number), domain_block(number, name=printed))

    framework = load_framework(write(tmp_path, text))

    assert framework.domains[number - 1].name == official


def test_a_local_domain_name_is_kept_as_written(tmp_path):
    text = framework_text().replace(domain_block(4), domain_block(4, name="Local governance"))

    assert load_framework(write(tmp_path, text)).domain("d4").name == "Local governance"


def test_two_domains_normalising_to_the_same_name_are_refused(tmp_path):
    text = framework_text().replace(
        domain_block(5),
        domain_block(5, name="Setting strategy and delivering long-term transformation"),
    )

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, "long-term transformation")
    assert f"domain name '{OFFICIAL_NAMES[1]}' is used twice" in problem.message
