"""The FPPT checklist as versioned data: the checks, the self-attestation's declarations,
the ESR columns and the Board Member Reference's sections, read from one YAML file.

The project ships ``fppt-2026.yaml`` (its working list, to be confirmed against NHS
England's framework); an organisation loads its own with ``appraisal fppt checks import``.
A bad file is refused with every problem named by its line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .errors import ValidationFailed

DEFAULT_CHECKLIST_PATH = Path(__file__).with_name("fppt-2026.yaml")
# A checklist is a page or two of YAML; anything far bigger is not one.
LARGEST_FILE = 256 * 1024


class CheckDue(StrEnum):
    AT_APPOINTMENT = "at_appointment"
    ANNUALLY = "annually"
    EVERY_N_YEARS = "every_n_years"


class AppliesTo(StrEnum):
    ALL = "all"
    EXECUTIVE = "executive"
    CLINICALLY_REGISTERED = "clinically_registered"

    @property
    def label(self) -> str:
        return {"all": "All board members", "executive": "Executive directors only",
                "clinically_registered": "Clinically registered members only"}[self.value]


class SectionKind(StrEnum):
    TEXT = "text"
    YES_NO = "yes_no"


# The values an ESR column may take besides ``check:<id>``.
ESR_VALUES = ("staff_number", "name", "email", "organisation", "role", "year",
              "assessment_date", "outcome", "self_attestation_date", "sign_off_date",
              "signed_off_by")
SELF_ATTESTATION = "self-attestation"


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    evidence: str
    due: CheckDue
    applies_to: AppliesTo
    every_years: int | None = None

    @property
    def due_label(self) -> str:
        if self.due is CheckDue.EVERY_N_YEARS:
            return f"Every {self.every_years} years"
        return {"at_appointment": "At appointment", "annually": "Annually"}[self.due.value]


@dataclass(frozen=True)
class Declaration:
    id: str
    text: str


@dataclass(frozen=True)
class EsrColumn:
    column: str
    value: str


@dataclass(frozen=True)
class ReferenceSection:
    id: str
    title: str
    kind: SectionKind


@dataclass(frozen=True)
class Checklist:
    checklist_id: str
    version: str
    name: str
    working_list: bool
    source_note: str
    reference_due_days: int
    checks: tuple[Check, ...]
    declarations: tuple[Declaration, ...]
    esr_columns: tuple[EsrColumn, ...]
    reference_sections: tuple[ReferenceSection, ...]

    def check(self, check_id: str) -> Check | None:
        return next((c for c in self.checks if c.id == check_id), None)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self)))  # type: ignore[no-any-return]  # JSON object

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()


class _NoAliases(yaml.SafeLoader):
    """The safe loader refusing aliases: a checklist has no need of them, and they are how
    a small file expands into a huge one."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # unannotated in types-PyYAML
        if isinstance(event, yaml.AliasEvent):
            raise yaml.MarkedYAMLError(problem="YAML aliases (*name) are not allowed here; "
                                               "write the text out",
                                       problem_mark=event.start_mark)  # type: ignore[arg-type]  # the C and Python marks are the same shape
        return super().compose_node(parent, index)


