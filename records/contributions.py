"""What someone outside the board contributed to the appraisal, as the record shows it:
NHS England's regional director's input to a chair's appraisal, where the routing policy
gives them that part (an ICB's or NHS trust's chair by default)."""

from __future__ import annotations

from reportlab.platypus import Flowable, Paragraph

from records.content import RecordContent
from records.typography import Styles, format_date, markup, paragraph_texts

__all__ = ["regional_input_section"]


def regional_input_section(content: RecordContent, s: Styles) -> list[Flowable]:
    """The regional director's input, each with who gave it and when; nothing when there
    was none (the policy gives most appraisals no such part)."""
    if not content.regional_input:
        return []
    story: list[Flowable] = [
        Paragraph("Input from NHS England's regional director", s.h1),
        Paragraph("Given to the appraiser before the appraisal was agreed.", s.muted)]
    for line in content.regional_input:
        story.append(Paragraph(markup(
            f"{line.name}, NHS England's regional director, {format_date(line.given_on)}"),
            s.h2))
        story += [Paragraph(part, s.body) for part in paragraph_texts(line.text)]
    return story
