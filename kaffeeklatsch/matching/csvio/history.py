"""GROUPS.csv: written by one round, read back as the next round's history.

German (``lang="de"``) writes what German Excel opens directly: semicolons and a
decimal comma; English writes commas and a decimal point. Either is read back.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from kaffeeklatsch.matching.csvio.decoding import Table, aliases, read_table
from kaffeeklatsch.matching.csvio.messages import CsvError, CsvProblem
from kaffeeklatsch.matching.csvio.people import PEOPLE_COLUMNS
from kaffeeklatsch.matching.model import Mode, PastGroup, Person, RoundResult
from kaffeeklatsch.matching.texts import N_, language, translate

GROUP_COLUMNS = ("round", "group", "id", "name", "email", "mode", "score", "reasons", "partners")

_HISTORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "round": ("round", "runde"),
    "group": ("group", "gruppe"),
    "id": PEOPLE_COLUMNS["id"],
    "score": ("score", "punkte", "punktzahl", "wertung"),
}
_HISTORY_ALIASES = aliases(_HISTORY_COLUMNS)

_MODE_TEXT = {
    Mode.IN_PERSON: N_("in person"),
    Mode.ONLINE: N_("online"),
    Mode.EITHER: N_("either"),
}


def _number_text(value: float, german: bool) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text.replace(".", ",") if german else text


def _safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_groups(
    file_or_path: str | os.PathLike[str] | IO[str],
    result: RoundResult,
    people: Mapping[str, Person],
    lang: str = "en",
) -> None:
    """Write a round as GROUPS.csv: one row per person, left-out people with no group.

    German (``lang="de"``) writes semicolons and a decimal comma, English commas and a
    decimal point. A path gets UTF-8 with a byte order mark (so Excel recognises UTF-8);
    a text file object gets the text as is. :func:`read_history` reads either back into
    the round's groups.
    """
    lang = language(lang)
    if isinstance(file_or_path, str | os.PathLike):
        with open(file_or_path, "w", encoding="utf-8-sig", newline="") as handle:
            _write_groups(handle, result, people, lang)
    else:
        _write_groups(file_or_path, result, people, lang)


def _write_groups(
    handle: IO[str], result: RoundResult, people: Mapping[str, Person], lang: str
) -> None:
    german = lang == "de"
    writer = csv.writer(handle, delimiter=";" if german else ",", lineterminator="\r\n")
    writer.writerow(GROUP_COLUMNS)

    def person(person_id: str) -> Person:
        return people.get(person_id) or Person(id=person_id)

    for number, group in enumerate(result.groups, start=1):
        reasons = group.explain(lang)
        mode = translate(_MODE_TEXT[group.mode], lang)
        for member in group.members:
            who = person(member)
            partners = ", ".join(
                person(other).name or other for other in group.members if other != member
            )
            writer.writerow(
                [
                    result.round,
                    number,
                    member,
                    _safe(who.name),
                    _safe(who.email),
                    mode,
                    _number_text(group.score, german),
                    _safe(reasons),
                    _safe(partners),
                ]
            )
    for left in result.left_out:
        who = person(left.person)
        reason = _safe(left.reason.text(lang))
        writer.writerow(
            [result.round, "", left.person, _safe(who.name), _safe(who.email), "", "", reason, ""]
        )


class _HistoryRow:
    """One row of GROUPS.csv read: its round, group, person and score, or problems."""

    def __init__(self, table: Table, line: int, row: list[str]) -> None:
        self.line = line
        self.round_text = table.cell(row, "round")
        self.group = table.cell(row, "group")
        self.person = table.cell(row, "id")
        score_text = table.cell(row, "score")
        self.problems: list[CsvProblem] = []
        self.number = int(self.round_text) if re.fullmatch(r"\d+", self.round_text) else 0
        if self.number < 1:
            code = "missing_value" if not self.round_text else "bad_number"
            self.problems.append(
                CsvProblem(line, table.column("round"), code, {"value": self.round_text})
            )
        if not self.person:
            self.problems.append(CsvProblem(line, table.column("id"), "missing_value", {}))
        self.score: float | None = None
        if score_text:
            try:
                self.score = float(score_text.replace(",", "."))
            except ValueError:
                self.problems.append(
                    CsvProblem(line, table.column("score"), "bad_score", {"value": score_text})
                )


def parse_history(data: bytes) -> list[PastGroup]:
    """The groups of a GROUPS.csv file's bytes; raises :class:`CsvError` on any problem.

    Rows with the same round and group form one group; a row with an empty group is a
    person left out of that round (``PastGroup(left_out=True)``).
    """
    table = read_table(data, _HISTORY_ALIASES, ("round", "group", "id"))
    problems: list[CsvProblem] = []
    groups: dict[tuple[int, str], list[str]] = {}
    scores: dict[tuple[int, str], float | None] = {}
    left_out: list[PastGroup] = []
    seen: dict[tuple[int, str], int] = {}
    for line, cells in table.rows:
        row = _HistoryRow(table, line, cells)
        if not row.problems and (row.number, row.person) in seen:
            first_line = seen[row.number, row.person]
            params = {"value": row.person, "round": row.number, "first_line": first_line}
            row.problems.append(CsvProblem(line, table.column("id"), "duplicate_in_round", params))
        if row.problems:
            problems.extend(row.problems)
            continue
        seen[row.number, row.person] = line
        if not row.group:
            left_out.append(PastGroup(row.number, (row.person,), None, left_out=True))
            continue
        key = (row.number, row.group)
        groups.setdefault(key, []).append(row.person)
        if scores.get(key) is None:
            scores[key] = row.score
    if problems:
        raise CsvError(problems)
    past = [
        PastGroup(number, tuple(members), scores.get((number, group)))
        for (number, group), members in groups.items()
    ]
    return sorted(past + left_out, key=lambda g: g.round)


def read_history(path: str | os.PathLike[str]) -> list[PastGroup]:
    """The groups of a GROUPS.csv file (see :func:`parse_history`)."""
    return parse_history(Path(path).read_bytes())
