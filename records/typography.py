"""Fonts, paragraph styles and the escaping of user text for the record.

Every piece of user text goes through :func:`paragraphs` or :func:`markup` before it
reaches a ReportLab ``Paragraph``: ReportLab parses paragraph text as XML-like markup, so
an unescaped ``<b>`` or ``&`` in a comment would change the layout or break the build.
"""

from __future__ import annotations

import re
import threading
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

__all__ = [
    "BODY_FONT",
    "BOLD_FONT",
    "FONT_DIR",
    "NHS_BLUE",
    "Styles",
    "format_date",
    "markup",
    "paragraph_texts",
    "register_fonts",
    "styles",
]

FONT_DIR = Path(__file__).with_name("fonts")
BODY_FONT = "DejaVuSans"
BOLD_FONT = "DejaVuSans-Bold"
NHS_BLUE = colors.HexColor("#005EB8")
PALE_BLUE = colors.HexColor("#E8EDEE")
WARM_YELLOW = colors.HexColor("#FFF4CC")

# XML 1.0 cannot carry most C0 controls; ReportLab's parser rejects them, so drop them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_BLANK_LINES = re.compile(r"\n\s*\n")

_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register DejaVu Sans (shipped in ``records/fonts``) with ReportLab, once.

    The fonts ship with the package so that a machine without Debian's
    ``fonts-dejavu-core`` still renders every name.
    """
    global _registered
    with _lock:
        if _registered:
            return
        pdfmetrics.registerFont(TTFont(BODY_FONT, str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD_FONT, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFontFamily(
            BODY_FONT, normal=BODY_FONT, bold=BOLD_FONT, italic=BODY_FONT, boldItalic=BOLD_FONT
        )
        _registered = True


def markup(text: str) -> str:
    """Escape user text for a ReportLab Paragraph, keeping its line breaks.

    Args:
        text: Any text a person typed.

    Returns:
        Paragraph markup that shows ``text`` literally (``<b>`` stays ``<b>``).
    """
    cleaned = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    cleaned = cleaned.replace("\t", "    ")
    return escape(cleaned).replace("\n", "<br/>")


def paragraph_texts(text: str) -> list[str]:
    """Split user text at blank lines into escaped paragraphs, so long text flows.

    Args:
        text: Any text a person typed, possibly empty.

    Returns:
        Escaped markup, one string per paragraph; empty when ``text`` is blank.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [markup(part.strip()) for part in _BLANK_LINES.split(text) if part.strip()]


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date(value: date | None, missing: str = "Not recorded") -> str:
    """Format a date the way the record prints it ("12 June 2025"), locale-free."""
    if value is None:
        return missing
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


class Styles:
    """The record's paragraph styles, built once per render."""

    def __init__(self) -> None:
        register_fonts()
        base = ParagraphStyle(
            "body",
            fontName=BODY_FONT,
            fontSize=9.5,
            leading=13,
            spaceAfter=4,
            splitLongWords=1,
        )
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8, leading=10.5)
        self.muted = ParagraphStyle(
            "muted", parent=self.small, textColor=colors.HexColor("#425563")
        )
        self.cell = ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11, spaceAfter=0)
        self.cell_bold = ParagraphStyle("cell_bold", parent=self.cell, fontName=BOLD_FONT)
        self.label = ParagraphStyle(
            "label", parent=base, fontName=BOLD_FONT, spaceAfter=1, keepWithNext=1
        )
        self.title = ParagraphStyle(
            "title",
            parent=base,
            fontName=BOLD_FONT,
            fontSize=18,
            leading=22,
            textColor=NHS_BLUE,
            spaceAfter=6,
        )
        self.h1 = ParagraphStyle(
            "h1",
            parent=base,
            fontName=BOLD_FONT,
            fontSize=13,
            leading=17,
            textColor=NHS_BLUE,
            spaceBefore=10,
            spaceAfter=5,
            keepWithNext=1,
        )
        self.h2 = ParagraphStyle(
            "h2",
            parent=base,
            fontName=BOLD_FONT,
            fontSize=10.5,
            leading=14,
            spaceBefore=6,
            spaceAfter=3,
            keepWithNext=1,
        )
        self.stamp_name = ParagraphStyle(
            "stamp_name", parent=base, fontSize=10, leading=12, spaceAfter=0, textColor=NHS_BLUE
        )
        self.stamp_small = ParagraphStyle("stamp_small", parent=self.small, spaceAfter=0)
        self.stamp_muted = ParagraphStyle(
            "stamp_muted", parent=self.muted, spaceAfter=0, fontSize=7, leading=9
        )
        self.prompt = ParagraphStyle(
            "prompt",
            parent=base,
            backColor=WARM_YELLOW,
            borderPadding=4,
            spaceBefore=4,
            spaceAfter=8,
        )


def styles() -> Styles:
    """Return a fresh set of the record's styles (fonts registered)."""
    return Styles()
