"""Server-rendered SVG charts (no script, no library, no CDN: the CSP stays as it is), drawn by
templates/partials/chart.html.

A chart is built from figures a selector has already computed (the one definition of each figure); this module
only lays them out. Every chart carries what assistive technology and a reader without the picture need: a title
and a description inside the SVG (aria-labelledby), the unit on every value, and the same figures as a table.
Numbers in attributes are plain strings (no locale formatting inside SVG); text goes through format_html.
"""

import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import format_html

_ids = itertools.count(1)


@dataclass(frozen=True)
class Chart:
    """What the partial draws: the SVG's size and elements, and the table alternative."""

    key: str
    title: str
    description: str
    unit: str
    width: str
    height: str
    elements: list = field(default_factory=list)
    table_header: tuple = ()
    table_rows: list = field(default_factory=list)

    @property
    def dom_id(self) -> str:
        return f"chart-{self.key}"


def _fmt(value) -> str:
    return f"{float(value):.1f}"


def number_text(value) -> str:
    """A value as shown: whole numbers without decimals, others with one."""
    value = Decimal(value or 0)
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.1f}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- Columns: a trend over time (one column a month) ---------------------------------------------------------

COLUMN_WIDTH = 34
COLUMN_GAP = 10
PLOT_HEIGHT = 150
COLUMNS_TOP = 24  # room for the value written above the tallest column
COLUMNS_BOTTOM = 40  # room for the labels (two lines) under the axis
COLUMNS_LEFT = 8

COLUMN = (
    '<g class="chart-column">'
    "<title>{label}：{value_text}</title>"
    '<rect x="{x}" y="{y}" width="{width}" height="{height}"></rect>'
    '<text class="chart-value" x="{center}" y="{value_y}" text-anchor="middle">{value_short}</text>'
    '<text class="chart-label" x="{center}" y="{label_y}" text-anchor="middle">{short_label}</text>'
    '<text class="chart-label chart-sublabel" x="{center}" y="{sublabel_y}" text-anchor="middle">{sublabel}</text>'
    "</g>"
)


def column_chart(
    *, key: str, title: str, description: str, unit: str, points, label_header: str, short_labels=None
) -> Chart:
    """One column per (label, value) point, e.g. per month; the value and its unit above each column. Under the
    column goes its short label if given (a column is narrow: "3月" rather than "2026-03"), else its label; a short
    label may be a pair, whose second line goes under the first (the year, where it starts)."""
    points = [(str(label), Decimal(value or 0)) for label, value in points]
    short_labels = list(short_labels) if short_labels is not None else [label for label, _value in points]
    short_labels = [label if isinstance(label, tuple) else (label, "") for label in short_labels]
    top = max((value for _label, value in points), default=Decimal(0)) or Decimal(1)
    axis_y = COLUMNS_TOP + PLOT_HEIGHT
    elements = []
    for index, (label, value) in enumerate(points):
        x = COLUMNS_LEFT + index * (COLUMN_WIDTH + COLUMN_GAP)
        height = value * PLOT_HEIGHT / top
        elements.append(
            format_html(
                COLUMN,
                label=label,
                short_label=short_labels[index][0],
                sublabel=short_labels[index][1],
                sublabel_y=_fmt(axis_y + 31),
                value_text=f"{number_text(value)} {unit}",
                value_short=number_text(value),
                x=_fmt(x),
                y=_fmt(axis_y - height),
                width=_fmt(COLUMN_WIDTH),
                height=_fmt(height),
                center=_fmt(x + COLUMN_WIDTH / 2),
                value_y=_fmt(axis_y - height - 5),
                label_y=_fmt(axis_y + 17),
            )
        )
    width = COLUMNS_LEFT * 2 + max(len(points), 1) * (COLUMN_WIDTH + COLUMN_GAP)
    elements.append(
        format_html(
            '<line class="chart-axis" x1="0" y1="{y}" x2="{x2}" y2="{y}"></line>'
            '<text class="chart-unit" x="0" y="12">{unit}</text>',
            y=_fmt(axis_y),
            x2=_fmt(width),
            unit=f"（{unit}）",
        )
    )
    return Chart(
        key=key,
        title=title,
        description=description,
        unit=unit,
        width=_fmt(width),
        height=_fmt(axis_y + COLUMNS_BOTTOM),
        elements=elements,
        table_header=(label_header, f"{title}（{unit}）"),
        table_rows=[(label, number_text(value)) for label, value in points],
    )


# --- Bars: a comparison between places ------------------------------------------------------------------------

BAR_LABEL_WIDTH = 150
BAR_AREA = 360
BAR_RIGHT = 90
BAR_ROW = 24
BAR_HEIGHT = 16
BARS_TOP = 20
LABEL_CHARS = 10

BAR = (
    '<g class="chart-bar">'
    "<title>{name}：{value_text}</title>"
    '<text class="chart-label" x="{label_x}" y="{text_y}" text-anchor="end">{label}</text>'
    '<rect x="{axis_x}" y="{y}" width="{width}" height="{bar_height}"></rect>'
    '<text class="chart-value" x="{value_x}" y="{text_y}">{value_text}</text>'
    "</g>"
)


def bar_chart(*, key: str, title: str, description: str, unit: str, rows, label_header: str) -> Chart:
    """One horizontal bar per (name, value) row, longest first as given; the value and unit after each bar."""
    rows = [(str(name), Decimal(value or 0)) for name, value in rows]
    top = max((value for _name, value in rows), default=Decimal(0)) or Decimal(1)
    axis_x = BAR_LABEL_WIDTH
    elements = []
    for index, (name, value) in enumerate(rows):
        y = BARS_TOP + index * BAR_ROW
        width = value * BAR_AREA / top
        elements.append(
            format_html(
                BAR,
                name=name,
                label=_short(name, LABEL_CHARS),
                value_text=f"{number_text(value)} {unit}",
                label_x=_fmt(axis_x - 6),
                text_y=_fmt(y + BAR_HEIGHT - 3),
                axis_x=_fmt(axis_x),
                y=_fmt(y),
                width=_fmt(width),
                bar_height=_fmt(BAR_HEIGHT),
                value_x=_fmt(axis_x + width + 4),
            )
        )
    height = BARS_TOP + max(len(rows), 1) * BAR_ROW + 6
    elements.append(
        format_html(
            '<line class="chart-axis" x1="{x}" y1="{top}" x2="{x}" y2="{bottom}"></line>'
            '<text class="chart-unit" x="{x}" y="12">{unit}</text>',
            x=_fmt(axis_x),
            top=_fmt(BARS_TOP - 4),
            bottom=_fmt(height - 4),
            unit=f"（{unit}）",
        )
    )
    return Chart(
        key=key,
        title=title,
        description=description,
        unit=unit,
        width=_fmt(BAR_LABEL_WIDTH + BAR_AREA + BAR_RIGHT),
        height=_fmt(height),
        elements=elements,
        table_header=(label_header, f"{title}（{unit}）"),
        table_rows=[(name, number_text(value)) for name, value in rows],
    )
