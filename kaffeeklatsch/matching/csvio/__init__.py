"""People and group files as organisers really have them.

Reads PEOPLE.csv and GROUPS.csv in the dialects spreadsheets write (see
:mod:`.decoding`), with English or German column names in any case (see :mod:`.people`
for the columns), and writes GROUPS.csv so that one round's file is the next round's
history (see :mod:`.history`).

Every problem is reported with the line (as a spreadsheet numbers its rows, the header
being line 1) and the column as written in the file, in German or English (see
:mod:`.messages`). Problems in a row leave that row out and are collected; problems
with the file as a whole (it is not text, it has no header, a required column or an id
is missing or repeated) raise :class:`CsvError` at once.
"""

from kaffeeklatsch.matching.csvio.cells import parse_availability, parse_mode
from kaffeeklatsch.matching.csvio.history import (
    GROUP_COLUMNS,
    parse_history,
    read_history,
    write_groups,
)
from kaffeeklatsch.matching.csvio.messages import CsvError, CsvProblem
from kaffeeklatsch.matching.csvio.people import (
    PEOPLE_COLUMNS,
    Contact,
    PeopleTable,
    parse_people,
    read_people,
)

__all__ = [
    "GROUP_COLUMNS",
    "PEOPLE_COLUMNS",
    "Contact",
    "CsvError",
    "CsvProblem",
    "PeopleTable",
    "parse_availability",
    "parse_history",
    "parse_mode",
    "parse_people",
    "read_history",
    "read_people",
    "write_groups",
]
