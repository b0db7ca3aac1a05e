"""The competency framework as immutable data: domains, their statements, the scale.

Build one with ``competencies.loader`` (from a file, a string or the store's dictionary),
which validates it first. The ``content_hash`` is computed here from the content alone, so
an appraisal can pin exactly the wording it was started on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from competencies.scale import SCALE_LABEL_TEXTS, ScaleLabel

__all__ = ["Domain", "Framework", "Statement"]


@dataclass(frozen=True)
class Statement:
    """One competency statement a director rates on the scale.

    Attributes:
        id: Stable id, unique in the framework (e.g. ``"d3.s4"``); ratings are keyed by it.
        text: The statement as shown to the director.
    """

    id: str
    text: str


@dataclass(frozen=True)
class Domain:
    """One of the six LCF domains.

    Attributes:
        id: Stable id, unique in the framework (e.g. ``"d3"``).
        number: Position shown to people, 1 to 6.
        name: The official domain name.
        what_good_looks_like: The domain's "what good looks like" summary.
        statements: The domain's competency statements, in display order.
    """

    id: str
    number: int
    name: str
    what_good_looks_like: str
    statements: tuple[Statement, ...]

    def __post_init__(self) -> None:
        # Accept a list from callers but keep a tuple, so the domain stays immutable.
        object.__setattr__(self, "statements", tuple(self.statements))


@dataclass(frozen=True)
class Framework:
    """A whole versioned framework, as an appraisal is pinned to it.

    Attributes:
        framework_id: Which framework this is (e.g. ``"lcf-2024"``).
        version: Which wording of it (e.g. ``"2024.1-project"``).
        name: Its title.
        source_note: Where the wording comes from and what may be relied on.
        domains: The six domains, in display order.
        content_hash: SHA-256 hex of the canonical JSON of the content (ids, numbers,
            names, texts, scale, framework_id, version, source_note). Computed, never
            passed: formatting of the source file does not change it, any wording does.
    """

    framework_id: str
    version: str
    name: str
    source_note: str
    domains: tuple[Domain, ...]
    content_hash: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "domains", tuple(self.domains))
        object.__setattr__(self, "content_hash", _content_hash(self._content()))

    # Look-up tables, built on first use; cached_property writes to the instance dict
    # directly, so it works on a frozen dataclass and stays out of fields() and asdict().
    @cached_property
    def _domains_by_id(self) -> dict[str, Domain]:
        return {domain.id: domain for domain in self.domains}

    @cached_property
    def _statements_by_id(self) -> dict[str, Statement]:
        return {
            statement.id: statement for domain in self.domains for statement in domain.statements
        }

    @cached_property
    def _domain_of_statement(self) -> dict[str, Domain]:
        return {statement.id: domain for domain in self.domains for statement in domain.statements}

    @property
    def scale(self) -> tuple[ScaleLabel, ...]:
        """The five answers in published order (the loader accepts no other scale)."""
        return tuple(ScaleLabel)

    def domain(self, domain_id: str) -> Domain:
        """Return the domain with this id.

        Raises:
            KeyError: No domain has this id in this framework version.
        """
        try:
            return self._domains_by_id[domain_id]
        except KeyError:
            raise KeyError(f"no domain '{domain_id}' in {self.label}") from None

    def statement(self, statement_id: str) -> Statement:
        """Return the statement with this id.

        Raises:
            KeyError: No statement has this id in this framework version.
        """
        try:
            return self._statements_by_id[statement_id]
        except KeyError:
            raise KeyError(f"no statement '{statement_id}' in {self.label}") from None

    def domain_of(self, statement_id: str) -> Domain:
        """Return the domain a statement belongs to.

        Raises:
            KeyError: No statement has this id in this framework version.
        """
        try:
            return self._domain_of_statement[statement_id]
        except KeyError:
            raise KeyError(f"no statement '{statement_id}' in {self.label}") from None

    def statement_ids(self) -> tuple[str, ...]:
        """Every statement id, domain by domain in display order."""
        return tuple(self._statements_by_id)

    @property
    def label(self) -> str:
        """Short name for messages, e.g. ``"framework lcf-2024 version 2024.1-project"``."""
        return f"framework {self.framework_id} version {self.version}"

    def to_dict(self) -> dict[str, Any]:
        """The content as plain JSON-ready data, with ``content_hash``.

        ``competencies.loader.framework_from_dict`` rebuilds the same framework from it
        (and refuses it if the content no longer matches ``content_hash``).
        """
        return {**self._content(), "content_hash": self.content_hash}

    def _content(self) -> dict[str, Any]:
        return {
            "framework_id": self.framework_id,
            "version": self.version,
            "name": self.name,
            "source_note": self.source_note,
            "scale": list(SCALE_LABEL_TEXTS),
            "domains": [
                {
                    "id": domain.id,
                    "number": domain.number,
                    "name": domain.name,
                    "what_good_looks_like": domain.what_good_looks_like,
                    "statements": [
                        {"id": statement.id, "text": statement.text}
                        for statement in domain.statements
                    ],
                }
                for domain in self.domains
            ],
        }


def _content_hash(content: dict[str, Any]) -> str:
    # Sorted keys, no spaces, UTF-8 kept as is: the same content always gives the same
    # bytes, whatever order or layout the source file used.
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
