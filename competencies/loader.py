"""Load a framework from a YAML file, a string, or the store's dictionary, validated.

Every route goes through the same checks (``competencies.validation``): six domains,
unique ids, non-empty text, the five scale labels in order. A bad file raises one
``FrameworkError`` naming every problem with its line, for ``appraisal framework import``
to print as it is.

A framework file comes from outside, so it is read within bounds: YAML aliases (which can
expand a small file into billions of nodes) are refused beyond ``MOST_ALIASES``, nesting
beyond ``DEEPEST`` (the composer recurses once a level), and the expanded document beyond
``MOST_NODES``; each refusal names the line where the bound was crossed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from competencies.errors import FrameworkError, FrameworkProblem
from competencies.framework import Framework
from competencies.validation import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    build_framework,
)

__all__ = [
    "DEFAULT_FRAMEWORK_PATH",
    "FrameworkError",
    "FrameworkProblem",
    "default_framework",
    "framework_from_dict",
    "load_framework",
    "located_document",
    "parse_framework",
    "read_text_file",
]

#: The framework the project ships: LCF 2024 with the project's own working statements.
DEFAULT_FRAMEWORK_PATH = Path(__file__).with_name("lcf-2024.yaml")

_NULL_TAG = "tag:yaml.org,2002:null"
# The shipped framework uses no alias and nests six levels; these leave room to spare.
MOST_ALIASES = 20
DEEPEST = 20
MOST_NODES = 20_000


class _Unbounded(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.problem = FrameworkProblem(line, message)


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader, refusing too many aliases and too deep nesting as it composes."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # unannotated in types-PyYAML
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MOST_ALIASES:
                raise _Unbounded(line, f"this file uses more than {MOST_ALIASES} YAML aliases "
                                       "(*name); write the text out where it is needed")
        self._depth += 1
        try:
            if self._depth > DEEPEST:
                raise _Unbounded(line, f"this is nested more than {DEEPEST} levels deep; "
                                       "a framework needs far fewer")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def parse_framework(text: str, *, source: str = "<string>") -> Framework:
    """Parse and validate a framework written as YAML.

    Args:
        text: The YAML document.
        source: Name shown before each problem's line number (usually the file name).

    Returns:
        The validated framework, with its content hash.

    Raises:
        FrameworkError: The YAML is malformed, or the content breaks any rule; every
            problem found is listed with its 1-based line.
    """
    return build_framework(located_document(text, source=source), source=source)


def located_document(text: str, *, source: str = "<string>") -> Node | None:
    """The YAML document as a located tree, read within bounds (None for an empty one).

    Raises:
        FrameworkError: The YAML is malformed or too large, named by its line.
    """
    try:
        document = yaml.compose(text, Loader=_BoundedLoader)
    except _Unbounded as refused:
        raise FrameworkError([refused.problem], source=source) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        context = error.context or ""
        # An unclosed quote or bracket is reported where the file ends; also name the
        # line where it was opened, which is where the fix usually goes.
        if context and error.context_mark is not None and error.context_mark.line + 1 != line:
            context = f"{context} (from line {error.context_mark.line + 1})"
        detail = ": ".join(part for part in (context, error.problem) if part)
        problem = FrameworkProblem(line, f"this is not valid YAML: {detail}")
        raise FrameworkError([problem], source=source) from None
    except yaml.reader.ReaderError as error:
        # A character YAML refuses (a control character, say) has a position, not a line.
        line = text.count("\n", 0, error.position) + 1
        problem = FrameworkProblem(line, f"this is not valid YAML: {error.reason}")
        raise FrameworkError([problem], source=source) from None
    try:
        root = None if document is None else _located(document, source=source, on_path=set(),
                                                      budget=[MOST_NODES])
    except _Unbounded as refused:
        raise FrameworkError([refused.problem], source=source) from None
    return root


def read_text_file(path: str | os.PathLike[str]) -> str:
    """A UTF-8 file's text (a byte order mark is tolerated).

    Raises:
        FrameworkError: The file cannot be read or is not UTF-8, named by its line.
    """
    source = os.fspath(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        problem = FrameworkProblem(None, f"cannot read the file: {error.strerror or error}")
        raise FrameworkError([problem], source=source) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        problem = FrameworkProblem(line, "the file is not UTF-8 text; save it as UTF-8")
        raise FrameworkError([problem], source=source) from None


def load_framework(path: str | os.PathLike[str]) -> Framework:
    """Read, parse and validate a framework file.

    Args:
        path: A UTF-8 YAML file (a byte order mark is tolerated).

    Returns:
        The validated framework.

    Raises:
        FrameworkError: The file cannot be read, is not UTF-8, is malformed YAML, or breaks
            any rule; problems are reported as ``PATH:LINE: message``.
    """
    return parse_framework(read_text_file(path), source=os.fspath(path))


@cache
def default_framework() -> Framework:
    """The framework shipped with the project (``competencies/lcf-2024.yaml``).

    Loaded once per process and cached; the result is immutable.

    Raises:
        FrameworkError: Only if the shipped file itself is broken (a bug caught by tests).
    """
    return load_framework(DEFAULT_FRAMEWORK_PATH)


def framework_from_dict(content: Mapping[str, Any]) -> Framework:
    """Rebuild a framework from ``Framework.to_dict()`` output (e.g. JSON in the store).

    The same rules apply as to a file. If ``content`` carries a ``content_hash``, the
    rebuilt content must give that same hash, so altered stored wording is refused.

    Args:
        content: The dictionary, as ``to_dict()`` produced it or as decoded from JSON.

    Returns:
        The framework, equal to the one that produced ``content``.

    Raises:
        FrameworkError: The content breaks a rule or no longer matches its hash; the
            problems have no line numbers.
    """
    return build_framework(_node_from_value(content), source="<dict>")


def _located(node: yaml.Node, *, source: str, on_path: set[int], budget: list[int]) -> Node:
    line = node.start_mark.line + 1
    budget[0] -= 1
    if budget[0] < 0:  # aliases within their count can still multiply a document
        raise _Unbounded(line, f"this file expands to more than {MOST_NODES} YAML nodes; "
                               "write out a framework without aliases")
    if isinstance(node, yaml.ScalarNode):
        # Plain, quoted and ">" scalars have had their wrapping folded by YAML already,
        # so a line break left in them is a paragraph break; in "|" scalars it is not.
        return ScalarNode(
            line,
            node.value,
            is_null=node.tag == _NULL_TAG,
            line_breaks_are_paragraphs=node.style != "|",
        )
    if id(node) in on_path:
        # An alias that contains itself would never end; refuse it rather than recurse.
        problem = FrameworkProblem(line, "this YAML alias refers to itself")
        raise FrameworkError([problem], source=source)
    on_path.add(id(node))
    try:
        if isinstance(node, yaml.SequenceNode):
            items = tuple(_located(item, source=source, on_path=on_path, budget=budget)
                          for item in node.value)
            return SequenceNode(line, items)
        entries = tuple(
            (_located_key(key), _located(value, source=source, on_path=on_path,
                                             budget=budget))
            for key, value in node.value
        )
        return MappingNode(line, entries)
    finally:
        on_path.discard(id(node))


def _located_key(node: yaml.Node) -> ScalarNode:
    if isinstance(node, yaml.ScalarNode):
        return ScalarNode(node.start_mark.line + 1, node.value)
    kind = "list" if isinstance(node, yaml.SequenceNode) else "mapping"
    return ScalarNode(node.start_mark.line + 1, f"(a {kind} used as a key)")


def _node_from_value(value: Any) -> Node:
    if isinstance(value, Mapping):
        return MappingNode(
            None,
            tuple(
                (ScalarNode(None, str(key)), _node_from_value(item)) for key, item in value.items()
            ),
        )
    if isinstance(value, list | tuple):
        return SequenceNode(None, tuple(_node_from_value(item) for item in value))
    if value is None:
        return ScalarNode(None, "", is_null=True)
    return ScalarNode(None, str(value))
