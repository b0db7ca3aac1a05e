"""The five scale labels: exact text, stored values, applicability."""

from __future__ import annotations

import pytest

from competencies.scale import SCALE_LABEL_TEXTS, ScaleLabel
from tests.competencies.framework_text import LABELS


def test_labels_are_the_exact_published_text_in_order():
    assert [answer.label for answer in ScaleLabel] == list(LABELS)
    assert SCALE_LABEL_TEXTS == LABELS


def test_stored_values_are_stable_strings_not_numbers():
    assert [answer.value for answer in ScaleLabel] == [
        "almost_always",
        "frequently",
        "occasionally",
        "rarely_or_never",
        "no_chance_to_demonstrate",
    ]
    assert ScaleLabel("rarely_or_never") is ScaleLabel.RARELY_OR_NEVER
    assert str(ScaleLabel.FREQUENTLY) == "frequently"


def test_only_no_chance_to_demonstrate_is_not_applicable():
    assert [answer for answer in ScaleLabel if not answer.applicable] == [
        ScaleLabel.NO_CHANCE_TO_DEMONSTRATE
    ]
    assert [answer for answer in ScaleLabel if answer.is_strong] == [
        ScaleLabel.ALMOST_ALWAYS,
        ScaleLabel.FREQUENTLY,
    ]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Almost always", ScaleLabel.ALMOST_ALWAYS),
        ("  rarely or  NEVER ", ScaleLabel.RARELY_OR_NEVER),
        ("No chance to demonstrate", ScaleLabel.NO_CHANCE_TO_DEMONSTRATE),
        ("occasionally", ScaleLabel.OCCASIONALLY),
        ("no_chance_to_demonstrate", ScaleLabel.NO_CHANCE_TO_DEMONSTRATE),
    ],
)
def test_from_label_finds_the_answer(text, answer):
    assert ScaleLabel.from_label(text) is answer


def test_from_label_refuses_other_wording_and_lists_the_labels():
    with pytest.raises(ValueError, match="'Sometimes' is not a scale label") as caught:
        ScaleLabel.from_label("Sometimes")

    assert "'No chance to demonstrate'" in str(caught.value)
