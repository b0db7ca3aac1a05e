"""Every template lives under ``templates/`` and one module builds the Jinja environments."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import StrictUndefined, UndefinedError

from templates.environments import emails_environment, pages_environment, reports_environment

ROOT = Path(__file__).resolve().parent.parent
CODE = ("competencies", "appraisal_store", "records", "flows", "portal", "commands", "bench")


def test_no_template_outside_the_templates_folder() -> None:
    stray = sorted(str(path.relative_to(ROOT)) for package in CODE
                   for path in (ROOT / package).rglob("*.html")
                   if "static" not in path.relative_to(ROOT / package).parts)
    assert stray == []


def test_only_templates_environments_builds_a_jinja_environment() -> None:
    builders = sorted(str(path.relative_to(ROOT)) for package in (*CODE, "templates")
                      for path in (ROOT / package).rglob("*.py")
                      if "Environment(" in path.read_text(encoding="utf-8"))
    assert builders == ["templates/environments.py"]


def test_each_environment_keeps_its_rules() -> None:
    assert emails_environment() is emails_environment()
    assert reports_environment() is reports_environment()
    assert emails_environment().undefined is StrictUndefined
    with pytest.raises(UndefinedError):
        emails_environment().from_string("{{ missing }}").render()
    assert pages_environment().from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    assert pages_environment().from_string("[{{ missing.part }}]").render() == "[]"
    assert reports_environment().get_template("completion.html").name == "completion.html"
