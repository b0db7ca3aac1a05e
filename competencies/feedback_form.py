"""The stakeholder feedback form as versioned data: groups, variants, statements, the scale.

A form file names who may be asked (the respondent groups) and one or more variants of the
form: the full one for executives and the chair, a lighter one for non-executive
directors. Each variant asks, for each of the six LCF domains of the framework, a few
observable statements rated on the same five labels ("No chance to demonstrate" is not
applicable, never low), and two free-text prompts, per domain or once overall. A bad file
raises one ``FrameworkError`` naming every problem with its line; a round pins the
form's version and content hash, so a new version never changes a round under way.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from competencies.errors import FrameworkError
from competencies.framework import Framework
from competencies.loader import located_document, read_text_file
from competencies.scale import SCALE_LABEL_TEXTS
from competencies.validation import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    _FrameworkReader,
    single_line_text,
)

__all__ = [
    "DEFAULT_FORM_PATH",
    "FREE_TEXT_PROMPTS",
    "FeedbackForm",
    "FeedbackVariant",
    "FormDomain",
    "FormStatement",
    "RespondentGroup",
    "default_feedback_form",
    "feedback_form_from_dict",
    "load_feedback_form",
    "parse_feedback_form",
]

DEFAULT_FORM_PATH = Path(__file__).with_name("feedback-form-2024.yaml")
#: The two free-text questions of every variant: key -> the question as shown.
FREE_TEXT_PROMPTS = {"do_well": "What they do well",
                     "do_differently": "What they could do differently"}
FREE_TEXT_PLACES = ("per_domain", "overall")
ROLES = ("chair", "chief-executive", "executive-director", "non-executive-director",
         "senior-independent-director")
ORG_TYPES = ("nhs-trust", "foundation-trust", "icb", "nhs-england")
_ROOT_KEYS = ("form_id", "version", "name", "source_note", "scale", "groups", "variants")
_GROUP_KEYS = ("id", "name", "only_for_roles", "only_for_org_types")
_VARIANT_KEYS = ("id", "name", "for_roles", "respondents", "free_text", "domains")
_DOMAIN_KEYS = ("domain", "statements")
_STATEMENT_KEYS = ("id", "text")


@dataclass(frozen=True)
class RespondentGroup:
    """Who a respondent speaks as (board colleagues, governors...); empty limits: anyone."""

    id: str
    name: str
    only_for_roles: tuple[str, ...] = ()
    only_for_org_types: tuple[str, ...] = ()

    def applies_to(self, role: str, org_type: str) -> bool:
        return ((not self.only_for_roles or role in self.only_for_roles)
                and (not self.only_for_org_types or org_type in self.only_for_org_types))


@dataclass(frozen=True)
class FormStatement:
    id: str
    text: str


@dataclass(frozen=True)
class FormDomain:
    domain_id: str
    statements: tuple[FormStatement, ...]


@dataclass(frozen=True)
class FeedbackVariant:
    """One form: for the roles listed, with the suggested number of respondents."""

    id: str
    name: str
    for_roles: tuple[str, ...]
    respondents: int
    free_text: str  # per_domain or overall
    domains: tuple[FormDomain, ...]

    def statement_ids(self) -> list[str]:
        return [s.id for d in self.domains for s in d.statements]

    def text_places(self) -> list[str | None]:
        """Where the free text is asked: each domain id, or once (None) overall."""
        if self.free_text == "per_domain":
            return [d.domain_id for d in self.domains]
        return [None]


@dataclass(frozen=True)
class FeedbackForm:
    form_id: str
    version: str
    name: str
    source_note: str
    groups: tuple[RespondentGroup, ...]
    variants: tuple[FeedbackVariant, ...]

    def variant(self, variant_id: str) -> FeedbackVariant:
        for variant in self.variants:
            if variant.id == variant_id:
                return variant
        raise KeyError(variant_id)

    def variant_for(self, role: str) -> FeedbackVariant:
        """The variant for a board role (the first that lists it, else the first)."""
        for variant in self.variants:
            if role in variant.for_roles:
                return variant
        return self.variants[0]

    def group(self, group_id: str) -> RespondentGroup | None:
        return next((g for g in self.groups if g.id == group_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "form_id": self.form_id, "version": self.version, "name": self.name,
            "source_note": self.source_note, "scale": list(SCALE_LABEL_TEXTS),
            "groups": [{"id": g.id, "name": g.name, "only_for_roles": list(g.only_for_roles),
                        "only_for_org_types": list(g.only_for_org_types)} for g in self.groups],
            "variants": [{"id": v.id, "name": v.name, "for_roles": list(v.for_roles),
                          "respondents": v.respondents, "free_text": v.free_text,
                          "domains": [{"domain": d.domain_id, "statements": [
                              {"id": s.id, "text": s.text} for s in d.statements]}
                              for d in v.domains]} for v in self.variants],
        }

    @property
    def content_hash(self) -> str:
        canonical = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False,
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def feedback_form_from_dict(content: dict[str, Any]) -> FeedbackForm:
    """The form as the store keeps it (``to_dict()``), validated when it was imported."""
    return FeedbackForm(
        form_id=content["form_id"], version=content["version"], name=content["name"],
        source_note=content.get("source_note", ""),
        groups=tuple(RespondentGroup(g["id"], g["name"], tuple(g.get("only_for_roles", ())),
                                     tuple(g.get("only_for_org_types", ())))
                     for g in content["groups"]),
        variants=tuple(FeedbackVariant(
            v["id"], v["name"], tuple(v["for_roles"]), int(v["respondents"]), v["free_text"],
            tuple(FormDomain(d["domain"], tuple(FormStatement(s["id"], s["text"])
                                                for s in d["statements"]))
                  for d in v["domains"])) for v in content["variants"]))


class _FormReader(_FrameworkReader):
    """The framework reader's checks of keys, texts and the scale, for a feedback form."""

    def __init__(self, framework: Framework) -> None:
        super().__init__()
        self.framework = framework
        self._ids: dict[str, int | None] = {}

    def _unique(self, kind: str, value: str, line: int | None) -> None:
        if value in self._ids:
            self.report(line, f"{kind} id '{value}' is used twice (first on line "
                              f"{self._ids[value]}); give each its own id")
        else:
            self._ids[value] = line

    def _list(self, fields: dict[str, tuple[ScalarNode, Node]], key: str, owner: str,
              line: int | None, *, required: bool = True) -> tuple[Node, ...]:
        if key not in fields:
            if required:
                self.report(line, f"{owner} has no {key}")
            return ()
        key_node, value = fields[key]
        if not isinstance(value, SequenceNode):
            self.report(key_node.line, f"{key} of {owner} must be a list")
            return ()
        return value.items

    def _words(self, fields: dict[str, tuple[ScalarNode, Node]], key: str, owner: str,
               allowed: tuple[str, ...], line: int | None) -> tuple[str, ...]:
        found = []
        for item in self._list(fields, key, owner, line, required=False):
            text = single_line_text(item) if isinstance(item, ScalarNode) else ""
            if text not in allowed:
                self.report(item.line, f"{key} of {owner}: '{text}' is not one of "
                                       f"{', '.join(allowed)}")
            else:
                found.append(text)
        return tuple(found)

    def read_form(self, root: Node | None) -> FeedbackForm | None:
        if not isinstance(root, MappingNode):
            self.report(getattr(root, "line", 1) or 1,
                        "a feedback form must be a mapping of form_id, version, name, scale, "
                        "groups and variants")
            return None
        fields = self._fields(root, _ROOT_KEYS, "the form")
        form_id = self._text(fields, "form_id", root.line, "the form", id_like=True)
        version = self._text(fields, "version", root.line, "the form", single_line=True)
        name = self._text(fields, "name", root.line, "the form", single_line=True)
        note = (self._text(fields, "source_note", root.line, "the form") or ""
                if "source_note" in fields else "")
        self._check_scale(fields, root.line)
        groups = [g for g in (self._group(n) for n in self._list(fields, "groups", "the form",
                                                                   root.line)) if g]
        if "groups" in fields and not groups and not self.problems:
            self.report(fields["groups"][0].line, "the form lists no respondent groups")
        variants = [v for v in (self._variant(n) for n in self._list(fields, "variants",
                                                                     "the form", root.line)) if v]
        if "variants" in fields and not variants and not self.problems:
            self.report(fields["variants"][0].line, "the form has no variant")
        if self.problems or None in (form_id, version, name):
            return None
        return FeedbackForm(form_id or "", version or "", name or "", note, tuple(groups),
                            tuple(variants))

    def _group(self, node: Node) -> RespondentGroup | None:
        if not isinstance(node, MappingNode):
            self.report(node.line, "each group must be a mapping of id and name")
            return None
        fields = self._fields(node, _GROUP_KEYS, "a group")
        group_id = self._text(fields, "id", node.line, "a group", id_like=True)
        name = self._text(fields, "name", node.line, "a group", single_line=True)
        if group_id:
            self._unique("group", group_id, node.line)
        roles = self._words(fields, "only_for_roles", "a group", ROLES, node.line)
        types = self._words(fields, "only_for_org_types", "a group", ORG_TYPES, node.line)
        if group_id is None or name is None:
            return None
        return RespondentGroup(group_id, name, roles, types)

    def _variant(self, node: Node) -> FeedbackVariant | None:
        if not isinstance(node, MappingNode):
            self.report(node.line, "each variant must be a mapping")
            return None
        fields = self._fields(node, _VARIANT_KEYS, "a variant")
        variant_id = self._text(fields, "id", node.line, "a variant", id_like=True)
        owner = f"variant '{variant_id}'"
        name = self._text(fields, "name", node.line, owner, single_line=True)
        if variant_id:
            self._unique("variant", variant_id, node.line)
        roles = self._words(fields, "for_roles", owner, ROLES, node.line)
        count = self._text(fields, "respondents", node.line, owner, single_line=True)
        if count is not None and not (count.isdigit() and 1 <= int(count) <= 50):
            self.report(fields["respondents"][0].line,
                        f"respondents of {owner} must be a whole number from 1 to 50")
            count = None
        place = self._text(fields, "free_text", node.line, owner, single_line=True)
        if place is not None and place not in FREE_TEXT_PLACES:
            self.report(fields["free_text"][0].line, f"free_text of {owner} is '{place}'; "
                                                     "write per_domain or overall")
            place = None
        domains = [d for d in (self._domain(n, owner) for n in
                               self._list(fields, "domains", owner, node.line)) if d]
        wanted = [d.id for d in self.framework.domains]
        given = [d.domain_id for d in domains]
        for missing in (d for d in wanted if d not in given):
            self.report(fields["domains"][0].line if "domains" in fields else node.line,
                        f"{owner} has no statements for domain '{missing}' "
                        f"({self.framework.domain(missing).name}); every variant covers "
                        "all six domains")
        if None in (variant_id, name, count, place):
            return None
        order = {d: i for i, d in enumerate(wanted)}
        return FeedbackVariant(variant_id or "", name or "", roles, int(count or 0),
                               place or "", tuple(sorted(domains,
                                                         key=lambda d: order[d.domain_id])))

    def _domain(self, node: Node, owner: str) -> FormDomain | None:
        if not isinstance(node, MappingNode):
            self.report(node.line, f"each domain of {owner} must be a mapping of domain and "
                                   "statements")
            return None
        fields = self._fields(node, _DOMAIN_KEYS, f"a domain of {owner}")
        domain_id = self._text(fields, "domain", node.line, f"a domain of {owner}",
                               id_like=True)
        known = [d.id for d in self.framework.domains]
        if domain_id is not None and domain_id not in known:
            self.report(fields["domain"][0].line, f"domain '{domain_id}' of {owner} is not a "
                                                  f"domain of the framework ({', '.join(known)})")
            return None
        statements = []
        items = self._list(fields, "statements", f"domain '{domain_id}' of {owner}", node.line)
        for item in items:
            if not isinstance(item, MappingNode):
                self.report(item.line, "each statement must be a mapping of id and text")
                continue
            parts = self._fields(item, _STATEMENT_KEYS, "a statement")
            statement_id = self._text(parts, "id", item.line, "a statement", id_like=True)
            text = self._text(parts, "text", item.line, f"statement '{statement_id}'",
                              single_line=True)
            if statement_id:
                self._unique("statement", statement_id, item.line)
            if statement_id and text:
                statements.append(FormStatement(statement_id, text))
        if "statements" in fields and not items:
            self.report(fields["statements"][0].line,
                        f"domain '{domain_id}' of {owner} has no statements")
        if domain_id is None or not statements:
            return None
        return FormDomain(domain_id, tuple(statements))


def parse_feedback_form(text: str, *, framework: Framework,
                        source: str = "<string>") -> FeedbackForm:
    """Parse and validate a feedback form written as YAML, against ``framework``'s domains.

    Raises:
        FrameworkError: every problem found, each with its 1-based line.
    """
    reader = _FormReader(framework)
    form = reader.read_form(located_document(text, source=source))
    if reader.problems or form is None:
        raise FrameworkError(reader.problems, source=source)
    return form


def load_feedback_form(path: str | os.PathLike[str], *, framework: Framework) -> FeedbackForm:
    """Read, parse and validate a form file (UTF-8 YAML).

    Raises:
        FrameworkError: unreadable, not UTF-8, malformed or breaking a rule, by line.
    """
    return parse_feedback_form(read_text_file(path), framework=framework,
                               source=os.fspath(path))


@cache
def default_feedback_form() -> FeedbackForm:
    """The form shipped with the project, against the shipped framework."""
    from competencies.loader import default_framework

    return load_feedback_form(DEFAULT_FORM_PATH, framework=default_framework())
