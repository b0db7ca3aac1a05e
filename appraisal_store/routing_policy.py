"""The routing policy as data: who appraises each role, per organisation type, and who else
takes part (NHS England's regional director, a foundation trust's nominations committee).

The shipped defaults are ``routing_policy.yaml`` beside this module; an organisation's
override (``RoutingOverride``, set from a file shaped like one organisation type's section)
is laid over them field by field. A file with a problem is refused with every problem and
its line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .errors import ValidationFailed
from .vocabulary import BoardRole, OrgType

POLICY_FILE = Path(__file__).with_name("routing_policy.yaml")
EXTERNAL_APPRAISER = "external-appraiser"


class RegionalDirectorPart(StrEnum):
    NONE = "none"
    INPUT = "input"
    CONDUCTS = "conducts"


class Endorsement(StrEnum):
    NONE = "none"
    REGIONAL_DIRECTOR = "regional-director"


class OutcomeTo(StrEnum):
    NONE = "none"
    NOMINATIONS_COMMITTEE = "nominations-committee"


class Guidance(StrEnum):
    CONFIRMED = "confirmed"
    UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True)
class RoleRoute:
    """The policy for appraising one role in one kind of organisation."""

    appraisers: tuple[str, ...]  # board role values, or EXTERNAL_APPRAISER
    regional_director: RegionalDirectorPart = RegionalDirectorPart.NONE
    endorsement: Endorsement = Endorsement.NONE
    outcome_to: OutcomeTo = OutcomeTo.NONE
    guidance: Guidance = Guidance.UNCONFIRMED
    source: str = ""

    @property
    def endorsed(self) -> bool:
        return self.endorsement is Endorsement.REGIONAL_DIRECTOR


_FIELDS = ("appraisers", "regional_director", "endorsement", "outcome_to", "guidance",
           "source")
_CHOICES: dict[str, type[StrEnum]] = {"regional_director": RegionalDirectorPart,
                                      "endorsement": Endorsement, "outcome_to": OutcomeTo,
                                      "guidance": Guidance}
APPRAISED_ROLES = tuple(r for r in BoardRole if r.is_board_member)
_APPRAISER_NAMES = {r.value for r in APPRAISED_ROLES} | {EXTERNAL_APPRAISER}


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _mapping(node: yaml.Node, what: str, problems: list[str]
             ) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        problems.append(f"line {_line(node)}: {what} must be a mapping")
        return []
    return [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]


def _entry(node: yaml.Node, where: str, problems: list[str]) -> dict[str, Any]:
    """One role's fields, as given (a partial entry is laid over its default later)."""
    found: dict[str, Any] = {}
    for key, value in _mapping(node, where, problems):
        name, line = key.value, _line(key)
        if name not in _FIELDS:
            problems.append(f"line {line}: {where}: '{name}' is not a field (use "
                            + ", ".join(_FIELDS) + ")")
        elif name == "appraisers":
            items = value.value if isinstance(value, yaml.SequenceNode) else None
            names = [i.value for i in items or [] if isinstance(i, yaml.ScalarNode)]
            if not names:
                problems.append(f"line {line}: {where}: appraisers must list at least one "
                                "board role")
            for unknown in [n for n in names if n not in _APPRAISER_NAMES]:
                problems.append(f"line {line}: {where}: '{unknown}' cannot appraise (use "
                                + ", ".join(sorted(_APPRAISER_NAMES)) + ")")
            found[name] = tuple(names)
        elif not isinstance(value, yaml.ScalarNode):
            problems.append(f"line {line}: {where}: {name} must be a single value")
        elif name in _CHOICES:
            choices = _CHOICES[name]
            try:
                found[name] = choices(value.value)
            except ValueError:
                problems.append(f"line {line}: {where}: {name} '{value.value}' is not one of "
                                + ", ".join(c.value for c in choices))
        else:
            found[name] = str(value.value)
    return found


def _roles(node: yaml.Node, where: str, problems: list[str]
           ) -> dict[BoardRole, dict[str, Any]]:
    entries: dict[BoardRole, dict[str, Any]] = {}
    for key, value in _mapping(node, where, problems):
        try:
            role = BoardRole(key.value)
        except ValueError:
            role = None
        if role is None or not role.is_board_member:
            problems.append(f"line {_line(key)}: {where}: '{key.value}' is not an appraised "
                            "board role (use " + ", ".join(r.value for r in APPRAISED_ROLES)
                            + ")")
            continue
        entries[role] = _entry(value, f"{where}, {role.value}", problems)
    return entries


