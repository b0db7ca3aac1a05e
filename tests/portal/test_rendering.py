"""Our shortcuts to the NHS.UK design system's markup stay the design system's markup."""

from __future__ import annotations

import pytest

from appraisal_store.vocabulary import AppraisalState
from portal.rendering import STATE_COLOURS, pages


@pytest.mark.parametrize(("href", "text"), [
    ("/", "Home"),
    ("/appraisals/12", "Your appraisal"),
    ("/a?b=1&c=<2>", "Tom & Jerry's <board>"),
])
def test_our_back_link_writes_what_the_nhsuk_macro_writes(href: str, text: str) -> None:
    ours = pages.env.from_string(
        '{% from "macros.html" import back_link %}{{ back_link(href, text) }}')
    theirs = pages.env.from_string(
        '{% from "nhsuk/components/back-link/macro.jinja" import backLink %}'
        '{{ backLink({"href": href, "text": text}) }}')
    assert ours.render(href=href, text=text).strip() == theirs.render(href=href, text=text).strip()
    assert "&lt;" in ours.render(href="/", text="<b>")  # escaped, never markup


def test_every_state_has_a_tag_colour() -> None:
    assert set(STATE_COLOURS) == {state.value for state in AppraisalState}
    tag = pages.env.from_string('{% from "macros.html" import state_tag %}{{ state_tag(s) }}')
    assert 'nhsuk-tag--orange">' in tag.render(s=AppraisalState.RETURNED)
