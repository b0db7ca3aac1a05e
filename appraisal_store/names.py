"""The rule every name on the record follows, a person's or an organisation's.

A name travels into email headers, log lines, PDFs and pages. One line of printable text
cannot reshape any of them; a control character (a line break splits a header or a log
line and makes the person's mail fail for good), a line or paragraph separator, or a
bidirectional override (text that reads differently from what it holds) can. The import,
the portal's forms and the commands all check names here, so they refuse the same ones.

Email addresses follow the same rule; free text (a reflection, a reason, a comment) may
hold line breaks and tabs but no other control character (a NUL cannot be stored in
PostgreSQL at all). Every length here is its column's, so nothing too long reaches the
database to be refused there.
"""

from __future__ import annotations

import unicodedata

PERSON_NAME_LONGEST = 200  # Person.name
ORGANISATION_NAME_LONGEST = 200  # Organisation.name
EMAIL_LONGEST = 320  # Person.email: 64 before the @ and 255 after, as RFC 5321 allows
# Free text is kept in Text columns, which have no length of their own: this bound keeps a
# pasted document (or a 2 MB form field) out of the record, its PDF and its emails.
TEXT_LONGEST = 20_000
SHOWN_LONGEST = 60  # of a refused value, quoted back in a message

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
    return _line_problem(text, longest=longest, what="a name")


def field_problem(value: str, *, longest: int) -> str | None:
    """What is wrong with ``value`` as a one-line field (a code, a role, a date as typed),
    or None. Completes "the role ..."."""
    return _line_problem(value, longest=longest, what="a field")


def email_problem(email: str) -> str | None:
    """What is wrong with ``email`` as an address to store, or None (its form is the
    caller's to check). Completes "the email ..."."""
    return _line_problem(email, longest=EMAIL_LONGEST, what="an email address")


def _line_problem(value: str, *, longest: int, what: str) -> str | None:
    """The one rule of every one-line value: printable characters, within its column."""
    refused = [c for c in dict.fromkeys(value) if _refused(c)]
    if refused:
        return ("contains " + ", ".join(_called(c) for c in refused)
                + f"; {what} must be one line of printable text")
    if len(value) > longest:
        return f"is {len(value)} characters long; at most {longest} are kept"
    return None


_TEXT_BREAKS = frozenset("\t\n\r")


def _refused_in_text(character: str) -> bool:
    return (unicodedata.category(character) in {"Cc", "Cs"}
            and character not in _TEXT_BREAKS)


def text_problem(text: str, *, longest: int = TEXT_LONGEST) -> str | None:
    """What is wrong with ``text`` as free text on the record, or None when it is usable.

    Line breaks and tabs are kept; any other control character is refused, and so is text
    longer than ``longest``. Completes "the reflection ...", "the reason ...".
    """
    refused = [c for c in dict.fromkeys(text) if _refused_in_text(c)]
    if refused:
        return ("contains " + ", ".join(_called(c) for c in refused)
                + "; only printable text, line breaks and tabs are kept")
    if len(text) > longest:
        return f"is {len(text)} characters long; at most {longest} are kept"
    return None


def text_problems(texts: dict[str, str], *, longest: int = TEXT_LONGEST) -> list[str]:
    """A problem for each of ``texts`` (label to text) that is not usable free text, e.g.
    "the reason contains a NUL (U+0000); only printable text, ..."."""
    return [f"{label} {problem}" for label, text in texts.items()
            if (problem := text_problem(text, longest=longest))]


def shown(value: str) -> str:
    """A refused value as it may be quoted back: printable, and cut short when long."""
    text = printable_name(value)
    return text if len(text) <= SHOWN_LONGEST else text[:SHOWN_LONGEST - 1] + "…"


def printable_name(name: str) -> str:
    """``name`` with every character the rule refuses replaced by a space (runs of spaces
    made one): for showing a name stored before the rule, never for storing one."""
    return " ".join("".join(" " if _refused(c) else c for c in name).split())
