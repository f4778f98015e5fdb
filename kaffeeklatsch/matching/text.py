"""One-line texts people give: names, departments, organisations, places, interests.

Such a text ends up in e-mail headers (a subject names the partners), calendar
entries, chat messages, CSV files and log-free pages. A line break there can make a
message undeliverable ("Header values can't contain newlines") or add a header; an
invisible bidirectional override can show "gnp.exe" as "exe.png". So a one-line text
holds none of these characters:

- controls (Unicode category Cc): C0 (U+0000–U+001F: tab, line feed and carriage
  return included), DEL (U+007F) and C1 (U+0080–U+009F, NEL U+0085 among them);
- the line and paragraph separators U+2028 and U+2029 (categories Zl, Zp);
- format characters (category Cf): bidirectional embeddings, overrides, isolates and
  marks (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), the zero width space,
  the byte order mark, invisible operators and tags, which hide or reorder text
  without being seen;
- lone surrogates (category Cs), which no e-mail or database can encode as UTF-8.

Kept are three format characters that neither reorder text nor break a line: the
zero width joiner (U+200D) and non-joiner (U+200C), which Persian, Urdu, Kurdish and
the Indic scripts need to write some names correctly (and emoji sequences to join),
and the soft hyphen (U+00AD), which long German words pasted from a word processor
carry between the parts of a word (in a department such as Personalentwicklung).

The module is part of the engine, pure Python: its CSV reader uses it as the web does;
:mod:`kaffeeklatsch.lib.validators` turns it into the forms' validator.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import NamedTuple

__all__ = [
    "Cleaned",
    "clean_lines",
    "clean_one_line",
    "describe",
    "forbidden_characters",
    "forbidden_class",
    "is_one_line",
]

# Needed by names in several scripts and by pasted text (see the module's docstring).
ALLOWED_FORMAT = frozenset({"\u00ad", "\u200c", "\u200d"})
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Characters that separate words or lines: a cleaned text gets a space instead, so
# "Anna\tMüller" becomes "Anna Müller", not "AnnaMüller".
_BREAKS = frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")


def _forbidden(char: str) -> bool:
    return unicodedata.category(char) in FORBIDDEN_CATEGORIES and char not in ALLOWED_FORMAT


def forbidden_characters(text: str) -> list[str]:
    """The characters of ``text`` a one-line text may not hold, each once, in the
    order they first appear."""
    found: dict[str, None] = {}
    for char in text:
        if char.isprintable() or char == " ":
            # Fast path: printable characters are none of the forbidden categories
            # (str.isprintable is false for Cc, Cf, Cs, Zl, Zp and all but " " of Zs).
            continue
        if _forbidden(char):
            found.setdefault(char)
    return list(found)


def is_one_line(text: str) -> bool:
    """Whether ``text`` holds none of the characters a one-line text may not hold."""
    return text.isprintable() or not forbidden_characters(text)


def describe(characters: list[str]) -> str:
    """Characters as their code points, for a message a person can act on:
    ``"U+000D, U+202E"`` (the characters themselves are invisible or break lines)."""
    return ", ".join(f"U+{ord(c):04X}" for c in characters)


class Cleaned(NamedTuple):
    """A text made one line, and how many characters were removed or replaced."""

    text: str
    removed: int


def clean_one_line(text: str) -> Cleaned:
    """``text`` without the characters a one-line text may not hold: line breaks and
    tabs become a space (runs of spaces then one), the others are removed. For texts
    that cannot be sent back to the person who wrote them (provisioning, single
    sign-on) and for what is written into e-mail headers and calendar entries."""
    if text.isprintable():
        return Cleaned(text, 0)
    parts: list[str] = []
    removed = 0
    for char in text:
        if not _forbidden(char):
            parts.append(char)
            continue
        removed += 1
        if char in _BREAKS:
            parts.append(" ")
    if not removed:
        return Cleaned(text, 0)
    return Cleaned(" ".join("".join(parts).split()), removed)


def clean_lines(text: str) -> str:
    """A text of several lines (a calendar entry's description) with each line made
    one line by :func:`clean_one_line`; the line feeds between them stay."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(clean_one_line(line).text for line in lines)


@functools.cache
def forbidden_class() -> str:
    """The characters of the Basic Multilingual Plane a one-line text may not hold, as
    the inside of a regular expression's character class (``"\\u0000-\\u001f…"``), for
    the API's description of its texts; computed from the same rule as
    :func:`forbidden_characters`. Left out are lone surrogates (text sent as UTF-8
    cannot hold one) and the few format characters beyond the plane (tags, controls of
    historic scripts): the regular expressions of JSON Schema validators cannot all
    name them. The forms refuse those as well."""
    ranges: list[list[int]] = []
    for code in range(0x10000):
        if _forbidden(chr(code)) and not 0xD800 <= code <= 0xDFFF:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)
