"""The visible part of a signature: a small stamp drawn with ReportLab.

pyHanko's own text stamps need its optional OpenType extra (fontTools and uharfbuzz) to
draw anything beyond Latin-1, so a name such as "Nguyễn Thị Hoa" would lose its accents.
Instead ReportLab draws the stamp with the record's DejaVu font as a one-page PDF the
size of the signature box, and pyHanko imports that page as the field's appearance.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.content import PdfContent
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.stamp import StaticStampStyle
from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame, Paragraph

from records.typography import BODY_FONT, NHS_BLUE, format_date, markup, styles

__all__ = ["render_stamp", "stamp_style"]


def render_stamp(
    *,
    size: tuple[float, float],
    field_name: str,
    signer_name: str,
    signer_role: str,
    signed_at: datetime,
    sealed_by: str,
) -> bytes:
    """Draw the stamp as a one-page PDF exactly ``size`` points large.

    Args:
        size: Width and height of the signature box.
        field_name: "Appraisee" or "Appraiser".
        signer_name: The person signing, as written.
        signer_role: Their board role.
        signed_at: When they signed (shown as given, with its time zone).
        sealed_by: The seal certificate's common name.

    Returns:
        The stamp PDF's bytes.
    """
    s = styles()
    width, height = size
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=size, invariant=1, initialFontName=BODY_FONT)
    canvas.setFillColor(colors.white)
    canvas.setStrokeColor(NHS_BLUE)
    canvas.setLineWidth(1.2)
    canvas.rect(0.6, 0.6, width - 1.2, height - 1.2, stroke=1, fill=1)
    when = f"{format_date(signed_at.date())} at {signed_at:%H:%M} {signed_at.tzname() or ''}"
    lines = [
        Paragraph(markup(f"Signed by the {field_name.lower()}"), s.stamp_muted),
        # Regular weight only: each embedded font subset adds about 20 KB per signature.
        Paragraph(markup(signer_name), s.stamp_name),
        Paragraph(markup(signer_role), s.stamp_small),
        Paragraph(markup(when.strip()), s.stamp_small),
        Paragraph(markup(f"Sealed by {sealed_by}"), s.stamp_muted),
    ]
    frame = Frame(
        0,
        0,
        width,
        height,
        leftPadding=6,
        rightPadding=6,
        topPadding=4,
        bottomPadding=2,
        showBoundary=0,
    )
    # Frame.addFromList drops what does not fit rather than failing: a very long name
    # shortens the stamp, never the signature.
    frame.addFromList(lines, canvas)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class _ImportedStamp(PdfContent):
    """A page of an in-memory PDF imported as a form XObject (pyHanko reads files only)."""

    def __init__(self, pdf: bytes) -> None:
        super().__init__()
        self._pdf = pdf

    def render(self) -> bytes:
        writer = self._ensure_writer
        xobject = writer.import_page_as_xobject(PdfFileReader(BytesIO(self._pdf)), page_ix=0)
        self.resources.xobject["/SealStamp"] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = layout.BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return b"/SealStamp Do"


def stamp_style(stamp_pdf: bytes) -> StaticStampStyle:
    """Wrap a stamp PDF from :func:`render_stamp` as a pyHanko stamp style."""
    return StaticStampStyle(
        background=_ImportedStamp(stamp_pdf),
        border_width=0,
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(0),  # type: ignore[no-untyped-call]  # pyHanko
        ),
    )
