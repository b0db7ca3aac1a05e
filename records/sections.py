"""The record's sections, each a list of ReportLab flowables built from plain content.

User text only ever enters a Paragraph through :func:`records.typography.markup` or
:func:`records.typography.paragraph_texts`, so it shows literally. Free text (reflections,
comments) is laid out as top-level paragraphs, never inside a table cell or a
KeepTogether, so that text of any length flows across pages.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from competencies.scale import ScaleLabel
from records.chart import domain_chart
from records.content import DomainSection, RecordContent
from records.contributions import regional_input_section
from records.placement import ENDORSEMENT_FIELD, SIGNATURE_FIELDS, SignatureSpace
from records.typography import (
    NHS_BLUE,
    PALE_BLUE,
    WARM_YELLOW,
    Styles,
    format_date,
    markup,
    paragraph_texts,
)

__all__ = ["MARGIN", "SIGNATURE_BOX_SIZE", "record_story"]

SIGNATURE_BOX_SIZE = (220.0, 72.0)
MARGIN = 18 * mm
_FRAME_WIDTH = A4[0] - 2 * MARGIN
_GRID = colors.HexColor("#AEB7BD")


def _text(text: str, style: Any, empty: str = "None recorded.") -> list[Flowable]:
    parts = paragraph_texts(text)
    if not parts:
        return [Paragraph(markup(empty), style)]
    return [Paragraph(part, style) for part in parts]


def _table(
    rows: list[list[Any]],
    widths: list[float],
    *,
    header: bool = True,
    extra: list[tuple[Any, ...]] | None = None,
) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, splitInRow=1)
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), PALE_BLUE))
    table.setStyle(TableStyle(commands + (extra or [])))
    return table


def _cover(content: RecordContent, s: Styles) -> list[Flowable]:
    pairs = [
        (
            "Organisation",
            f"{content.organisation_name} ({content.organisation_code}), "
            f"{content.organisation_type_label}",
        ),
        ("Appraisee", f"{content.appraisee_name}, {content.appraisee_role}"),
        ("Appraiser", f"{content.appraiser_name}, {content.appraiser_role}"),
        ("Appraisal cycle", content.cycle_year),
        ("Review meeting", format_date(content.meeting_date)),
        ("Framework", f"{content.framework_name}, version {content.framework_version}"),
        ("Framework content hash", content.framework_hash),
        ("Record", f"{content.record_id}, issued {format_date(content.issued_on)}"),
        ("NHS England", content.nhse_note or "Not applicable"),
    ]
    rows = [[Paragraph(markup(k), s.cell_bold), Paragraph(markup(v), s.cell)] for k, v in pairs]
    return [
        Paragraph("Board member appraisal record", s.title),
        Paragraph(markup(f"{content.appraisee_name}: {content.cycle_year}"), s.h2),
        _table(
            rows,
            [42 * mm, _FRAME_WIDTH - 42 * mm],
            header=False,
            extra=[("BACKGROUND", (0, 0), (0, -1), PALE_BLUE)],
        ),
    ]


def _overview(content: RecordContent, s: Styles) -> list[Flowable]:
    rows: list[list[Any]] = [
        [
            Paragraph(t, s.cell_bold)
            for t in ("Domain", "Self-assessment (median)", "Appraiser's view")
        ]
    ]
    for d in content.domains:
        rows.append(
            [
                Paragraph(markup(f"{d.number}. {d.name}"), s.cell),
                Paragraph(markup(d.self_median_label or "n/a"), s.cell),
                Paragraph(markup(d.appraiser_view_label or "n/a"), s.cell),
            ]
        )
    return [
        Paragraph("The six domains at a glance", s.h1),
        domain_chart(content.domains, _FRAME_WIDTH),
        Spacer(1, 4),
        _table(rows, [_FRAME_WIDTH - 80 * mm, 40 * mm, 40 * mm]),
    ]


def _summary_text(d: DomainSection) -> str:
    counts = " · ".join(f"{c.label} {c.count}" for c in d.counts)
    applicable = sum(c.count for c in d.counts if c.label != "No chance to demonstrate")
    if d.strong_share is None:
        share = "No applicable answers, so no share is shown."
    else:
        share = (
            f"“Almost always” or “Frequently”: {round(d.strong_share * 100)}% of the "
            f"{applicable} applicable answers."
        )
    return f"Answers: {counts}. {share}"


def _domain(d: DomainSection, s: Styles) -> list[Flowable]:
    rows: list[list[Any]] = [
        [Paragraph("Statement", s.cell_bold), Paragraph("Self-assessment", s.cell_bold)]
    ]
    for line in d.statements:
        rows.append(
            [
                Paragraph(markup(line.text), s.cell),
                Paragraph(markup(line.self_label or "Not answered"), s.cell),
            ]
        )
    story: list[Flowable] = [
        # The heading stays with its statements; KeepTogether still splits if too tall.
        KeepTogether(
            [
                Paragraph(markup(f"Domain {d.number}: {d.name}"), s.h1),
                Paragraph("What good looks like", s.label),
                *_text(d.what_good_looks_like, s.muted, "Not given."),
                _table(rows, [_FRAME_WIDTH - 45 * mm, 45 * mm]),
            ]
        ),
        Spacer(1, 4),
        Paragraph(markup(_summary_text(d)), s.body),
        Paragraph(
            markup(
                f"Self-assessment median: {d.self_median_label or 'n/a'}. "
                f"Appraiser's view: {d.appraiser_view_label or 'n/a'}."
            ),
            s.body,
        ),
    ]
    if d.flagged:
        reason = d.flag_reason or "This domain was flagged."
        story.append(
            Paragraph(
                markup(
                    f"Development prompt: {reason} Consider this domain in the development plan. "
                    "This is a prompt for discussion, not a pass or a fail."
                ),
                s.prompt,
            )
        )
    story += [Paragraph("Appraisee's reflection", s.h2), *_text(d.self_reflection, s.body)]
    story += [Paragraph("Appraiser's commentary", s.h2), *_text(d.appraiser_commentary, s.body)]
    return story


def _objectives(content: RecordContent, s: Styles) -> list[Flowable]:
    story: list[Flowable] = [Paragraph("Last year's objectives reviewed", s.h1)]
    if content.previous_objectives:
        rows: list[list[Any]] = [
            [Paragraph(t, s.cell_bold) for t in ("Objective", "Outcome", "Comment")]
        ]
        rows += [
            [
                Paragraph(markup(o.text), s.cell),
                Paragraph(markup(o.outcome_label), s.cell),
                Paragraph(markup(o.comment), s.cell),
            ]
            for o in content.previous_objectives
        ]
        story.append(_table(rows, [_FRAME_WIDTH * 0.45, 25 * mm, _FRAME_WIDTH * 0.55 - 25 * mm]))
    else:
        story.append(Paragraph("No objectives were carried over from last year.", s.body))

    story.append(Paragraph("Objectives for the coming year", s.h1))
    if not content.objectives:
        return story + [Paragraph("No objectives were recorded.", s.body)]
    rows = [[Paragraph(t, s.cell_bold) for t in ("Kind", "Objective", "Measure", "Target date")]]
    extra: list[tuple[Any, ...]] = []
    for index, o in enumerate(content.objectives, start=1):
        kind = markup(o.kind_label)
        if o.is_edi:
            kind = f"<b>EDI objective</b><br/>{kind}"
            extra.append(("BACKGROUND", (0, index), (-1, index), WARM_YELLOW))
            extra.append(("LINEBEFORE", (0, index), (0, index), 3, NHS_BLUE))
        rows.append(
            [
                Paragraph(kind, s.cell),
                Paragraph(markup(o.text), s.cell),
                Paragraph(markup(o.measure), s.cell),
                Paragraph(markup(format_date(o.target_date, "Not set")), s.cell),
            ]
        )
    story.append(
        _table(
            rows, [32 * mm, _FRAME_WIDTH * 0.5, _FRAME_WIDTH * 0.5 - 60 * mm, 28 * mm], extra=extra
        )
    )
    if any(o.is_edi for o in content.objectives):
        note = "The highlighted objective is the equality, diversity and inclusion (EDI) objective."
    else:
        note = "No equality, diversity and inclusion (EDI) objective was recorded."
    story.append(Paragraph(note, s.muted))
    return story


def _development_and_fppt(content: RecordContent, s: Styles) -> list[Flowable]:
    story: list[Flowable] = [Paragraph("Development plan", s.h1)]
    if content.development_plan:
        rows: list[list[Any]] = [
            [
                Paragraph(t, s.cell_bold)
                for t in ("Development need", "Action", "Support", "Timescale")
            ]
        ]
        rows += [
            [Paragraph(markup(v), s.cell) for v in (d.need, d.action, d.support, d.timescale)]
            for d in content.development_plan
        ]
        quarter = _FRAME_WIDTH / 4
        story.append(_table(rows, [quarter] * 4))
    else:
        story.append(Paragraph("No development actions were recorded.", s.body))

    f = content.fppt
    pairs = [
        ("Last FPPT assessment", format_date(f.last_assessed_on)),
        ("Fit and proper person status", f.status_label),
        ("Signed off", f.sign_off),
        ("The director's self-attestation", f"Signed {format_date(f.self_attested_on)}"
         if f.self_attested_on else "Not signed"),
    ]
    rows = [[Paragraph(markup(k), s.cell_bold), Paragraph(markup(v), s.cell)] for k, v in pairs]
    story += [
        Paragraph("Fit and proper person test", s.h1),
        _table(rows, [60 * mm, _FRAME_WIDTH - 60 * mm], header=False),
        Paragraph("Notes", s.h2),
        *_text(f.notes, s.body),
        *_feedback(content, s),
    ]
    return story


def _feedback(content: RecordContent, s: Styles) -> list[Flowable]:
    """The multi-source feedback: the round's counts and unattributed text, then the
    appraiser's commentary on it."""
    story: list[Flowable] = [Paragraph("Multi-source feedback summary", s.h1)]
    f = content.feedback
    if f is None:
        story.append(Paragraph("No feedback round was run through the service.", s.body))
    else:
        story.append(Paragraph(markup(f"Response rate: {f.response_rate}."), s.body))
    if f is not None and not f.columns:
        story.append(Paragraph(markup(
            f"Fewer than {f.threshold} people answered, so no answers are shown."), s.body))
    elif f is not None:
        story.append(Paragraph(markup(
            "Counts of each answer across each domain's statements, never averaged. A group "
            f"is shown apart only with at least {f.threshold} responses; smaller groups are "
            "counted under Other respondents. Self: the appraisee's own ratings."), s.muted))
        labels = [label.label for label in ScaleLabel]
        width = (_FRAME_WIDTH - 50 * mm) / (1 + len(f.columns))
        for domain in f.domains:
            rows: list[list[Any]] = [[Paragraph(markup(domain.name), s.cell_bold),
                                      Paragraph("Self", s.cell_bold),
                                      *[Paragraph(markup(c), s.cell_bold) for c in f.columns]]]
            rows += [[Paragraph(markup(label), s.cell), Paragraph(str(own), s.cell),
                      *[Paragraph(str(column[i]), s.cell) for column in domain.columns]]
                     for i, (label, own) in enumerate(zip(labels, domain.self_assessment,
                                                          strict=True))]
            story.append(_table(rows, [50 * mm] + [width] * (1 + len(f.columns))))
            story.append(Spacer(1, 4))
        story.append(Paragraph("What respondents wrote", s.h2))
        story.append(Paragraph(markup("Grouped by domain and question, without names, in an "
                                      "order that does not follow who wrote it."), s.muted))
        for theme in f.themes:
            story.append(Paragraph(markup(f"{theme.place}: {theme.prompt}"), s.cell_bold))
            for text in theme.texts:
                story += _text(text, s.body)
        if not f.themes:
            story.append(Paragraph("Nobody wrote anything.", s.body))
    story += [Paragraph("The appraiser's commentary on the feedback", s.h2),
              *_text(content.msf_summary, s.body)]
    return story


