"""Validate a framework's content and build it, collecting every problem with its line.

The loader turns a YAML file (or the store's dictionary) into the small located tree
below; ``build_framework`` walks it once, checks every rule, and either returns the
``Framework`` or raises one ``FrameworkError`` listing all problems, so a person fixing an
imported file sees everything at once rather than one error per attempt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from competencies.errors import FrameworkError, FrameworkProblem
from competencies.framework import Domain, Framework, Statement
from competencies.names import official_domain_name
from competencies.scale import SCALE_LABEL_TEXTS

__all__ = ["MappingNode", "Node", "ScalarNode", "SequenceNode", "build_framework"]

EXPECTED_DOMAIN_COUNT = 6

_ROOT_KEYS = ("framework_id", "version", "name", "source_note", "scale", "domains", "content_hash")
_DOMAIN_KEYS = ("id", "number", "name", "what_good_looks_like", "statements")
_STATEMENT_KEYS = ("id", "text")

# Ids end up in URLs, form field names and file names; keep them to safe characters.
_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class ScalarNode:
    """A text value and the line it starts on.

    Attributes:
        line: 1-based line, or None for a value from a dictionary.
        text: The value as written (never converted to a number or boolean).
        is_null: True for an empty or ``null`` value.
        line_breaks_are_paragraphs: True when every line break left in ``text`` separates
            paragraphs (YAML has already folded the wrapping of plain, quoted and ``>``
            scalars); False when only a blank line does (``|`` scalars, dictionaries).
    """

    line: int | None
    text: str
    is_null: bool = False
    line_breaks_are_paragraphs: bool = False


@dataclass(frozen=True)
class SequenceNode:
    """A list of nodes and the line it starts on."""

    line: int | None
    items: tuple[Node, ...]


@dataclass(frozen=True)
class MappingNode:
    """Key and value pairs in file order (duplicates kept, so they can be reported)."""

    line: int | None
    entries: tuple[tuple[ScalarNode, Node], ...]


Node = ScalarNode | SequenceNode | MappingNode


def build_framework(root: Node | None, *, source: str) -> Framework:
    """Check a located tree against every framework rule and build the framework.

    Args:
        root: The parsed document; None for an empty file.
        source: File name used in the error message.

    Returns:
        The validated framework.

    Raises:
        FrameworkError: Listing every problem found, each with its line.
    """
    reader = _FrameworkReader()
    framework = reader.read(root)
    if reader.problems or framework is None:
        raise FrameworkError(reader.problems, source=source)
    return framework


def single_line_text(node: ScalarNode) -> str:
    """The value with all whitespace runs (line breaks included) made one space."""
    return " ".join(node.text.split())


def paragraph_text(node: ScalarNode) -> str:
    """The value with wrapping removed and paragraphs joined by one blank line.

    Re-wrapping a paragraph in the file, or switching between YAML block styles, leaves
    the result (and so the content hash) unchanged.
    """
    separator = r"\n" if node.line_breaks_are_paragraphs else r"\n[ \t]*\n"
    paragraphs = (" ".join(part.split()) for part in re.split(separator, node.text))
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "text"


class _FrameworkReader:
    """One pass over the tree; every check appends to ``problems`` and carries on."""

    def __init__(self) -> None:
        self.problems: list[FrameworkProblem] = []
        self._domain_ids: dict[str, int | None] = {}
        self._domain_names: dict[str, int | None] = {}
        self._statement_ids: dict[str, int | None] = {}

    def report(self, line: int | None, message: str) -> None:
        self.problems.append(FrameworkProblem(line, message))

    def read(self, root: Node | None) -> Framework | None:
        if root is None or (isinstance(root, ScalarNode) and root.is_null):
            self.report(
                1, "the file is empty; expected framework_id, version, name, scale and domains"
            )
            return None
        if not isinstance(root, MappingNode):
            self.report(
                root.line,
                "a framework must be a mapping of framework_id, version, "
                f"name, scale and domains; found {_kind(root)}",
            )
            return None
        fields = self._fields(root, _ROOT_KEYS, "the framework")
        framework_id = self._text(fields, "framework_id", root.line, "the framework", id_like=True)
        version = self._text(fields, "version", root.line, "the framework", single_line=True)
        name = self._text(fields, "name", root.line, "the framework", single_line=True)
        source_note = ""
        if "source_note" in fields:
            source_note = self._text(fields, "source_note", root.line, "the framework") or ""
        self._check_scale(fields, root.line)
        domains = self._read_domains(fields, root.line)
        if self.problems or None in (framework_id, version, name):
            return None
        framework = Framework(
            framework_id=framework_id or "",
            version=version or "",
            name=name or "",
            source_note=source_note,
            domains=tuple(domains),
        )
        self._check_stated_hash(fields, framework)
        return framework

    def _fields(
        self, mapping: MappingNode, allowed: tuple[str, ...], owner: str
    ) -> dict[str, tuple[ScalarNode, Node]]:
        fields: dict[str, tuple[ScalarNode, Node]] = {}
        for key, value in mapping.entries:
            name = key.text
            if name in fields:
                first_line = fields[name][0].line
                self.report(
                    key.line, f"{owner} gives '{name}' twice (first on line {first_line}); keep one"
                )
            elif name not in allowed:
                self.report(
                    key.line,
                    f"{owner} has an unexpected key '{name}'; expected {', '.join(allowed)}",
                )
            else:
                fields[name] = (key, value)
        return fields

    def _text(
        self,
        fields: dict[str, tuple[ScalarNode, Node]],
        key: str,
        owner_line: int | None,
        owner: str,
        *,
        single_line: bool = False,
        id_like: bool = False,
    ) -> str | None:
        if key not in fields:
            self.report(owner_line, f"{owner} has no {key}")
            return None
        key_node, value = fields[key]
        if not isinstance(value, ScalarNode):
            self.report(key_node.line, f"{key} of {owner} must be text, not {_kind(value)}")
            return None
        text = single_line_text(value) if single_line or id_like else paragraph_text(value)
        if value.is_null or not text:
            self.report(key_node.line, f"{key} of {owner} is empty")
            return None
        if id_like and not _ID_PATTERN.fullmatch(text):
            self.report(
                key_node.line,
                f"{key} '{text}' of {owner} may contain only letters, "
                "digits, '.', '_' and '-', and must start with a letter or digit",
            )
            return None
        return text

    def _check_scale(
        self, fields: dict[str, tuple[ScalarNode, Node]], root_line: int | None
    ) -> None:
        expected = ", ".join(SCALE_LABEL_TEXTS)
        if "scale" not in fields:
            self.report(root_line, f"the framework has no scale; list the five labels: {expected}")
            return
        key_node, value = fields["scale"]
        if not isinstance(value, SequenceNode):
            self.report(key_node.line, f"scale must be a list of the five labels: {expected}")
            return
        found = [
            single_line_text(item) if isinstance(item, ScalarNode) else f"({_kind(item)})"
            for item in value.items
        ]
        if len(found) != len(SCALE_LABEL_TEXTS):
            self.report(
                key_node.line,
                f"scale must list exactly the five labels in this order: "
                f"{expected}; found {len(found)}: {', '.join(found)}",
            )
            return
        for position, (item, text, wanted) in enumerate(
            zip(value.items, found, SCALE_LABEL_TEXTS, strict=True), start=1
        ):
            if text != wanted:
                self.report(
                    item.line if item.line is not None else key_node.line,
                    f"scale label {position} is '{text}'; expected '{wanted}' (the "
                    f"five labels in order: {expected})",
                )

    def _read_domains(
        self, fields: dict[str, tuple[ScalarNode, Node]], root_line: int | None
    ) -> list[Domain]:
        if "domains" not in fields:
            self.report(root_line, "the framework has no domains; expected exactly six")
            return []
        key_node, value = fields["domains"]
        if not isinstance(value, SequenceNode):
            self.report(key_node.line, f"domains must be a list of six domains, not {_kind(value)}")
            return []
        if len(value.items) != EXPECTED_DOMAIN_COUNT:
            self.report(
                key_node.line,
                f"the framework must have exactly six domains; found {len(value.items)}",
            )
        domains = []
        for position, item in enumerate(value.items, start=1):
            domain = self._read_domain(item, position, key_node.line)
            if domain is not None:
                domains.append(domain)
        return domains

    def _read_domain(self, node: Node, position: int, list_line: int | None) -> Domain | None:
        owner = f"domain {position}"
        if not isinstance(node, MappingNode):
            self.report(
                node.line if node.line is not None else list_line,
                f"{owner} must be a mapping of {', '.join(_DOMAIN_KEYS)}",
            )
            return None
        fields = self._fields(node, _DOMAIN_KEYS, owner)
        domain_id = self._text(fields, "id", node.line, owner, id_like=True)
        if domain_id is not None:
            owner = f"domain '{domain_id}'"
            self._check_unique(self._domain_ids, domain_id, fields["id"][0].line, "domain id")
        number = self._domain_number(fields, position, owner)
        name = self._text(fields, "name", node.line, owner, single_line=True)
        if name is not None:
            # A known variant (a draft or misprinted name) is shown as the official name.
            name = official_domain_name(name) or name
            self._check_unique(self._domain_names, name, fields["name"][0].line, "domain name")
        summary = self._text(fields, "what_good_looks_like", node.line, owner)
        statements = self._read_statements(fields, node.line, owner)
        if None in (domain_id, name, summary) or not statements:
            return None
        return Domain(
            id=domain_id or "",
            number=number,
            name=name or "",
            what_good_looks_like=summary or "",
            statements=tuple(statements),
        )

    def _domain_number(
        self, fields: dict[str, tuple[ScalarNode, Node]], position: int, owner: str
    ) -> int:
        # The number is what people see; the file's order is the display order, so a
        # number that disagrees with the position is a mistake, not a re-ordering.
        if "number" not in fields:
            return position
        key_node, value = fields["number"]
        text = single_line_text(value) if isinstance(value, ScalarNode) else ""
        if not text.isdigit():
            self.report(key_node.line, f"number of {owner} must be a whole number from 1 to 6")
        elif int(text) != position:
            self.report(
                key_node.line,
                f"{owner} is numbered {int(text)} but is listed in "
                f"position {position}; list the domains in order, numbered 1 to 6",
            )
        return position

    def _read_statements(
        self, fields: dict[str, tuple[ScalarNode, Node]], domain_line: int | None, owner: str
    ) -> list[Statement]:
        if "statements" not in fields:
            self.report(domain_line, f"{owner} has no statements")
            return []
        key_node, value = fields["statements"]
        if (isinstance(value, ScalarNode) and value.is_null) or (
            isinstance(value, SequenceNode) and not value.items
        ):
            self.report(key_node.line, f"{owner} has no statements")
            return []
        if not isinstance(value, SequenceNode):
            self.report(key_node.line, f"statements of {owner} must be a list, not {_kind(value)}")
            return []
        statements = []
        for position, item in enumerate(value.items, start=1):
            statement = self._read_statement(
                item, f"statement {position} of {owner}", key_node.line
            )
            if statement is not None:
                statements.append(statement)
        return statements

    def _read_statement(self, node: Node, owner: str, list_line: int | None) -> Statement | None:
        if not isinstance(node, MappingNode):
            self.report(
                node.line if node.line is not None else list_line,
                f"{owner} must be a mapping of id and text",
            )
            return None
        fields = self._fields(node, _STATEMENT_KEYS, owner)
        statement_id = self._text(fields, "id", node.line, owner, id_like=True)
        if statement_id is not None:
            owner = f"statement '{statement_id}'"
            self._check_unique(
                self._statement_ids, statement_id, fields["id"][0].line, "statement id"
            )
        text = self._text(fields, "text", node.line, owner)
        if statement_id is None or text is None:
            return None
        return Statement(id=statement_id, text=text)

    def _check_unique(
        self, seen: dict[str, int | None], value: str, line: int | None, what: str
    ) -> None:
        if value not in seen:
            seen[value] = line
            return
        first = seen[value]
        where = f": lines {first} and {line}" if first is not None and line is not None else ""
        self.report(line, f"{what} '{value}' is used twice{where}; each must be unique")

    def _check_stated_hash(
        self, fields: dict[str, tuple[ScalarNode, Node]], framework: Framework
    ) -> None:
        # A dictionary from the store carries the hash it was pinned with; if the content
        # no longer gives that hash, the stored wording has been altered.
        if "content_hash" not in fields:
            return
        key_node, value = fields["content_hash"]
        stated = single_line_text(value) if isinstance(value, ScalarNode) else ""
        if stated != framework.content_hash:
            self.report(
                key_node.line,
                f"content_hash '{stated}' does not match the content, "
                f"whose hash is '{framework.content_hash}'; the wording has changed "
                "since it was hashed",
            )
