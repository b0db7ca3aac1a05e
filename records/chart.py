"""The six-domain chart: the median self-rating beside the appraiser's view.

The scale is ordinal, so the axis carries the published labels, never numbers; a bar's
length only orders the answers. "No chance to demonstrate" (or no answer) has no place
on that order and is drawn as "n/a", never as a short bar.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from competencies.scale import ScaleLabel
from records.content import DomainSection
from records.typography import BODY_FONT, NHS_BLUE, register_fonts

__all__ = ["ORDERED_LABELS", "domain_chart", "label_position"]

# The published labels, weakest to strongest; position 0 is left for "n/a".
ORDERED_LABELS: tuple[str, ...] = tuple(
    answer.label for answer in reversed(ScaleLabel) if answer.applicable
)
_SELF_COLOUR = NHS_BLUE
_APPRAISER_COLOUR = colors.HexColor("#ED8B00")


def label_position(label: str | None) -> int:
    """Place an answer on the chart's ordinal axis: 1 to 4, or 0 for n/a."""
    if label is None:
        return 0
    try:
        return ORDERED_LABELS.index(label) + 1
    except ValueError:
        return 0


def _axis_label(value: float) -> str:
    position = round(value)
    return ORDERED_LABELS[position - 1] if 1 <= position <= len(ORDERED_LABELS) else ""


def _bar_label(value: float | None) -> str:
    return "n/a" if not value else ""


def domain_chart(domains: Sequence[DomainSection], width: float) -> Drawing:
    """Draw paired horizontal bars, one pair per domain, domain 1 at the top.

    Args:
        domains: The record's domains, in framework order.
        width: Width of the drawing in points.

    Returns:
        A ReportLab drawing to place in the story.
    """
    register_fonts()
    rows = list(reversed(domains))  # the chart's category axis runs bottom to top
    height = 40 + 26 * len(rows) + 40
    drawing = Drawing(width, height)

    chart = HorizontalBarChart()
    chart.x = 62
    chart.y = 48
    chart.width = width - chart.x - 40
    chart.height = height - chart.y - 12
    chart.data = [
        [label_position(d.self_median_label) for d in rows],
        [label_position(d.appraiser_view_label) for d in rows],
    ]
    chart.bars[0].fillColor = _SELF_COLOUR
    chart.bars[1].fillColor = _APPRAISER_COLOUR
    chart.bars.strokeColor = None
    chart.barSpacing = 1
    chart.groupSpacing = 8
    chart.barLabelFormat = _bar_label
    chart.barLabels.fontName = BODY_FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3

    chart.categoryAxis.categoryNames = [f"Domain {d.number}" for d in rows]
    chart.categoryAxis.labels.fontName = BODY_FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4

    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = len(ORDERED_LABELS)
    chart.valueAxis.valueStep = 1
    chart.valueAxis.labelTextFormat = _axis_label
    chart.valueAxis.labels.fontName = BODY_FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labels.boxAnchor = "n"
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#D8DDE0")
    drawing.add(chart)

    legend = Legend()
    legend.fontName = BODY_FONT
    legend.fontSize = 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 150
    legend.x = chart.x
    legend.y = 12
    legend.colorNamePairs = [
        (_SELF_COLOUR, "Self-assessment (median of the statements)"),
        (_APPRAISER_COLOUR, "Appraiser's view"),
    ]
    drawing.add(legend)
    drawing.add(
        String(
            width - 4,
            2,
            "n/a: no applicable answer",
            fontName=BODY_FONT,
            fontSize=7,
            textAnchor="end",
            fillColor=colors.HexColor("#425563"),
        )
    )
    return drawing
