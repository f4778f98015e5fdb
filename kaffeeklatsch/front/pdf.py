"""Fonts for the PDFs Kaffeeklatsch prints (letters, phone lists, reports)."""

from __future__ import annotations

from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
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
