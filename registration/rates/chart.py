"""The geometry of the reporting-rate bar chart, drawn as inline SVG by templates/admin/rates/chart.html.

Numbers are formatted here as plain strings (no locale formatting inside SVG attributes). Each bar's few
elements are written here too: a template loop spent some 13 lookups and tests a bar, a fifth of a rate page's
time with 100 bars. The names are the only text and are escaped (html.escape, as autoescape does); the other
values are numbers formatted here, so the bar is one f-string (format_html's escape of every value cost a
tenth of the city page).
"""

from decimal import Decimal
from html import escape

from django.utils.safestring import mark_safe

LABEL_WIDTH = 190  # room for the row names, right-aligned against the axis
BAR_AREA = 420  # 100% wide
RIGHT_MARGIN = 70  # room for the rate written after the bar
ROW_HEIGHT = 22
BAR_HEIGHT = 15
TOP = 22  # room for the threshold's label
BOTTOM = 8
LABEL_CHARS = 14


def _fmt(value) -> str:
    return f"{float(value):.1f}"


def _short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def bar_chart(rows, threshold: Decimal) -> dict:
    """One horizontal bar per row (its rate, 0–100%), a dashed line at the threshold, bars under it marked."""
    axis_x = LABEL_WIDTH
    label_x, axis, bar_height = _fmt(axis_x - 6), _fmt(axis_x), _fmt(BAR_HEIGHT)
    bars = []
    for index, row in enumerate(rows):
        # Whole numbers and a rate of one decimal: the geometry in floats is the same as in Decimals (a bar's
        # width is a multiple of 0.42, never within 0.01 of a rounding edge), at a fraction of the cost.
        y = TOP + index * ROW_HEIGHT
        rate = row.rate
        width = 0.0 if rate is None else min(float(rate), 100.0) * BAR_AREA / 100
        rate_text = "—" if rate is None else f"{rate}%"
        name = escape(row.name)
        label = name if len(row.name) <= LABEL_CHARS else escape(_short(row.name))
        below = " below-line" if row.below_line else ""
        bars.append(
            f'<g class="bar{below}"><title>{name} {rate_text}</title>'
            f'<text x="{label_x}" y="{y + BAR_HEIGHT - 3:.1f}" text-anchor="end">{label}</text>'
            f'<rect x="{axis}" y="{y:.1f}" width="{width:.1f}" height="{bar_height}"></rect>'
            f'<text x="{axis_x + width + 4:.1f}" y="{y + BAR_HEIGHT - 3:.1f}">{rate_text}</text></g>'
        )
    height = TOP + len(rows) * ROW_HEIGHT + BOTTOM
    threshold_x = axis_x + min(threshold, Decimal(100)) * BAR_AREA / 100
    return {
        # The names escaped above, the rest numbers.
        "bars": mark_safe("\n".join(bars)),  # noqa: S308  # nosec B308 B703
        "width": _fmt(LABEL_WIDTH + BAR_AREA + RIGHT_MARGIN),
        "height": _fmt(height),
        "axis_x": _fmt(axis_x),
        "label_x": _fmt(axis_x - 6),
        "bar_height": _fmt(BAR_HEIGHT),
        "threshold_x": _fmt(threshold_x),
        "line_top": _fmt(TOP - 4),
        "line_bottom": _fmt(height - BOTTOM + 2),
        "threshold_label_y": _fmt(TOP - 8),
        "threshold_text": f"{threshold}%",
    }
