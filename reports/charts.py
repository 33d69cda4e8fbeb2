"""Geometry of the dashboard's charts, drawn server-side as inline SVG by the templates
(reports/_chart_*.html): no JavaScript, no CDN, readable in print. Styling comes from classes
in portal.css and SVG presentation attributes, never from style attributes, so a strict
Content-Security-Policy can apply.

The charts are laid out for a phone: 360 user units wide, each label on its own line above
its bar, so that a chart scaled to a 360 px screen keeps its text at about its CSS size
(portal.css caps the width on wide screens, where it would otherwise grow)."""

from dataclasses import dataclass
from functools import cached_property

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext

WIDTH = 360
# Each row: a label line, then the bar with its value to the right.
ROW_HEIGHT = 38
LABEL_HEIGHT = 16
BAR_HEIGHT = 14
BAR_WIDTH = 240
LABEL_CHARS = 46


@dataclass
class Bar:
    label: str
    value: int
    whole: int
    percent: int
    # Top-left corner of the row and length of the bar, in the chart's user units.
    x: int
    y: int
    length: int

    @property
    def label_y(self) -> int:
        return self.y + LABEL_HEIGHT - 3

    @property
    def bar_y(self) -> int:
        return self.y + LABEL_HEIGHT + 2

    @property
    def text_y(self) -> int:
        return self.bar_y + BAR_HEIGHT - 2


@dataclass
class Chart:
    bars: list[Bar]
    width: int
    height: int
    bar_width: int

    @cached_property
    def bars_html(self) -> SafeString:
        """The chart's rows (reports/_chart_bars.html) as ready SVG, exactly as the template
        loop wrote them: the lookups, filters and translated title per bar were most of a
        dashboard's fixed rendering time. Call it while the request's language is active."""
        parts = []
        for bar in self.bars:
            # blocktranslate: the message as translated, its values escaped.
            title = gettext("%(label)s: %(value)s of %(whole)s (%(percent)s%%)") % {
                "label": escape(bar.label),
                "value": bar.value,
                "whole": bar.whole,
                "percent": bar.percent,
            }
            label = escape(Truncator(bar.label).chars(LABEL_CHARS))
            parts.append(
                f'\n      <g class="chart__row">\n        \n        <title>{title}</title>\n'
                f'        <text class="chart__label" x="{bar.x}" y="{bar.label_y}">{label}</text>\n'
                f'        <rect class="chart__track" x="{bar.x}" y="{bar.bar_y}" '
                f'width="{self.bar_width}" height="14" fill="#eef1f4" stroke="#9aa5b1" '
                'stroke-width="0.5"></rect>\n'
                f'        <rect class="chart__bar" x="{bar.x}" y="{bar.bar_y}" '
                f'width="{bar.length}" height="14" fill="#0b5cad"></rect>\n'
                f'        <text class="chart__value" x="{bar.x + self.bar_width + 6}" '
                f'y="{bar.text_y}">{bar.value}/{bar.whole} ({bar.percent}%)</text>\n'
                "      </g>\n    "
            )
        return mark_safe("".join(parts))  # noqa: S308 - labels escaped, titles from catalogues


def hardest_chart(shares) -> Chart:
    """One horizontal bar per criterion (reports.dashboard.CriterionShare), least met first:
    the share of assessed communes meeting it."""
    bars = [
        Bar(
            label=f"{s.criterion.number}. {s.criterion.name}",
            value=s.met,
            whole=s.assessed,
            percent=s.percent,
            x=0,
            y=i * ROW_HEIGHT,
            length=round(BAR_WIDTH * s.percent / 100),
        )
        for i, s in enumerate(shares)
    ]
    return Chart(bars, WIDTH, len(bars) * ROW_HEIGHT, BAR_WIDTH)


def distribution_chart(distribution, label_format="{}") -> Chart:
    """One horizontal bar per number of criteria met, from the most to none: how many assessed
    communes meet exactly that many. ``distribution`` is [(criteria met, communes), ...]."""
    whole = sum(n for _, n in distribution)
    top = max((n for _, n in distribution), default=0)
    bars = [
        Bar(
            label=label_format.format(met),
            value=n,
            whole=whole,
            percent=round(100 * n / whole) if whole else 0,
            x=0,
            y=i * ROW_HEIGHT,
            length=round(BAR_WIDTH * n / top) if top else 0,
        )
        for i, (met, n) in enumerate(reversed(distribution))
    ]
    return Chart(bars, WIDTH, len(bars) * ROW_HEIGHT, BAR_WIDTH)


# -- Trend: vertical bars, one per year -------------------------------------------------------

TREND_HEIGHT = 200
TREND_TOP = 24  # room for the value above the tallest bar
TREND_BOTTOM = 24  # room for the year below the axis
TREND_COLUMN = 56
TREND_BAR = 36


@dataclass
class Column:
    label: str
    value: float
    total: int
    assessed: int
    x: int
    y: int
    height: int

    @property
    def centre(self) -> int:
        return self.x + TREND_BAR // 2


@dataclass
class ColumnChart:
    columns: list[Column]
    width: int
    height: int
    baseline: int


def trend_chart(points, n_criteria: int) -> ColumnChart:
    """One column per year (reports.dashboard.TrendPoint): the average criteria met by the
    assessed communes, on a 0..n_criteria scale."""
    plot = TREND_HEIGHT - TREND_TOP - TREND_BOTTOM
    baseline = TREND_HEIGHT - TREND_BOTTOM
    columns = []
    for i, point in enumerate(points):
        height = round(plot * point.average / n_criteria) if n_criteria else 0
        columns.append(
            Column(
                label=str(point.year),
                value=point.average,
                total=n_criteria,
                assessed=point.assessed,
                x=8 + i * TREND_COLUMN,
                y=baseline - height,
                height=height,
            )
        )
    width = max(WIDTH, 16 + len(points) * TREND_COLUMN)
    return ColumnChart(columns, width, TREND_HEIGHT, baseline)
