"""Pictures of the insights, drawn on the server.

A chart is a list of simple shapes (rectangles, lines, circles, texts) in a coordinate
system with y pointing down. The same shapes become inline SVG for the page
(:func:`to_svg`) and a ReportLab drawing for the PDF report (:func:`to_drawing`), so the
page and the printed report always show the same picture. Colours are named by class;
the page styles them in style.css and the PDF takes them from :data:`PALETTE`.

Each chart also has a narrow layout for phones (:attr:`Chart.narrow`): the same figures
drawn again for a screen about :data:`NARROW` CSS pixels wide, with text of at least
:data:`NARROW_TEXT` pixels (bars lie on their side, labels of crowded axes become
numbers with a legend below). Scaling the wide picture down to a phone would shrink
its text to 6 px; the page shows one layout or the other by the screen's width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from reportlab.graphics.shapes import Circle as RCircle
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.shapes import Line as RLine
from reportlab.graphics.shapes import Rect as RRect
from reportlab.lib.colors import HexColor

# Colours of the classes; style.css uses the same values for the page.
PALETTE = {
    "axis": "#4d4540",
    "grid": "#d9cfc6",
    "label": "#1f1a17",
    "s0": "#6b3a12",  # joined
    "s1": "#1d5e2c",  # active
    "s2": "#0b57d0",  # paused
    "s3": "#9b1c1c",  # left
    "bar": "#6b3a12",
    "bar-hidden": "#d9cfc6",
    "node": "#1d5e2c",
    "edge": "#6b3a12",
    "heat-0": "#fffdf9",
    "heat-1": "#f4e2cf",
    "heat-2": "#e5bf98",
    "heat-3": "#c98f5c",
    "heat-4": "#9b5c2a",
    "heat-5": "#6b3a12",
    "heat-hidden": "#ece8e4",
}
# Text on dark heat cells is white.
DARK = {"heat-4", "heat-5", "bar", "node"}
# The narrow layout: its width in user units, drawn one to one on a phone's 390 CSS px
# screen (about 354 px inside the page's margins), and the size of its text.
NARROW = 340.0
NARROW_TEXT = 13.0


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    cls: str


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    cls: str
    width: float = 1.0


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float
    cls: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    cls: str = "label"
    anchor: str = "start"  # start, middle, end
    size: float = 11.0


Shape = Rect | Line | Circle | Text


@dataclass
class Table:
    """The figures of a picture, for screen readers and for copying."""

    caption: str
    columns: list[str]
    rows: list[list[str]]  # the first cell of each row is its header


@dataclass
class Chart:
    key: str
    title: str
    description: str
    width: float
    height: float
    table: Table
    shapes: list[Shape] = field(default_factory=list)
    note: str = ""
    # What each figure of the table means: (name, one plain sentence), shown beside it.
    terms: list[tuple[str, str]] = field(default_factory=list)
    # The same figures laid out for a phone's screen (see the module's docstring).
    narrow: Chart | None = None


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def to_svg(chart: Chart) -> SafeString:
    """Inline SVG: role="img" with <title> and <desc>, no script, no style attribute;
    followed by the narrow layout (class "narrow"), which the page shows on phones
    instead of the wide one (class "wide")."""
    wide = _svg(chart, f"chart-{chart.key}", "wide" if chart.narrow else "")
    if chart.narrow is None:
        return wide
    return wide + _svg(chart.narrow, f"chart-{chart.key}-narrow", "narrow")


def _svg(chart: Chart, ident: str, layout: str) -> SafeString:
    classes = f"chart {layout}".strip()
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{classes}" id="{ident}" role="img" '
        f'viewBox="0 0 {_fmt(chart.width)} {_fmt(chart.height)}" '
        f'width="{_fmt(chart.width)}" height="{_fmt(chart.height)}" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(chart.title)}</title>',
        f'<desc id="{ident}-desc">{escape(chart.description)}</desc>',
    ]
    for s in chart.shapes:
        if isinstance(s, Rect):
            parts.append(
                f'<rect class="{s.cls}" x="{_fmt(s.x)}" y="{_fmt(s.y)}" '
                f'width="{_fmt(s.w)}" height="{_fmt(s.h)}"/>'
            )
        elif isinstance(s, Line):
            parts.append(
                f'<line class="{s.cls}" x1="{_fmt(s.x1)}" y1="{_fmt(s.y1)}" '
                f'x2="{_fmt(s.x2)}" y2="{_fmt(s.y2)}" stroke-width="{_fmt(s.width)}"/>'
            )
        elif isinstance(s, Circle):
            parts.append(
                f'<circle class="{s.cls}" cx="{_fmt(s.cx)}" cy="{_fmt(s.cy)}" r="{_fmt(s.r)}"/>'
            )
        else:
            parts.append(
                f'<text class="t-{s.cls}" x="{_fmt(s.x)}" y="{_fmt(s.y)}" '
                f'text-anchor="{s.anchor}" font-size="{_fmt(s.size)}">{escape(s.text)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def to_drawing(chart: Chart, width: float | None = None, font: str = "Helvetica") -> Any:
    """A ReportLab drawing of the chart, scaled to ``width`` points if given."""
    scale = (width / chart.width) if width else 1.0
    drawing = Drawing(chart.width * scale, chart.height * scale)
    h = chart.height

    def colour(cls: str) -> Any:
        return HexColor(PALETTE.get(cls, PALETTE["label"]))

    for s in chart.shapes:
        if isinstance(s, Rect):
            item: Any = RRect(s.x, h - s.y - s.h, s.w, s.h, fillColor=colour(s.cls))
            item.strokeColor = HexColor(PALETTE["grid"]) if s.cls.startswith("heat") else None
            item.strokeWidth = 0.5
        elif isinstance(s, Line):
            item = RLine(s.x1, h - s.y1, s.x2, h - s.y2, strokeColor=colour(s.cls))
            item.strokeWidth = s.width
        elif isinstance(s, Circle):
            item = RCircle(s.cx, h - s.cy, s.r, fillColor=colour(s.cls), strokeColor=None)
        else:
            fill = "#ffffff" if s.cls == "on-dark" else PALETTE["label"]
            item = String(
                s.x,
                h - s.y,
                s.text,
                fontName=font,
                fontSize=s.size,
                fillColor=HexColor(fill),
                textAnchor={"start": "start", "middle": "middle", "end": "end"}[s.anchor],
            )
        drawing.add(item)
    drawing.scale(scale, scale)
    return drawing


# --- chart builders ----------------------------------------------------------------------


def _nice_max(value: float) -> float:
    """A round top for an axis of counts, divisible into four whole ticks."""
    if value <= 0:
        return 4.0
    magnitude = 10 ** math.floor(math.log10(value))
    top = 10 * magnitude
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            top = step * magnitude
            break
    return float(max(4, 4 * math.ceil(top / 4)))


def _axes(
    shapes: list[Shape],
    left: float,
    top: float,
    width: float,
    height: float,
    top_value: float,
    size: float = 10.0,
) -> None:
    for k in range(5):
        value = top_value * k / 4
        y = top + height - height * k / 4
        shapes.append(Line(left, y, left + width, y, "grid"))
        shapes.append(Text(left - 6, y + size * 0.4, _fmt(value), "axis", "end", size))
    shapes.append(Line(left, top, left, top + height, "axis"))
    shapes.append(Line(left, top + height, left + width, top + height, "axis"))


def line_chart(
    key: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    table: Table,
) -> Chart:
    """Lines over the points ``labels``; each series gets a colour class s0, s1, ..."""
    width, height = 640.0, 300.0
    left, top, plot_w, plot_h = 48.0, 16.0, 440.0, 240.0
    chart = Chart(key, title, description, width, height, table)
    top_value = _nice_max(max((v for _n, vs in series for v in vs), default=0))
    _axes(chart.shapes, left, top, plot_w, plot_h, top_value)
    n = len(labels)
    step = plot_w / max(1, n - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + (i * step if n > 1 else plot_w / 2), top + plot_h - plot_h * v / top_value

    every = max(1, math.ceil(n / 12))
    for i, label in enumerate(labels):
        if i % every == 0 or i == n - 1:
            x, _y = xy(i, 0)
            chart.shapes.append(Text(x, top + plot_h + 16, label, "axis", "middle", 10))
    for k, (name, values) in enumerate(series):
        cls = f"s{k % 4}"
        points = [xy(i, v) for i, v in enumerate(values)]
        for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
            chart.shapes.append(Line(x1, y1, x2, y2, cls, 2.5))
        for x, y in points:
            chart.shapes.append(Circle(x, y, 3.5, cls))
        ly = top + 10 + k * 22
        chart.shapes.append(Rect(left + plot_w + 20, ly - 9, 12, 12, cls))
        chart.shapes.append(Text(left + plot_w + 38, ly + 2, name, "label", "start", 11))
    chart.narrow = _narrow_line_chart(chart, labels, series, top_value)
    return chart


def _narrow_line_chart(
    wide: Chart, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], top: float
) -> Chart:
    """The lines on a phone: fewer labels under the axis, the legend below the picture."""
    size = NARROW_TEXT
    left, upper, plot_w, plot_h = 44.0, 12.0, NARROW - 44.0 - 16.0, 190.0
    legend_top = upper + plot_h + 42
    height = legend_top + 24 * len(series)
    chart = Chart(wide.key, wide.title, wide.description, NARROW, height, wide.table)
    _axes(chart.shapes, left, upper, plot_w, plot_h, top, size)
    n = len(labels)
    step = plot_w / max(1, n - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + (i * step if n > 1 else plot_w / 2), upper + plot_h - plot_h * v / top

    every = max(1, math.ceil(n / 5))
    for i, label in enumerate(labels):
        if i % every == 0 or i == n - 1:
            if i == n - 1 and i % every and (n - 1) % every < every / 2:
                continue  # too close to the label before it
            x, _y = xy(i, 0)
            chart.shapes.append(Text(x, upper + plot_h + 20, label, "axis", "middle", size))
    for k, (name, values) in enumerate(series):
        cls = f"s{k % 4}"
        points = [xy(i, v) for i, v in enumerate(values)]
        for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
            chart.shapes.append(Line(x1, y1, x2, y2, cls, 2.5))
        for x, y in points:
            chart.shapes.append(Circle(x, y, 3.5, cls))
        ly = legend_top + 24 * k
        chart.shapes.append(Rect(left, ly - 11, 13, 13, cls))
        chart.shapes.append(Text(left + 20, ly, name, "label", "start", size))
    return chart


def bar_chart(
    key: str,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    table: Table,
    top_value: float | None = None,
    unit: str = "",
) -> Chart:
    """One bar per label; a None value is drawn as a short grey stub marked "–"."""
    width, height = 640.0, 280.0
    left, top, plot_w, plot_h = 48.0, 16.0, 572.0, 220.0
    chart = Chart(key, title, description, width, height, table)
    top_value = top_value or _nice_max(max((v for v in values if v is not None), default=0))
    _axes(chart.shapes, left, top, plot_w, plot_h, top_value)
    n = max(1, len(labels))
    slot = plot_w / n
    bar_w = min(48.0, slot * 0.7)
    every = max(1, math.ceil(len(labels) / 16))
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + slot * i + (slot - bar_w) / 2
        if value is None:
            chart.shapes.append(Rect(x, top + plot_h - 4, bar_w, 4, "bar-hidden"))
            chart.shapes.append(Text(x + bar_w / 2, top + plot_h - 8, "–", "axis", "middle", 12))
        else:
            bar_h = plot_h * value / top_value
            chart.shapes.append(Rect(x, top + plot_h - bar_h, bar_w, bar_h, "bar"))
            if slot >= 28:
                chart.shapes.append(
                    Text(
                        x + bar_w / 2,
                        top + plot_h - bar_h - 4,
                        _fmt(value) + unit,
                        "label",
                        "middle",
                        10,
                    )
                )
        if i % every == 0:
            chart.shapes.append(Text(x + bar_w / 2, top + plot_h + 16, label, "axis", "middle", 10))
    chart.narrow = _narrow_bar_chart(chart, labels, values, top_value, unit)
    return chart


def _narrow_bar_chart(
    wide: Chart,
    labels: Sequence[str],
    values: Sequence[float | None],
    top_value: float,
    unit: str,
) -> Chart:
    """The bars on a phone lie on their side: one row per label, its value after it."""
    size, row = NARROW_TEXT, 28.0
    left, right, upper = 56.0, 64.0, 6.0
    plot_w = NARROW - left - right
    height = upper + row * max(1, len(labels)) + 6
    chart = Chart(wide.key, wide.title, wide.description, NARROW, height, wide.table)
    chart.shapes.append(Line(left, upper, left, height - 6, "axis"))
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = upper + row * i
        middle = y + row / 2 + size * 0.35
        chart.shapes.append(Text(left - 8, middle, label, "axis", "end", size))
        if value is None:
            chart.shapes.append(Rect(left, y + 6, 4, row - 12, "bar-hidden"))
            chart.shapes.append(Text(left + 10, middle, "–", "axis", "start", size))
            continue
        bar_w = plot_w * min(value, top_value) / top_value
        chart.shapes.append(Rect(left, y + 6, bar_w, row - 12, "bar"))
        chart.shapes.append(
            Text(left + bar_w + 6, middle, _fmt(value) + unit, "label", "start", size)
        )
    return chart


def heatmap(
    key: str,
    title: str,
    description: str,
    labels: Sequence[str],
    cells: Sequence[Sequence[int | None]],
    table: Table,
) -> Chart:
    """A square matrix; a None cell is hidden (grey, "–")."""
    n = len(labels)
    cell = max(22.0, min(44.0, 480.0 / max(1, n)))
    left = 150.0
    top = 150.0
    width = left + cell * n + 110  # room for the last column's label
    height = top + cell * n + 16
    chart = Chart(key, title, description, width, height, table)
    top_value = max((v for row in cells for v in row if v is not None), default=0)
    for i, label in enumerate(labels):
        short = label if len(label) <= 22 else label[:21] + "…"
        chart.shapes.append(
            Text(left - 6, top + cell * i + cell / 2 + 4, short, "label", "end", 12)
        )
        # Column labels, written downwards-free: staggered above the matrix.
        chart.shapes.append(
            Text(left + cell * i + cell / 2, top - 8 - (i % 6) * 22, short, "label", "middle", 11)
        )
        chart.shapes.append(
            Line(
                left + cell * i + cell / 2,
                top - 4 - (i % 6) * 22 + 2,
                left + cell * i + cell / 2,
                top,
                "grid",
            )
        )
    for i, row in enumerate(cells):
        for j, value in enumerate(row):
            x, y = left + cell * j, top + cell * i
            if value is None:
                chart.shapes.append(Rect(x, y, cell, cell, "heat-hidden"))
                chart.shapes.append(Text(x + cell / 2, y + cell / 2 + 4, "–", "axis", "middle", 12))
                continue
            cls = _heat_class(value, top_value)
            chart.shapes.append(Rect(x, y, cell, cell, cls))
            if cell >= 26:
                chart.shapes.append(
                    Text(
                        x + cell / 2,
                        y + cell / 2 + 4,
                        str(value),
                        "on-dark" if cls in DARK else "label",
                        "middle",
                        12,
                    )
                )
    chart.narrow = _narrow_heatmap(chart, labels, cells, top_value)
    return chart


def _heat_class(value: int | None, top_value: int) -> str:
    if value is None:
        return "heat-hidden"
    return (
        f"heat-{0 if not value or not top_value else 1 + min(4, int(5 * value / (top_value + 1)))}"
    )


def _narrow_heatmap(
    wide: Chart, labels: Sequence[str], cells: Sequence[Sequence[int | None]], top_value: int
) -> Chart:
    """The matrix on a phone: rows and columns numbered, the departments' names in a
    legend below (a column of names would not fit beside it)."""
    size = NARROW_TEXT
    n = len(labels)
    left, upper = 30.0, 24.0
    cell = (NARROW - left - 4) / max(1, n)
    # Numbers above the columns where there is room for them (about 8 px per digit).
    every = max(1, math.ceil(2 * 8.5 / cell)) if n >= 10 else 1
    legend_top = upper + cell * n + 30
    height = legend_top + 20 * n
    chart = Chart(wide.key, wide.title, wide.description, NARROW, height, wide.table)
    for i in range(n):
        number = str(i + 1)
        chart.shapes.append(
            Text(left - 6, upper + cell * i + cell / 2 + size * 0.35, number, "label", "end", size)
        )
        if i % every == 0:
            chart.shapes.append(
                Text(left + cell * i + cell / 2, upper - 8, number, "label", "middle", size)
            )
    for i, row in enumerate(cells):
        for j, value in enumerate(row):
            cls = _heat_class(value, top_value)
            x, y = left + cell * j, upper + cell * i
            chart.shapes.append(Rect(x, y, cell, cell, cls))
            if cell >= 30:
                text = "–" if value is None else str(value)
                shade = "on-dark" if cls in DARK else "label"
                chart.shapes.append(
                    Text(x + cell / 2, y + cell / 2 + size * 0.35, text, shade, "middle", size)
                )
    for i, label in enumerate(labels):
        short = label if len(label) <= 40 else label[:39] + "…"
        chart.shapes.append(
            Text(4, legend_top + 20 * i, f"{i + 1}  {short}", "label", "start", size)
        )
    return chart


def network(
    key: str,
    title: str,
    description: str,
    nodes: Sequence[tuple[str, int]],
    edges: Sequence[tuple[int, int, int]],
    table: Table,
) -> Chart:
    """Departments on a circle, each a disc whose area grows with its people; a line
    between two departments grows with the meetings between them. The picture stays the
    same size however many people there are, so it is readable at 1,000 people and more."""
    width, height = 640.0, 520.0
    cx, cy, radius = width / 2, height / 2, 190.0
    chart = Chart(key, title, description, width, height, table)
    n = len(nodes)
    if not n:
        return chart
    positions = [
        (
            cx + radius * math.cos(2 * math.pi * i / n - math.pi / 2),
            cy + radius * math.sin(2 * math.pi * i / n - math.pi / 2),
        )
        if n > 1
        else (cx, cy)
        for i in range(n)
    ]
    most_people = max(p for _l, p in nodes) or 1
    most_meetings = max((w for _a, _b, w in edges), default=1) or 1
    for a, b, w in sorted(edges, key=lambda e: e[2]):
        (x1, y1), (x2, y2) = positions[a], positions[b]
        chart.shapes.append(Line(x1, y1, x2, y2, "edge", 0.75 + 9 * w / most_meetings))
    for (label, people), (x, y) in zip(nodes, positions, strict=True):
        r = 6 + 22 * math.sqrt(people / most_people)
        chart.shapes.append(Circle(x, y, r, "node"))
        short = label if len(label) <= 24 else label[:23] + "…"
        outward = 1 if x >= cx else -1
        anchor = "middle" if abs(x - cx) < 20 else ("start" if outward > 0 else "end")
        lx = x + (0 if anchor == "middle" else outward * (r + 4))
        ly = y + (
            r + 14 if y >= cy and anchor == "middle" else (-r - 6 if anchor == "middle" else 4)
        )
        chart.shapes.append(Text(lx, ly, short, "label", anchor, 11))
    chart.narrow = _narrow_network(chart, nodes, edges)
    return chart


def _narrow_network(
    wide: Chart, nodes: Sequence[tuple[str, int]], edges: Sequence[tuple[int, int, int]]
) -> Chart:
    """The network on a phone: departments numbered around the circle, named in a
    legend below."""
    size = NARROW_TEXT
    cx = cy = NARROW / 2
    radius = NARROW / 2 - 50
    n = len(nodes)
    legend_top = NARROW + 10
    chart = Chart(wide.key, wide.title, wide.description, NARROW, legend_top + 20 * n, wide.table)
    angles = [2 * math.pi * i / max(1, n) - math.pi / 2 for i in range(n)]
    positions = [
        (cx + radius * math.cos(a), cy + radius * math.sin(a)) if n > 1 else (cx, cy)
        for a in angles
    ]
    most_people = max((p for _l, p in nodes), default=1) or 1
    most_meetings = max((w for _a, _b, w in edges), default=1) or 1
    for a, b, w in sorted(edges, key=lambda e: e[2]):
        (x1, y1), (x2, y2) = positions[a], positions[b]
        chart.shapes.append(Line(x1, y1, x2, y2, "edge", 0.75 + 6 * w / most_meetings))
    for i, ((label, people), (x, y)) in enumerate(zip(nodes, positions, strict=True)):
        r = 4 + 14 * math.sqrt(people / most_people)
        chart.shapes.append(Circle(x, y, r, "node"))
        away = r + 12
        lx = x + away * math.cos(angles[i]) if n > 1 else x
        ly = y + away * math.sin(angles[i]) + size * 0.35 if n > 1 else y - away
        chart.shapes.append(Text(lx, ly, str(i + 1), "label", "middle", size))
        short = label if len(label) <= 40 else label[:39] + "…"
        chart.shapes.append(
            Text(4, legend_top + 20 * i, f"{i + 1}  {short}", "label", "start", size)
        )
    return chart