def _compose(text: str, source: str, summary: str) -> yaml.Node:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise ValidationFailed(summary, [f"{source}: {line}this is not valid YAML: "
                                         f"{error.problem}"]) from error
    if node is None:
        raise ValidationFailed(summary, [f"{source}: the file is empty"])
    return node


@dataclass(frozen=True)
class RoutingPolicy:
    """The defaults and each organisation type's entries, as read from the file."""

    default: dict[BoardRole, dict[str, Any]]
    by_type: dict[OrgType, dict[BoardRole, dict[str, Any]]]

    def route(self, org_type: OrgType, role: BoardRole,
              override: Mapping[str, Any] | None = None) -> RoleRoute:
        """The policy for ``role`` in an organisation of ``org_type``, with the
        organisation's ``override`` (role value -> fields) laid over it."""
        fields: dict[str, Any] = {}
        fields.update(self.default.get(role, {}))
        fields.update(self.by_type.get(org_type, {}).get(role, {}))
        if override:
            fields.update(_from_json(override.get(role.value, {})))
        if "appraisers" not in fields:
            return RoleRoute(appraisers=())
        return replace(RoleRoute(appraisers=()), **fields)


def _from_json(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An override's stored fields (JSON) back into the policy's types."""
    found: dict[str, Any] = {}
    for name, value in entry.items():
        if name == "appraisers":
            found[name] = tuple(value)
        elif name in _CHOICES:
            found[name] = _CHOICES[name](value)
        elif name in _FIELDS:
            found[name] = str(value)
    return found


def parse_policy(text: str, *, source: str = "routing_policy.yaml") -> RoutingPolicy:
    """The whole policy file.

    Raises:
        ValidationFailed: every problem, each with its line.
    """
    summary = "The routing policy is not usable."
    root = _compose(text, source, summary)
    problems: list[str] = []
    default: dict[BoardRole, dict[str, Any]] = {}
    by_type: dict[OrgType, dict[BoardRole, dict[str, Any]]] = {}
    for key, value in _mapping(root, "the policy", problems):
        if key.value == "version":
            continue
        if key.value == "default":
            default = _roles(value, "default", problems)
        elif key.value == "organisation_types":
            for type_key, roles in _mapping(value, "organisation_types", problems):
                try:
                    org_type = OrgType(type_key.value)
                except ValueError:
                    problems.append(f"line {_line(type_key)}: '{type_key.value}' is not an "
                                    "organisation type (use "
                                    + ", ".join(t.value for t in OrgType) + ")")
                    continue
                by_type[org_type] = _roles(roles, type_key.value, problems)
        else:
            problems.append(f"line {_line(key)}: '{key.value}' is not a section (use "
                            "version, default, organisation_types)")
    missing = [r.value for r in APPRAISED_ROLES if "appraisers" not in default.get(r, {})]
    if missing:
        problems.append("default: every appraised role needs its appraisers; missing for "
                        + ", ".join(missing))
    if problems:
        raise ValidationFailed(summary, [f"{source}: {p}" for p in problems])
    return RoutingPolicy(default, by_type)


def parse_override(text: str, *, source: str) -> dict[str, dict[str, Any]]:
    """An organisation's override file: role -> fields, shaped like one organisation type's
    section of the policy. Returned as JSON-ready values for the store.

    Raises:
        ValidationFailed: every problem, each with its line; nothing is stored.
    """
    summary = "The routing override was not set."
    problems: list[str] = []
    entries = _roles(_compose(text, source, summary), "the override", problems)
    if not entries and not problems:
        problems.append("the override names no role")
    if problems:
        raise ValidationFailed(summary, [f"{source}: {p}" for p in problems])
    return {role.value: {name: (list(value) if isinstance(value, tuple) else str(value))
                         for name, value in fields.items()}
            for role, fields in entries.items()}


@cache
def shipped_policy() -> RoutingPolicy:
    """The policy shipped with the product (read once a process)."""
    return parse_policy(POLICY_FILE.read_text(encoding="utf-8"))
