"""The record of a mid-year review or check-in as a PDF: the objectives and development
actions with each party's progress notes, and the joint note. Not sealed: it is a working
record of the year, which next year's appraisal compiles."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from records.sections import MARGIN
from records.typography import format_date, markup, paragraph_texts, styles

__all__ = ["ProgressEntry", "render_check_in"]

ProgressEntry = tuple[str, str, str]  # what (objective or action), appraisee's, appraiser's


def render_check_in(*, title: str, organisation: str, year: str, appraisee: str,
                    appraiser: str, held_on: date, entries: list[ProgressEntry],
                    joint_note: str) -> bytes:
    """Render one check-in; deterministic for the same input (ReportLab invariant mode)."""
    s = styles()
    buffer = BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                                 topMargin=MARGIN, bottomMargin=MARGIN, invariant=1,
                                 title=f"{title}: {appraisee}", author=organisation)
    story = [
        Paragraph(markup(f"{title}: {appraisee}"), s.title),
        Paragraph(markup(f"{organisation} · objectives agreed in the {year} appraisal"),
                  s.muted),
        Paragraph(markup(f"Held on {format_date(held_on)} with {appraiser}"), s.body),
        Spacer(1, 8),
    ]
    for what, appraisee_note, appraiser_note in entries:
        story.append(Paragraph(markup(what), s.h2))
        for label, note in (("Appraisee", appraisee_note), ("Appraiser", appraiser_note)):
            story.append(Paragraph(label, s.label))
            texts = paragraph_texts(note) if note.strip() else ["No progress recorded."]
            story += [Paragraph(markup(t), s.body) for t in texts]
    story.append(Paragraph("Joint note", s.h1))
    texts = paragraph_texts(joint_note) if joint_note.strip() else ["No joint note."]
    story += [Paragraph(markup(t), s.body) for t in texts]
    document.build(story)
    return buffer.getvalue()
