"""A framework file refused as a whole: empty or the wrong shape, missing, not UTF-8, or
YAML built to exhaust the loader (aliases that multiply it, nesting that recurses)."""

from __future__ import annotations

import pytest

from competencies.errors import FrameworkError, FrameworkProblem
from competencies.loader import load_framework, parse_framework
from tests.competencies.framework_text import (
    framework_text,
    line_of,
    only_problem,
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- a\n- b\n", "a framework must be a mapping"),
    ],
)
def test_empty_file_or_wrong_shape_is_refused(tmp_path, text, message):
    problem = only_problem(tmp_path, text)

    assert problem.line == 1
    assert problem.message.startswith(message)


def test_missing_file_is_a_framework_error_without_a_line(tmp_path):
    missing = tmp_path / "nowhere.yaml"

    with pytest.raises(FrameworkError) as caught:
        load_framework(missing)

    assert caught.value.problems[0].line is None
    assert str(caught.value).startswith(f"{missing}: cannot read the file")


def test_file_that_is_not_utf8_is_refused_with_the_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(framework_text().replace("Framework for tests", "Caf\u00e9").encode("latin-1"))

    with pytest.raises(FrameworkError) as caught:
        load_framework(path)

    assert caught.value.problems == [
        FrameworkProblem(
            line_of(framework_text(), "name: Framework"), caught.value.problems[0].message
        )
    ]
    assert "not UTF-8" in caught.value.problems[0].message


def test_a_self_referencing_alias_is_refused_not_recursed(tmp_path):
    text = framework_text().replace("source_note: Written for the tests.", "source_note: &a [*a]")

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, "source_note:")
    assert "refers to itself" in problem.message


def test_parse_framework_uses_the_given_source_name():
    with pytest.raises(FrameworkError) as caught:
        parse_framework("framework_id: x\n", source="upload.yaml")

    assert str(caught.value).splitlines()[0].startswith("upload.yaml:1: ")
    assert caught.value.source == "upload.yaml"


def test_a_billion_laughs_file_is_refused_at_the_alias_past_the_bound(tmp_path):
    laughs = ['lol0: &l0 "lol"'] + [
        f"lol{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, 10)]
    text = framework_text().replace("source_note: Written for the tests.",
                                    "source_note:\n  " + "\n  ".join(laughs))

    problem = only_problem(tmp_path, text)

    # The 21st alias is the third of lol3's nine.
    assert problem.line == line_of(text, "lol3:")
    assert "more than 20 YAML aliases" in problem.message


def test_aliases_within_their_count_that_multiply_the_file_are_refused(tmp_path):
    wide = "[" + ", ".join(["x"] * 500) + "]"
    text = framework_text().replace(
        "source_note: Written for the tests.",
        f"source_note:\n  a: &a {wide}\n  b: &b [" + ", ".join(["*a"] * 10) + "]\n"
        "  c: [" + ", ".join(["*b"] * 10) + "]")

    problem = only_problem(tmp_path, text)

    assert "expands to more than 20000 YAML nodes" in problem.message
    assert problem.line is not None and problem.line >= line_of(text, "source_note:")


@pytest.mark.parametrize("style", ["flow", "block"])
def test_a_deeply_nested_file_is_refused_with_its_line_not_a_recursion_error(tmp_path, style):
    depth = 5000
    nested = ("[" * depth + "]" * depth if style == "flow"
              else "\n".join("  " * (level + 1) + "- " for level in range(60)))
    text = framework_text().replace("source_note: Written for the tests.",
                                    f"source_note:\n{nested}" if style == "block"
                                    else f"source_note: {nested}")

    problem = only_problem(tmp_path, text)

    assert "nested more than 20 levels deep" in problem.message
    # The document is level 1 and source_note's value level 2: level 21 is the 20th list
    # (on source_note's line when written in flow style, one a line in block style).
    assert problem.line == line_of(text, "source_note:") + (0 if style == "flow" else 20)