class _Reader:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def report(self, node: yaml.Node | None, message: str) -> None:
        line = f"line {node.start_mark.line + 1}: " if node is not None else ""
        self.problems.append(line + message)

    def mapping(self, node: yaml.Node, what: str) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.report(node, f"{what} must be a mapping of names to values")
            return None
        found: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = str(key.value)
            if name in found:
                self.report(key, f"{what} names '{name}' twice")
            found[name] = value
        return found

    def text(self, fields: dict[str, yaml.Node], name: str, owner: yaml.Node, what: str,
             *, required: bool = True) -> str:
        node = fields.get(name)
        if node is None:
            if required:
                self.report(owner, f"{what} lacks '{name}'")
            return ""
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            self.report(node, f"{what}: '{name}' must be non-empty text")
            return ""
        return " ".join(str(node.value).split())

    def items(self, fields: dict[str, yaml.Node], name: str, owner: yaml.Node
              ) -> list[yaml.Node]:
        node = fields.get(name)
        if node is None:
            self.report(owner, f"the file lacks the list '{name}'")
            return []
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.report(node, f"'{name}' must be a non-empty list")
            return []
        return list(node.value)

    def unique(self, node: yaml.Node, kind: str, ident: str, seen: dict[str, int]) -> None:
        line = node.start_mark.line + 1
        if ident in seen:
            self.report(node, f"duplicate {kind} id '{ident}' (first on line {seen[ident]})")
        else:
            seen[ident] = line

    def entries(self, top: dict[str, yaml.Node], name: str, root: yaml.Node, kind: str, *,
                key: str = "id") -> Iterator[tuple[yaml.Node, dict[str, yaml.Node], str]]:
        """Each mapping of the list ``name`` with its ``key`` (reported when missing or
        repeated), as (node, fields, key's value)."""
        seen: dict[str, int] = {}
        for item in self.items(top, name, root):
            fields = self.mapping(item, f"a {kind}")
            if fields is None:
                continue
            ident = self.text(fields, key, item, f"a {kind}")
            if ident:
                self.unique(item, kind, ident, seen)
            yield item, fields, ident

    def choice(self, node: yaml.Node | None, owner: yaml.Node, what: str, name: str,
               choices: type[StrEnum]) -> Any:
        if node is None:
            self.report(owner, f"{what} lacks '{name}'")
            return None
        value = str(node.value).strip() if isinstance(node, yaml.ScalarNode) else ""
        try:
            return choices(value)
        except ValueError:
            self.report(node, f"{what}: unknown {name.replace('_', ' ')} '{value}' (use one "
                              "of: " + ", ".join(c.value for c in choices) + ")")
            return None


def parse_checklist(text: str, *, source: str = "<string>") -> Checklist:
    """Parse and validate a checklist written as YAML.

    Raises:
        ValidationFailed: the YAML is malformed or breaks a rule (duplicate ids, an unknown
            "applies to" or "due", an ESR column naming an unknown check...); every problem
            is listed with its line.
    """
    refused = f"{source} is not a valid FPPT checklist; nothing was imported."
    try:
        root = yaml.compose(text, Loader=_NoAliases)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ValidationFailed(refused, [f"{where}this is not valid YAML: {error.problem}"]
                               ) from None
    except yaml.YAMLError as error:
        raise ValidationFailed(refused, [f"this is not valid YAML: {error}"]) from None
    reader = _Reader()
    if root is None:
        raise ValidationFailed(refused, ["the file is empty"])
    top = reader.mapping(root, "the file")
    if top is None:
        raise ValidationFailed(refused, reader.problems)
    checklist_id = reader.text(top, "checklist", root, "the file")
    version = reader.text(top, "version", root, "the file")
    name = reader.text(top, "name", root, "the file")
    note = reader.text(top, "source_note", root, "the file", required=False)
    working = top.get("working_list")
    working_list = isinstance(working, yaml.ScalarNode) and working.value.lower() == "true"
    due_days = 28
    if (node := top.get("reference_due_days")) is not None:
        value = str(node.value) if isinstance(node, yaml.ScalarNode) else ""
        if not value.isdigit() or not 1 <= int(value) <= 365:
            reader.report(node, "reference_due_days must be a whole number of days, 1 to 365")
        else:
            due_days = int(value)
    checks = _read_checks(reader, top, root)
    ids = {c.id for c in checks}
    declarations = [Declaration(ident, reader.text(fields, "text", item,
                                                   f"declaration '{ident}'"))
                    for item, fields, ident in reader.entries(top, "declarations", root,
                                                              "declaration")]
    columns: list[EsrColumn] = []
    for item, fields, column in reader.entries(top, "esr_columns", root, "ESR column",
                                               key="column"):
        value = reader.text(fields, "value", item, f"ESR column '{column}'")
        if value and value not in ESR_VALUES:
            check = value.removeprefix("check:")
            if not value.startswith("check:"):
                reader.report(fields["value"], f"ESR column '{column}': unknown value "
                              f"'{value}' (use one of: {', '.join(ESR_VALUES)}, check:ID)")
            elif check not in ids:
                reader.report(fields["value"], f"ESR column '{column}': there is no check "
                                               f"'{check}' in this file")
        columns.append(EsrColumn(column, value))
    sections: list[ReferenceSection] = []
    for item, fields, ident in reader.entries(top, "reference_sections", root,
                                              "reference section"):
        title = reader.text(fields, "title", item, f"reference section '{ident}'")
        kind = reader.choice(fields.get("kind"), item, f"reference section '{ident}'", "kind",
                             SectionKind)
        sections.append(ReferenceSection(ident, title, kind or SectionKind.TEXT))
    if SELF_ATTESTATION not in ids and checks:
        reader.report(root, f"the checks must include '{SELF_ATTESTATION}' (the annual "
                            "self-attestation is one of the checks)")
    if reader.problems:
        raise ValidationFailed(refused, [f"{source}: {p}" for p in reader.problems])
    return Checklist(checklist_id, version, name, working_list, note, due_days, tuple(checks),
                     tuple(declarations), tuple(columns), tuple(sections))


