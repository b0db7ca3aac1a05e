"""Ways of tampering with a sealed record, shared by the verify and command tests."""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.stamp import TextStamp, TextStampStyle
from pypdf import PdfWriter


def flip_a_signed_byte(pdf: bytes) -> bytes:
    """Change one letter of the /Producer, inside every signature's signed range."""
    offset = pdf.index(b"/Producer (ReportLab") + len(b"/Producer (")
    tampered = bytearray(pdf)
    tampered[offset] ^= 0x20  # "R" -> "r": still a well-formed PDF, different bytes
    return bytes(tampered)


def stamp_a_page(pdf: bytes) -> bytes:
    """Append an incremental update that draws new text on page 1."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    TextStamp(writer, TextStampStyle(stamp_text="Rating changed to Almost always")).apply(
        0, 60, 500
    )
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


def add_a_page_with_pypdf(pdf: bytes) -> bytes:
    """Append an incremental update (written by pypdf) that adds a blank page."""
    writer = PdfWriter(BytesIO(pdf), incremental=True)
    writer.add_blank_page()
    output = BytesIO()
    writer.write(output)
    return output.getvalue()
