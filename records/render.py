"""Render a :class:`RecordContent` into the A4 PDF that both parties sign.

Rendering is deterministic: ReportLab runs in invariant mode, the document dates come
from ``content.issued_on`` and the PDF /ID from a digest of the content, so the same
content always gives the same bytes (the store can re-render and compare).
"""

from __future__ import annotations

import hashlib
from datetime import date
from functools import partial
from io import BytesIO
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph

from records.content import RecordContent
from records.errors import RenderError
from records.sections import MARGIN, record_story
from records.typography import BODY_FONT, Styles

__all__ = ["render_record"]

_FRAME_WIDTH = A4[0] - 2 * MARGIN
_PAGE_TOTAL_FORM = "recordPageTotal"
_GRID = colors.HexColor("#AEB7BD")


class _RecordCanvas(Canvas):
    """A canvas that fixes the document's /ID and dates and prints "Page X of Y".

    The total page count is unknown while pages are drawn, so each footer refers to a
    form XObject that is only filled in at save time, when the count is known.
    """

    def __init__(self, *args: Any, document_id: bytes, issued_on: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stamp = f"D:{issued_on:%Y%m%d}000000+00'00'"
        self.setDateFormatter(lambda *_: stamp)
        self.showOutline()  # open the bookmarks: domains and both signatures are one click away
        # ReportLab's invariant /ID is the same for every document and its API offers no
        # way to set one, hence the private attribute: a record needs an /ID of its own.
        digest = b"<" + document_id.hex().upper().encode("ascii") + b">"
        self._doc._ID = b"\n[" + digest + digest + b"]\n"

    def save(self) -> None:
        if len(self._code):
            self.showPage()
        total = self.getPageNumber() - 1
        self.beginForm(_PAGE_TOTAL_FORM)
        self.setFont(BODY_FONT, 7.5)
        self.setFillColor(colors.HexColor("#425563"))
        self.drawString(0, 0, str(total))
        self.endForm()
        super().save()


class _RecordDocTemplate(BaseDocTemplate):
    """Adds a bookmark for every section heading, so a reader can jump around."""

    def __init__(self, *args: Any, heading_style: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._heading_style = heading_style
        self._headings = 0

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 (ReportLab's hook)
        if isinstance(flowable, Paragraph) and flowable.style is self._heading_style:
            self._headings += 1
            key = f"section-{self._headings}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.getPlainText(), key, level=0)


def _fit(text: str, width: float, size: float = 7.5) -> str:
    """Shorten ``text`` with an ellipsis so a long name cannot run into the page number."""
    if stringWidth(text, BODY_FONT, size) <= width:
        return text
    while text and stringWidth(text + "…", BODY_FONT, size) > width:
        text = text[:-1]
    return text + "…"


def _footer(content: RecordContent, canvas: Canvas, _doc: BaseDocTemplate) -> None:
    canvas.saveState()
    canvas.setFont(BODY_FONT, 7.5)
    canvas.setFillColor(colors.HexColor("#425563"))
    canvas.setStrokeColor(_GRID)
    canvas.line(MARGIN, 14 * mm, A4[0] - MARGIN, 14 * mm)
    left = f"Record {content.record_id} · {content.appraisee_name} · {content.cycle_year}"
    canvas.drawString(MARGIN, 10 * mm, _fit(left, _FRAME_WIDTH - 90))
    page_text = f"Page {canvas.getPageNumber()} of "
    total_x = A4[0] - MARGIN - 10
    canvas.drawRightString(total_x, 10 * mm, page_text)
    canvas.saveState()
    canvas.translate(total_x, 10 * mm)
    canvas.doForm(_PAGE_TOTAL_FORM)
    canvas.restoreState()
    canvas.restoreState()


def _document_id(content: RecordContent) -> bytes:
    # repr of frozen dataclasses of str/int/float/date/tuple is stable across runs.
    return hashlib.sha256(repr(content).encode("utf-8")).digest()[:16]


def render_record(content: RecordContent) -> bytes:
    """Render the appraisal record as an unsigned A4 PDF.

    Args:
        content: Everything the record shows.

    Returns:
        The PDF bytes; the same content always gives the same bytes. The signature boxes
        can be read back with :func:`records.placement.signature_boxes`.

    Raises:
        RenderError: ReportLab could not lay the record out.
    """
    s = Styles()
    buffer = BytesIO()
    doc = _RecordDocTemplate(
        buffer,
        heading_style=s.h1,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=16 * mm,
        bottomMargin=20 * mm,
        title=f"Appraisal record: {content.appraisee_name}, {content.cycle_year}",
        author=content.organisation_name,
        subject=f"Board member appraisal record {content.record_id}",
        creator="board-appraisal",
        invariant=1,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates(
        [PageTemplate(id="record", frames=[frame], onPage=partial(_footer, content))]
    )
    story = record_story(content, s)
    maker = partial(_RecordCanvas, document_id=_document_id(content), issued_on=content.issued_on)
    try:
        doc.build(story, canvasmaker=maker)
    except Exception as error:  # LayoutError and friends: say which record failed
        raise RenderError(f"Could not lay out record {content.record_id}: {error}") from error
    return buffer.getvalue()