def _read_checks(reader: _Reader, top: dict[str, yaml.Node], root: yaml.Node) -> list[Check]:
    checks: list[Check] = []
    for item, fields, ident in reader.entries(top, "checks", root, "check"):
        what = f"check '{ident}'"
        name = reader.text(fields, "name", item, what)
        evidence = reader.text(fields, "evidence", item, what)
        due = reader.choice(fields.get("due"), item, what, "due", CheckDue)
        applies = reader.choice(fields.get("applies_to"), item, what, "applies_to", AppliesTo)
        every: int | None = None
        node = fields.get("every_years")
        if due is CheckDue.EVERY_N_YEARS:
            value = str(node.value) if isinstance(node, yaml.ScalarNode) else ""
            if not value.isdigit() or not 1 <= int(value) <= 20:
                reader.report(node or item, f"{what}: every_n_years needs every_years, a "
                                            "whole number of years from 1 to 20")
            else:
                every = int(value)
        elif node is not None:
            reader.report(node, f"{what}: every_years is only for due: every_n_years")
        if due is not None and applies is not None:
            checks.append(Check(ident, name, evidence, due, applies, every))
    return checks


def load_checklist(path: Path) -> Checklist:
    """Read and validate a checklist file.

    Raises:
        ValidationFailed: it cannot be read, is not UTF-8, is too large, or has problems.
    """
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ValidationFailed(f"Cannot read {path}: {error.strerror or error}.") from error
    if len(raw) > LARGEST_FILE:
        raise ValidationFailed(f"{path} is larger than {LARGEST_FILE // 1024} KB; an FPPT "
                               "checklist is far smaller.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ValidationFailed(f"{path} is not UTF-8 text.",
                               [f"{path}: line {line}: save the file as UTF-8"]) from error
    return parse_checklist(text, source=str(path))


@cache
def default_checklist() -> Checklist:
    """The checklist the project ships (its working list)."""
    return load_checklist(DEFAULT_CHECKLIST_PATH)


def checklist_from_dict(content: dict[str, Any]) -> Checklist:
    """Rebuild a stored checklist (``Checklist.to_dict()`` as the store keeps it)."""
    return Checklist(
        content["checklist_id"], content["version"], content["name"],
        bool(content["working_list"]), content["source_note"],
        int(content["reference_due_days"]),
        tuple(Check(c["id"], c["name"], c["evidence"], CheckDue(c["due"]),
                    AppliesTo(c["applies_to"]), c.get("every_years"))
              for c in content["checks"]),
        tuple(Declaration(d["id"], d["text"]) for d in content["declarations"]),
        tuple(EsrColumn(c["column"], c["value"]) for c in content["esr_columns"]),
        tuple(ReferenceSection(s["id"], s["title"], SectionKind(s["kind"]))
              for s in content["reference_sections"]))
