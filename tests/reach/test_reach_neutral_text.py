"""Chat texts on one line: ``neutral`` removes every character a one-line text may not
hold (as the engine's ``clean_one_line``), invisible ones included."""

from __future__ import annotations

import pytest

from kaffeeklatsch.reach.channels.escaping import neutral


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("Anna\u200bMüller", "AnnaMüller"),  # zero width space
        ("\ufeffBen Schulz", "Ben Schulz"),  # byte order mark
        ("Cem\U000e0041\U000e0042 Kaya", "Cem Kaya"),  # tag characters
        ("Dana\u2062Roth\u2061", "DanaRoth"),  # invisible operators
        ("Eve\r\nAdmin\u202eevil", "Eve Adminevil"),  # line break, bidi override
        ("Farid\u200cZadeh", "Farid\u200cZadeh"),  # the non-joiner a name may need
    ],
)
def test_neutral_removes_invisible_characters(given: str, shown: str) -> None:
    assert neutral(given) == shown
