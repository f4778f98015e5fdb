"""Pictures of the insights, drawn on the server.

A chart is a list of simple shapes (rectangles, lines, circles, texts) in a coordinate
system with y pointing down. The same shapes become inline SVG for the page
(:func:`to_svg`) and a ReportLab drawing for the PDF report (:func:`to_drawing`), so the
page and the printed report always show the same picture. Colours are named by class;
the page styles them in style.css and the PDF takes them from :data:`PALETTE`.
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


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def to_svg(chart: Chart) -> SafeString:
    """Inline SVG: role="img" with <title> and <desc>, no script, no style attribute."""
    ident = f"chart-{chart.key}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{ident}" role="img" '
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
    shapes: list[Shape], left: float, top: float, width: float, height: float, top_value: float
) -> None:
    for k in range(5):
        value = top_value * k / 4
        y = top + height - height * k / 4
        shapes.append(Line(left, y, left + width, y, "grid"))
        shapes.append(Text(left - 6, y + 4, _fmt(value), "axis", "end", 10))
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
            Text(left - 6, top + cell * i + cell / 2 + 4, short, "label", "end", 10)
        )
        # Column labels, written downwards-free: staggered above the matrix.
        chart.shapes.append(
            Text(left + cell * i + cell / 2, top - 8 - (i % 6) * 22, short, "label", "middle", 9)
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
                chart.shapes.append(Text(x + cell / 2, y + cell / 2 + 4, "–", "axis", "middle", 10))
                continue
            level = (
                0 if not value or not top_value else 1 + min(4, int(5 * value / (top_value + 1)))
            )
            cls = f"heat-{level}"
            chart.shapes.append(Rect(x, y, cell, cell, cls))
            if cell >= 26:
                chart.shapes.append(
                    Text(
                        x + cell / 2,
                        y + cell / 2 + 4,
                        str(value),
                        "on-dark" if cls in DARK else "label",
                        "middle",
                        10,
                    )
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
    return chart
