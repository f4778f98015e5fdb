"""Fonts for the PDFs Kaffeeklatsch prints (letters, phone lists, reports)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont

# A font with the letters of every name (ı, ş, ł, ő, Cyrillic ...): DejaVu where the
# system has it (Debian: fonts-dejavu-core, installed by scripts/install.sh), else
# Bitstream Vera, which ships with ReportLab.
FONT_CANDIDATES = [
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
]


def pdf_fonts() -> tuple[str, str]:
    """Registers (once) and returns the names of the regular and the bold font."""
    if "KKSans" not in pdfmetrics.getRegisteredFontNames():
        vera = Path(reportlab.__file__).parent / "fonts"
        regular, bold = str(vera / "Vera.ttf"), str(vera / "VeraBd.ttf")
        for candidate, candidate_bold in FONT_CANDIDATES:
            if Path(candidate).exists() and Path(candidate_bold).exists():
                regular, bold = candidate, candidate_bold
                break
        pdfmetrics.registerFont(TTFont("KKSans", regular))
        pdfmetrics.registerFont(TTFont("KKSans-Bold", bold))
    return "KKSans", "KKSans-Bold"


def fitted_widths(
    rows: Sequence[Sequence[str]],
    font: str,
    bold: str,
    size: float,
    available: float,
    padding: float = 12.0,
) -> list[float] | None:
    """Column widths (points) for a table whose first row is a header in ``bold``:
    every column at least as wide as its longest word, so that no word is broken
    inside a cell, and the rest of ``available`` shared by how much longer each
    column's longest cell is. ``None`` if the longest words alone do not fit at
    ``size``: the caller prints smaller then."""
    columns = max((len(row) for row in rows), default=0)
    least = [padding] * columns
    most = [padding] * columns
    for index, row in enumerate(rows):
        face = bold if index == 0 else font
        for column, text in enumerate(row):
            words = text.split()
            longest = max((stringWidth(w, face, size) for w in words), default=0.0)
            least[column] = max(least[column], longest + padding)
            most[column] = max(most[column], stringWidth(text, face, size) + padding)
    spare = available - sum(least)
    if spare < 0:
        return None
    wants = [m - n for m, n in zip(most, least, strict=True)]
    total = sum(wants)
    if total <= spare:
        # Everything fits on one line: the rest goes to the columns evenly.
        return [m + (spare - total) / columns for m in most]
    return [n + spare * w / total for n, w in zip(least, wants, strict=True)]
