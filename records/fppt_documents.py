"""The FPPT's sealed documents: the annual submission to NHS England's regional director
and the Board Member Reference, rendered with ReportLab and sealed with the deployment's
seal (PAdES, like the appraisal records), then kept through the FPPT services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from appraisal_store.date_words import long_date, short_date
from appraisal_store.exports import Cell, Sheet, cell_text
from records.errors import SigningError
from records.pdf_signing import signature_reason
from records.seal import Seal
from records.typography import BODY_FONT, BOLD_FONT, NHS_BLUE, PALE_BLUE, markup, register_fonts

__all__ = ["Signer", "reference_pdf", "seal_document", "submission_pdf"]

MARGIN = 15 * mm


@dataclass(frozen=True)
class Signer:
    """Who signs a document, in which capacity, and when (with a time zone)."""

    name: str
    role: str
    at: datetime


def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    body = ParagraphStyle("body", fontName=BODY_FONT, fontSize=9.5, leading=13)
    return {"title": ParagraphStyle("title", parent=body, fontName=BOLD_FONT, fontSize=16,
                                    leading=20, textColor=NHS_BLUE, spaceAfter=4 * mm),
            "heading": ParagraphStyle("heading", parent=body, fontName=BOLD_FONT,
                                      fontSize=11, leading=15, spaceBefore=4 * mm,
                                      spaceAfter=2 * mm),
            "body": body,
            "cell": ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9.5)}


def _render(story: list[object], title: str, issued_on: date, *,
            pagesize: tuple[float, float] = A4) -> bytes:
    buffer = BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=pagesize, title=title, author="Board appraisal",
                                 leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                 bottomMargin=MARGIN, invariant=1)
    stamp = f"D:{issued_on:%Y%m%d}000000+00'00'"

    def dated(canvas: object, _document: object) -> None:
        canvas.setDateFormatter(lambda *_: stamp)  # type: ignore[attr-defined]  # ReportLab's canvas is untyped
    document.build(story, onFirstPage=dated, onLaterPages=dated)
    return buffer.getvalue()


def _pdf_cell(value: Cell) -> str:
    """A cell as a reader sees it on paper: a date in words (the spreadsheet keeps real
    dates), anything else as on the page."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return short_date(value)
    return cell_text(value)


def _column_widths(texts: list[list[str]], width: float, style: ParagraphStyle
                   ) -> list[float]:
    """Each column at least as wide as its longest word (narrower, and ReportLab splits the
    word across lines), the rest of ``width`` shared in proportion to how much more its
    text wants, so a long mitigation note wraps and a yes or no does not take a fifth."""
    padding = 14  # the cell's own padding (6 points each side), and a little to spare
    columns = list(zip(*texts, strict=True))

    def wide(text: str) -> float:
        return float(stringWidth(text, BOLD_FONT, style.fontSize)) + padding

    floors = [max(wide(word) for cell in column for word in cell.split() or [""])
              for column in columns]
    wants = [max(min(wide(cell), width / 3) for cell in column) for column in columns]
    spare = width - sum(floors)
    if spare <= 0:
        return [floor * width / sum(floors) for floor in floors]
    extra = [want - floor for floor, want in zip(floors, wants, strict=True)]
    share = sum(extra) or 1.0
    return [floor + spare * more / share for floor, more in zip(floors, extra, strict=True)]


def _table(sheet: Sheet, styles: dict[str, ParagraphStyle], width: float) -> Table:
    texts = [list(sheet.columns)] + [[_pdf_cell(v) for v in line] for line in sheet.lines]
    rows = [[Paragraph(markup(text), styles["cell"]) for text in line] for line in texts]
    table = Table(rows, repeatRows=1,
                  colWidths=_column_widths(texts, width, styles["cell"]))
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), PALE_BLUE),
                               ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#AEB7BD")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def submission_pdf(*, organisation: str, region: str, year: str, declaration: str,
                   sheet: Sheet, chair: Signer) -> bytes:
    """The annual FPPT submission: the chair's declaration and a line per board member."""
    styles = _styles()
    story: list[object] = [
        Paragraph("Fit and proper person test: annual submission", styles["title"]),
        Paragraph(markup(f"{organisation}, {year}. To the NHS England regional director"
                         + (f" ({region})" if region else "") + "."), styles["body"]),
        Paragraph("The chair's declaration", styles["heading"]),
        Paragraph(markup(declaration), styles["body"]),
        Paragraph(markup(f"Signed by {chair.name}, {chair.role}, on "
                         f"{long_date(chair.at)}."), styles["body"]),
        Paragraph("Board members", styles["heading"]),
        # Landscape: a line per board member has ten columns.
        _table(sheet, styles, landscape(A4)[0] - 2 * MARGIN)]
    return _render(story, f"FPPT submission {organisation} {year}", chair.at.date(),
                   pagesize=landscape(A4))


def reference_pdf(*, organisation: str, person: str, role: str, left_on: date, reason: str,
                  sections: list[tuple[str, str]], chair: Signer) -> bytes:
    """A Board Member Reference: the leaver, and each section as completed."""
    styles = _styles()
    story: list[object] = [
        Paragraph("Board Member Reference", styles["title"]),
        Paragraph(markup(f"{person}, {role}, {organisation}. Left on {long_date(left_on)}: "
                         f"{reason}"), styles["body"])]
    for title, answer in sections:
        story += [Paragraph(markup(title), styles["heading"]),
                  Paragraph(markup(answer), styles["body"])]
    story += [Spacer(1, 6 * mm), Paragraph(markup(
        f"Signed by {chair.name}, {chair.role}, on {long_date(chair.at)}."), styles["body"])]
    return _render(story, f"Board Member Reference {person}", chair.at.date())


def seal_document(pdf: bytes, *, field_name: str, signer: Signer, seal: Seal) -> bytes:
    """Seal ``pdf`` with the deployment's seal in an invisible PAdES signature field that
    names who signed, as what and when.

    Raises:
        SigningError: a naive time, or pyHanko could not sign.
    """
    if signer.at.tzinfo is None:
        raise SigningError("The signing time must carry a time zone.")
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, name=signer.name,
        reason=signature_reason(field_name, signer.name, signer.role, signer.at),
        location=seal.organisation)
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        output = signers.PdfSigner(
            metadata, seal.signer,
            new_field_spec=fields.SigFieldSpec(sig_field_name=field_name)).sign_pdf(
            writer, bytes_reserved=8192)
    except Exception as error:  # pyHanko raises many kinds
        raise SigningError(f"Could not seal the document: {error}") from error
    return output.getvalue()  # type: ignore[no-any-return]  # sign_pdf is unannotated
