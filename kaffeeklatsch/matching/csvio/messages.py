"""Problems in a CSV file, and their messages in the reader's language.

A problem is data (a line, a column, a code and parameters) so that a user interface
may render it itself; :meth:`CsvProblem.text` renders it from the engine's gettext
catalogue (see :mod:`kaffeeklatsch.matching.texts`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from kaffeeklatsch.matching.texts import N_, language, translate

# Message templates by code. Parameters are filled with str.format.
MESSAGES: dict[str, str] = {
    "not_text": N_(
        "the file is not a text file (CSV); save the table as CSV (UTF-8 or Windows) and try again"
    ),
    "excel_workbook": N_(
        "this is an Excel workbook, not a CSV file; in Excel use "
        "“Save as” → “CSV UTF-8 (comma delimited)”"
    ),
    "encoding": N_(
        "the file is neither UTF-8 nor Windows-1252 text (byte {byte}); save it as CSV UTF-8"
    ),
    "empty": N_("the file is empty"),
    "unclosed_quote": N_("a quotation mark opened in this line is never closed"),
    "bad_quote": N_('a quotation mark inside a quoted cell must be doubled ("")'),
    "no_header": N_("no known column names in the first line; expected at least {columns}"),
    "missing_column": N_("a column “{column}” is required"),
    "duplicate_column": N_("this column means the same as column “{other}”; keep only one of them"),
    "no_rows": N_("the file has a header but no people"),
    "duplicate_id": N_("the id “{value}” is already used in line {first_line}"),
    "control_characters": N_(
        "the cell holds a line break, a tab or an invisible control character ({characters}); "
        "write it on one line without them"
    ),
    "missing_value": N_("this cell must not be empty"),
    "extra_cells": N_(
        "the row has more cells than the header ({cells} instead of {columns}); "
        "is a list missing its quotes?"
    ),
    "bad_email": N_("“{value}” is not an e-mail address"),
    "bad_phone": N_("“{value}” is not a phone number; write for instance +49 30 1234567"),
    "unknown_language": N_(
        "unknown language “{value}”; use a name such as German or Deutsch or an ISO code such as de"
    ),
    "unknown_mode": N_("unknown meeting mode “{value}”; use in person, online or either"),
    "unknown_location": N_(
        "cannot find the place “{value}”; use a German postcode, a town or coordinates "
        "such as 52.52, 13.405"
    ),
    "unknown_blocked": N_(
        "the blocked id “{value}” is nobody in this file (neither an id nor an e-mail); "
        "a mistyped block would not protect anyone"
    ),
    "unknown_timezone": N_("unknown time zone “{value}”; use a name such as Europe/Berlin"),
    "bad_availability": N_(
        "cannot read the availability “{value}”; write for instance Mo-Fr 9-12, Sa 10:30-12"
    ),
    "bad_flag": N_("“{value}” is neither yes nor no"),
    "bad_number": N_("“{value}” is not a whole number of at least 1"),
    "bad_score": N_("“{value}” is not a number"),
    "bad_distance": N_("“{value}” is not a distance in km greater than 0"),
    "duplicate_in_round": N_("“{value}” is already in round {round} in line {first_line}"),
}

# How messages name a required column.
TITLES = {
    "id": N_("id"),
    "name": N_("name"),
    "round": N_("round"),
    "group": N_("group"),
}

# The parameter of a code that holds required columns (a field, or a tuple of them),
# shown by their titles.
_TITLE_PARAMS = {"missing_column": "column", "no_header": "columns"}


@dataclass(frozen=True)
class CsvProblem:
    """One problem in a CSV file: where it is and what is wrong.

    ``line`` is the line of the file as a spreadsheet numbers rows (the header is
    line 1; 0 for the file as a whole); ``column`` the column name as written in the
    file, or ``None`` when the problem is not in one cell. ``code`` names the kind of
    problem and ``params`` its details, so a user interface can render it itself.
    """

    line: int
    column: str | None
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        """The problem as a sentence in German (any ``de…`` language) or English."""
        lang = language(lang)
        template = MESSAGES.get(self.code)
        message = translate(template, lang) if template is not None else self.code
        titles = _TITLE_PARAMS.get(self.code)
        params = {
            k: _titles(v, lang) if k == titles else _display(v, lang)
            for k, v in self.params.items()
        }
        try:
            message = message.format(**params)
        except (KeyError, IndexError):
            pass
        where = []
        if self.line > 0:
            where.append(translate(N_("Line {line}"), lang).format(line=self.line))
        if self.column is not None:
            where.append(translate(N_("column “{column}”"), lang).format(column=self.column))
        if not where:
            return message[:1].upper() + message[1:] + "."
        return ", ".join(where) + ": " + message + "."


def _titles(value: str | Iterable[str], lang: str) -> str:
    """Required columns (a field or several) by their titles in the reader's language."""
    fields = (value,) if isinstance(value, str) else value
    return ", ".join(translate(TITLES.get(name, name), lang) for name in fields)


def _display(value: Any, lang: str) -> str:
    """A parameter as a message shows it: a list of values quoted with "or" between
    them, anything else as text."""
    if isinstance(value, list | tuple):
        quote = translate(N_("“{value}”"), lang)
        either = translate(N_("{first} or {last}"), lang)
        quoted = [quote.format(value=v) for v in value]
        if not quoted:
            return ""
        return reduce(lambda first, last: either.format(first=first, last=last), quoted)
    return str(value)


class CsvError(ValueError):
    """A CSV file that cannot be used; ``problems`` says where and why."""

    def __init__(self, problems: Iterable[CsvProblem]) -> None:
        self.problems: list[CsvProblem] = list(problems)
        super().__init__(self.text("en"))

    def text(self, lang: str = "en") -> str:
        return "\n".join(p.text(lang) for p in self.problems)

    def __str__(self) -> str:
        return self.text("en")
