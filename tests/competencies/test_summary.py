"""Domain summaries: counts, strong share among applicable answers, development flags."""

from __future__ import annotations

import pytest

from competencies.framework import Domain, Statement
from competencies.loader import default_framework
from competencies.scale import ScaleLabel
from competencies.summary import (
    NO_CHANCE_FLAG_REASON,
    RARELY_FLAG_REASON,
    median_label,
    summarise_all,
    summarise_domain,
)

AA = ScaleLabel.ALMOST_ALWAYS
FR = ScaleLabel.FREQUENTLY
OC = ScaleLabel.OCCASIONALLY
RN = ScaleLabel.RARELY_OR_NEVER
NC = ScaleLabel.NO_CHANCE_TO_DEMONSTRATE

DOMAIN = Domain(
    id="d1",
    number=1,
    name="Driving high quality and sustainable outcomes",
    what_good_looks_like="Good outcomes.",
    statements=tuple(Statement(f"d1.s{n}", f"I do thing {n}.") for n in range(1, 7)),
)


def rated(*answers: ScaleLabel | None) -> dict[str, ScaleLabel | None]:
    """Ratings for DOMAIN's statements in order; fewer answers leave the rest unanswered."""
    return {f"d1.s{n}": answer for n, answer in enumerate(answers, start=1)}


def test_mixed_answers_are_counted_and_strong_share_is_among_applicable_only():
    summary = summarise_domain(DOMAIN, rated(AA, AA, FR, OC, RN, NC))

    assert dict(summary.counts) == {AA: 2, FR: 1, OC: 1, RN: 1, NC: 1}
    assert list(summary.counts) == list(ScaleLabel)
    assert (summary.applicable, summary.not_applicable, summary.unanswered) == (5, 1, 0)
    assert summary.strong_share == pytest.approx(3 / 5)
    assert (summary.flagged, summary.flag_reason) == (False, None)


def test_no_chance_is_left_out_of_the_strong_share():
    summary = summarise_domain(DOMAIN, rated(AA, NC, NC, FR, OC, OC))

    # 2 strong of 4 applicable; counting no-chance would give 2 of 6.
    assert summary.strong_share == pytest.approx(0.5)


def test_all_no_chance_has_no_share_and_is_flagged_for_no_chance():
    summary = summarise_domain(DOMAIN, rated(NC, NC, NC, NC, NC, NC))

    assert (summary.applicable, summary.not_applicable) == (0, 6)
    assert summary.strong_share is None
    assert summary.flagged is True
    assert summary.flag_reason == NO_CHANCE_FLAG_REASON
    assert "No chance to demonstrate" in summary.flag_reason


def test_most_applicable_answers_rarely_or_never_is_flagged():
    summary = summarise_domain(DOMAIN, rated(RN, RN, RN, OC, FR, NC))

    assert summary.flagged is True
    assert summary.flag_reason == RARELY_FLAG_REASON
    assert summary.flag_reason.startswith("Most applicable answers are 'Rarely or never'")
    assert summary.strong_share == pytest.approx(1 / 5)


def test_exactly_half_rarely_or_never_is_not_flagged():
    summary = summarise_domain(DOMAIN, rated(RN, RN, AA, FR))

    assert summary.applicable == 4
    assert summary.flagged is False
    assert summary.flag_reason is None


def test_exactly_half_no_chance_is_not_flagged():
    summary = summarise_domain(DOMAIN, rated(NC, NC, NC, AA, OC, FR))

    assert (summary.not_applicable, summary.answered) == (3, 6)
    assert summary.flagged is False


def test_no_chance_never_counts_as_low():
    # One applicable answer, "Occasionally"; the no-chance answers must not make
    # "Rarely or never" the majority, and are exactly half of all answers.
    summary = summarise_domain(DOMAIN, rated(OC, NC))

    assert summary.counts[RN] == 0
    assert summary.flagged is False


def test_rarely_among_few_applicable_answers_is_flagged_even_with_no_chance():
    summary = summarise_domain(DOMAIN, rated(RN, NC, AA, RN))

    # 2 of 3 applicable are "Rarely or never"; 1 of 4 answers is no-chance.
    assert summary.flag_reason == RARELY_FLAG_REASON


def test_both_reasons_are_given_when_both_hold():
    summary = summarise_domain(DOMAIN, rated(RN, NC, NC, NC))

    assert summary.flagged is True
    assert summary.flag_reason == f"{RARELY_FLAG_REASON} {NO_CHANCE_FLAG_REASON}"


def test_unanswered_statements_are_counted_apart_and_are_not_answers():
    ratings = {"d1.s1": AA, "d1.s2": None, "d1.s3": NC, "d2.s1": RN}

    summary = summarise_domain(DOMAIN, ratings)

    assert summary.unanswered == 4
    assert summary.answered == 2
    assert sum(summary.counts.values()) == 2
    assert summary.counts[RN] == 0  # d2.s1 belongs to another domain
    assert summary.strong_share == pytest.approx(1.0)
    assert summary.flagged is False


def test_nothing_answered_has_no_share_and_no_flag():
    summary = summarise_domain(DOMAIN, {})

    assert (summary.unanswered, summary.answered) == (6, 0)
    assert summary.strong_share is None
    assert summary.flagged is False


def test_stored_string_values_are_accepted_and_anything_else_refused():
    summary = summarise_domain(DOMAIN, {"d1.s1": "frequently", "d1.s2": "almost_always"})

    assert summary.counts[FR] == 1
    assert summary.counts[AA] == 1
    with pytest.raises(ValueError):
        summarise_domain(DOMAIN, {"d1.s1": "sometimes"})


def test_counts_are_read_only_and_to_dict_is_json_ready():
    summary = summarise_domain(DOMAIN, rated(AA, NC))

    with pytest.raises(TypeError):
        summary.counts[AA] = 5  # type: ignore[index]
    assert summary.to_dict()["counts"] == {
        "almost_always": 1,
        "frequently": 0,
        "occasionally": 0,
        "rarely_or_never": 0,
        "no_chance_to_demonstrate": 1,
    }
    assert summary.to_dict()["strong_share"] == 1.0


def test_summarise_all_gives_one_summary_per_domain_in_order():
    framework = default_framework()
    ratings = {statement.id: RN for statement in framework.domain("d3").statements}

    summaries = summarise_all(framework, ratings)

    assert [summary.domain_id for summary in summaries] == ["d1", "d2", "d3", "d4", "d5", "d6"]
    assert [summary.flagged for summary in summaries] == [False, False, True, False, False, False]
    assert summaries[0].unanswered == len(framework.domain("d1").statements)


def test_summarise_all_refuses_ratings_for_statements_of_another_version():
    with pytest.raises(ValueError, match="does not have: d9.s1, x"):
        summarise_all(default_framework(), {"d1.s1": AA, "x": FR, "d9.s1": OC})


@pytest.mark.parametrize(
    ("answers", "median"),
    [
        ([AA], AA),
        ([RN, AA, FR], FR),
        ([AA, RN], RN),  # even count: the lower middle answer
        ([AA, AA, FR, OC], FR),
        ([AA, FR, NC, NC, NC], FR),  # no-chance left out, not treated as low
        ([OC, None, AA, AA], AA),
        ([NC, NC], None),
        ([], None),
    ],
)
def test_median_label_of_applicable_answers(answers, median):
    assert median_label(answers) is median
