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
    inside a cell; short columns as wide as their longest cell; the rest of
    ``available`` shared by how much longer each other column's longest cell is.
    ``None`` if the longest words alone do not fit at ``size``: the caller prints
    smaller then."""
    columns = max((len(row) for row in rows), default=0)
    least = [padding] * columns
    most = [padding] * columns
    for index, row in enumerate(rows):
        face = bold if index == 0 else font
        for column, text in enumerate(row):
            # Lines break at spaces only: a no-break space keeps a phone number whole.
            words = text.replace("\n", " ").split(" ")
            longest = max((stringWidth(w, face, size) for w in words), default=0.0)
            least[column] = max(least[column], longest + padding)
            most[column] = max(most[column], stringWidth(text, face, size) + padding)
    spare = available - sum(least)
    if spare < 0:
        return None
    wants = [m - n for m, n in zip(most, least, strict=True)]
    widths = list(least)
    open_columns = set(range(columns))
    # Short columns (a name, a phone number) get their whole text on one line first,
    # as long as that takes no more than an even share of what is left.
    while open_columns:
        share = spare / len(open_columns)
        whole = [c for c in open_columns if wants[c] <= share]
        if not whole:
            break
        for column in whole:
            widths[column] = most[column]
            spare -= wants[column]
            open_columns.discard(column)
    if not open_columns:
        # Everything fits on one line: the rest goes to the columns evenly.
        return [w + spare / columns for w in widths]
    total = sum(wants[c] for c in open_columns)
    for column in open_columns:
        widths[column] += spare * wants[column] / total
    return widths