def _comments_and_signatures(content: RecordContent, s: Styles) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph("Comments", s.h1),
        Paragraph("Appraisee's comments", s.h2),
        *_text(content.appraisee_comments, s.body),
        Paragraph("Appraiser's comments", s.h2),
        *_text(content.appraiser_comments, s.body),
        Paragraph("Recorded disagreement", s.h2),
    ]
    if content.disagreement.strip():
        story += [Paragraph(part, s.prompt) for part in paragraph_texts(content.disagreement)]
    else:
        story.append(Paragraph("No disagreement was recorded.", s.body))

    width, height = SIGNATURE_BOX_SIZE
    people = {
        "Appraisee": (content.appraisee_name, content.appraisee_role),
        "Appraiser": (content.appraiser_name, content.appraiser_role),
    }
    cells = [
        [
            Paragraph(field, s.label),
            Paragraph(markup(people[field][0]), s.body),
            Paragraph(markup(people[field][1]), s.muted),
            SignatureSpace(field, width, height),
        ]
        for field in SIGNATURE_FIELDS
    ]
    block = Table(
        [cells],
        colWidths=[_FRAME_WIDTH / 2] * 2,
        style=TableStyle(
            [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
        ),
    )
    endorsement: list[Flowable] = []
    if content.endorsement_by:
        endorsement = [
            Spacer(1, 10),
            Paragraph("Regional endorsement", s.label),
            Paragraph(markup(content.endorsement_by), s.body),
            Paragraph("Endorses the signed record before it goes to NHS England.", s.muted),
            SignatureSpace(ENDORSEMENT_FIELD, width, height),
        ]
    story.append(
        KeepTogether(
            [
                Paragraph("Signatures", s.h1),
                Paragraph(
                    "By signing, each party confirms that this record is an accurate account "
                    "of the appraisal. The seal of the organisation protects it against change.",
                    s.body,
                ),
                Spacer(1, 6),
                block,
                *endorsement,
            ]
        )
    )
    return story


def record_story(content: RecordContent, s: Styles) -> list[Flowable]:
    """Every section of the record, in reading order.

    Args:
        content: Everything the record shows.
        s: The record's paragraph styles.

    Returns:
        The flowables to build into the document.
    """
    story: list[Flowable] = [*_cover(content, s), *_overview(content, s)]
    for domain in content.domains:
        story += _domain(domain, s)
    story += _objectives(content, s)
    story += _development_and_fppt(content, s)
    story += regional_input_section(content, s)
    story += _comments_and_signatures(content, s)
    return story
