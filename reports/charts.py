"""Geometry of the dashboard's charts, drawn server-side as inline SVG by the templates
(reports/_chart_*.html): no JavaScript, no CDN, readable in print. Styling comes from classes
in portal.css and SVG presentation attributes, never from style attributes, so a strict
Content-Security-Policy can apply."""

from dataclasses import dataclass

ROW_HEIGHT = 22
LABEL_WIDTH = 300
BAR_WIDTH = 260
WIDTH = LABEL_WIDTH + BAR_WIDTH + 90


@dataclass
class Bar:
    label: str
    value: int
    whole: int
    percent: int
    # Top-left corner and length of the bar, in the chart's user units.
    x: int
    y: int
    length: int

    @property
    def text_y(self) -> int:
        return self.y + ROW_HEIGHT // 2 + 4


@dataclass
class Chart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_width: int


def hardest_chart(shares) -> Chart:
    """One horizontal bar per criterion (reports.dashboard.CriterionShare), least met first:
    the share of assessed communes meeting it."""
    bars = [
        Bar(
            label=f"{s.criterion.number}. {s.criterion.name}",
            value=s.met,
            whole=s.assessed,
            percent=s.percent,
            x=LABEL_WIDTH,
            y=i * ROW_HEIGHT,
            length=round(BAR_WIDTH * s.percent / 100),
        )
        for i, s in enumerate(shares)
    ]
    return Chart(bars, WIDTH, len(bars) * ROW_HEIGHT, LABEL_WIDTH, BAR_WIDTH)


def distribution_chart(distribution) -> Chart:
    """One horizontal bar per number of criteria met, from the most to none: how many assessed
    communes meet exactly that many. ``distribution`` is [(criteria met, communes), ...]."""
    whole = sum(n for _, n in distribution)
    top = max((n for _, n in distribution), default=0)
    bars = [
        Bar(
            label=str(met),
            value=n,
            whole=whole,
            percent=round(100 * n / whole) if whole else 0,
            x=60,
            y=i * ROW_HEIGHT,
            length=round(BAR_WIDTH * n / top) if top else 0,
        )
        for i, (met, n) in enumerate(reversed(distribution))
    ]
    return Chart(bars, 60 + BAR_WIDTH + 90, len(bars) * ROW_HEIGHT, 60, BAR_WIDTH)
