"""The rule every name on the record follows, a person's or an organisation's.

A name travels into email headers, log lines, PDFs and pages. One line of printable text
cannot reshape any of them; a control character (a line break splits a header or a log
line and makes the person's mail fail for good), a line or paragraph separator, or a
bidirectional override (text that reads differently from what it holds) can. The import,
the portal's forms and the commands all check names here, so they refuse the same ones.
"""

from __future__ import annotations

import unicodedata

PERSON_NAME_LONGEST = 200  # Person.name
ORGANISATION_NAME_LONGEST = 300  # Organisation.name

_CALLED = {"\t": "a tab", "\n": "a line feed", "\r": "a carriage return", "\x00": "a NUL",
           "\x7f": "a DEL", "\x85": "a next-line character", "\u2028": "a line separator",
           "\u2029": "a paragraph separator"}
# Embeddings, overrides and isolates: they make text display in an order other than the
# one it is stored in. The marks (U+200E, U+200F) are kept: right-to-left names use them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _refused(character: str) -> bool:
    category = unicodedata.category(character)
    return category in {"Cc", "Cs", "Zl", "Zp"} or character in _BIDI_CONTROLS


def _called(character: str) -> str:
    code = f"U+{ord(character):04X}"
    if character in _CALLED:
        return f"{_CALLED[character]} ({code})"
    if character in _BIDI_CONTROLS:
        return f"a bidirectional text control ({code})"
    return f"a control character ({code})"


def name_problem(name: str, *, longest: int = PERSON_NAME_LONGEST) -> str | None:
    """What is wrong with ``name`` as a name on the record, or None when it is usable.

    Args:
        name: The name as given (surrounding spaces are not a problem: callers strip them).
        longest: The most characters the name may have (its column's length).

    Returns:
        A phrase that completes "the name ...", e.g. "contains a line feed (U+000A)".
    """
    text = name.strip()
    if not text:
        return "is empty"
    refused = [c for c in dict.fromkeys(text) if _refused(c)]
    if refused:
        return ("contains " + ", ".join(_called(c) for c in refused)
                + "; a name must be one line of printable text")
    if len(text) > longest:
        return f"is {len(text)} characters long; at most {longest} are kept"
    return None


def printable_name(name: str) -> str:
    """``name`` with every character the rule refuses replaced by a space (runs of spaces
    made one): for showing a name stored before the rule, never for storing one."""
    return " ".join("".join(" " if _refused(c) else c for c in name).split())
