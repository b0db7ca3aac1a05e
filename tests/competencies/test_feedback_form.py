"""The stakeholder feedback form as data: the shipped file, and what a bad file is told."""

from __future__ import annotations

import pytest

from competencies.errors import FrameworkError
from competencies.feedback_form import (
    DEFAULT_FORM_PATH,
    default_feedback_form,
    feedback_form_from_dict,
    parse_feedback_form,
)
from competencies.loader import default_framework

SHIPPED = DEFAULT_FORM_PATH.read_text(encoding="utf-8")


def _problems(text: str) -> str:
    with pytest.raises(FrameworkError) as refused:
        parse_feedback_form(text, framework=default_framework(), source="form.yaml")
    return str(refused.value)


def test_the_shipped_form_covers_every_domain_in_both_variants_and_round_trips() -> None:
    form = default_feedback_form()
    domains = [d.id for d in default_framework().domains]
    for variant in form.variants:
        assert [d.domain_id for d in variant.domains] == domains
    assert form.variant_for("non-executive-director").id == "light"
    assert form.variant_for("chief-executive").id == "full"
    assert len(form.variant("light").statement_ids()) < len(form.variant("full").statement_ids())
    assert {g.id for g in form.groups} >= {"board", "executives", "stakeholders", "governors"}
    governors = form.group("governors")
    assert governors and governors.applies_to("chair", "foundation-trust")
    assert not governors.applies_to("chair", "nhs-trust")
    again = feedback_form_from_dict(form.to_dict())
    assert again == form and again.content_hash == form.content_hash


def test_a_missing_domain_is_named_with_the_line_of_the_variants_domains() -> None:
    text = SHIPPED.replace("""      - domain: d6
        statements:
          - id: light.d6.1
            text: Builds good relationships with partners and communities.
""", "")
    problems = _problems(text)
    line = SHIPPED.splitlines().index("  - id: light") + 6
    assert f"form.yaml:{line}: variant 'light' has no statements for domain 'd6'" in problems


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("  - Rarely or never\n", "  - Seldom\n", "scale label 4 is 'Seldom'"),
    ("id: full.d1.2", "id: full.d1.1", "statement id 'full.d1.1' is used twice"),
    ("for_roles: [non-executive-director", "for_roles: [trustee",
     "'trustee' is not one of"),
    ("free_text: overall", "free_text: somewhere", "write per_domain or overall"),
    ("respondents: 4", "respondents: many", "a whole number from 1 to 50"),
    ("  - domain: d1\n", "  - domain: d9\n", "domain 'd9' of variant 'full' is not a domain"),
])
def test_each_bad_value_is_named_with_its_line(old: str, new: str, expected: str) -> None:
    assert old in SHIPPED
    assert expected in _problems(SHIPPED.replace(old, new, 1))
