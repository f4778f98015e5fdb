"""``kaffeeklatsch match``: one coffee round from CSV files, no database needed.

    kaffeeklatsch match PEOPLE.csv [--history GROUPS.csv ...] [--round N]
        [--group-size 2] [--repeat-window R] [--max-distance KM] [--seed S]
        [--out GROUPS.csv] [--lang de|en] [--no-meaning] [--vectors-cache FILE]

Reads the people and the groups of earlier rounds, runs the matching engine and writes
the round's GROUPS.csv (to ``--out`` or standard output); that file is the next round's
``--history``. Messages are German or English (``--lang``, else the locale).

Interests meet by meaning too, in many languages, offline (see :mod:`.meaning`); the
vectors of interest terms are cached in ``--vectors-cache`` (default:
``$XDG_CACHE_HOME/kaffeeklatsch/term-vectors.npz``, else under ``~/.cache``), and
``--no-meaning`` compares interests by their words alone.

Exit status: 0 on success, 2 for a bad file or option (the message names the line and
column; nothing is written), 1 if the output cannot be written, 130 when interrupted.
An existing ``--out`` file is only ever replaced whole, after the round succeeded.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, TextIO

from tqdm import tqdm

from kaffeeklatsch.matching.csvio import (
    CsvError,
    CsvProblem,
    parse_history,
    parse_people,
    write_groups,
)
from kaffeeklatsch.matching.model import PastGroup, Person, RoundResult, Rules
from kaffeeklatsch.matching.texts import N_, translate

__all__ = ["main", "message_language"]

# People from which a run counts as long: progress is then shown even without a terminal.
LONG_RUN_PEOPLE = 10_000
# Shares of the progress bar for reading the files and writing the groups; the engine
# reports its own progress in between.
READ_SHARE = 0.05
WRITE_SHARE = 0.05
# How many problems of a file are printed before the rest are only counted.
MAX_PROBLEMS = 50

_TEXT: dict[str, str] = {
    "description": N_(
        "Form one coffee round from a CSV file of people and write its groups as CSV."
    ),
    "epilog": N_(
        "Columns of PEOPLE.csv (English or German, any case): id (required), name "
        "(required; or first name and last name), email, department, organisation, level,"
        " languages, postcode, location (postcode, town or coordinates), mode (in person,"
        " online, either), interests, blocked (ids or e-mail addresses), timezone, "
        "availability (e.g. Mo-Fr 9-12), new (yes/no). Lists in a cell are separated by "
        "commas. Exit status: 0 done, 2 bad file or option (nothing written)."
    ),
    "people": N_(
        "the people (CSV: comma or semicolon, UTF-8 or Windows-1252, English or German "
        "column names)"
    ),
    "history": N_(
        "groups of earlier rounds, as this command wrote them (may be given several times)"
    ),
    "round": N_("number of this round (default: one more than the last round in the history)"),
    "group_size": N_("people per group (default: {default})"),
    "repeat_window": N_("no pair meets again within this many rounds (default: {default})"),
    "max_distance": N_("farthest distance in km for meeting in person (default: {default})"),
    "seed": N_("seed for reproducible rounds (default: {default})"),
    "out": N_("write the groups to this file instead of standard output"),
    "lang": N_("language of messages and of the groups file (default: from the locale)"),
    "no_meaning": N_("compare interests by their words only, not also by their meaning"),
    "vectors_cache": N_(
        "file in which the meanings of interest terms are kept between runs (default: {default})"
    ),
    "cache_not_written": N_("Warning: {file}: cannot keep the meanings of interests: {error}"),
    "positive_int": N_("must be a whole number of at least {minimum}: {value!r}"),
    "positive_km": N_("must be a distance in km greater than 0: {value!r}"),
    "cannot_read": N_("{file}: cannot read the file: {error}"),
    "cannot_write": N_("{file}: cannot write the file: {error}"),
    "no_output_dir": N_("{file}: the folder {folder} does not exist"),
    "more_problems": N_("{file}: … and {count} more problems"),
    "nothing_written": N_("Nothing was written."),
    "round_in_history": N_(
        "Warning: round {round} is already in the history; its groups count as earlier meetings."
    ),
    "engine_error": N_("The round cannot be formed: {error}"),
    "interrupted": N_("Interrupted."),
    "stage_read": N_("Reading {file}"),
    "stage_prepare": N_("Preparing {count} people"),
    "stage_match": N_("Matching {count} people"),
    "stage_groups": N_("Forming the groups"),
    "stage_explain": N_("Explaining the groups"),
    "stage_write": N_("Writing the groups"),
    "groups_one": N_("1 group"),
    "groups_many": N_("{count} groups"),
    "summary": N_(
        "Round {round}: {groups}, {left} left out. Score {score}, upper bound {bound}, "
        "gap {gap} % ({exact}); {seconds} s."
    ),
    "exact": N_("proven optimal"),
    "not_exact": N_("not proven optimal"),
    "left_out_person": N_("Left out: {name}: {reason}"),
    "written": N_("Groups written to {file}."),
}


# The engine's stages and the message for each.
_ENGINE_STAGES = {
    "encode": "stage_prepare",
    "solve": "stage_match",
    "groups": "stage_groups",
    "explain": "stage_explain",
    "done": "stage_explain",
}


def _t(lang: str, key: str, **params: object) -> str:
    return translate(_TEXT[key], lang).format(**params)


def message_language(environ: Mapping[str, str] | None = None) -> str:
    """``"de"`` when the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``) is German, else ``"en"``."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "de" if value.lower().startswith("de") else "en"
    return "en"


def _number(value: float, lang: str, digits: int = 2) -> str:
    text = f"{value:,.{digits}f}"
    if lang == "de":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


# ---------------------------------------------------------------------------
# Options


def _parser(lang: str) -> argparse.ArgumentParser:
    defaults = Rules()

    def whole(minimum: int) -> Callable[[str], int]:
        def parse(text: str) -> int:
            try:
                value = int(text)
            except ValueError:
                value = minimum - 1
            if value < minimum:
                raise argparse.ArgumentTypeError(
                    _t(lang, "positive_int", minimum=minimum, value=text)
                )
            return value

        return parse

    def kilometres(text: str) -> float:
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            value = 0.0
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(_t(lang, "positive_km", value=text))
        return value

    parser = argparse.ArgumentParser(
        prog="kaffeeklatsch match", description=_t(lang, "description"), epilog=_t(lang, "epilog")
    )
    parser.add_argument("people", metavar="PEOPLE.csv", type=Path, help=_t(lang, "people"))
    parser.add_argument(
        "--history",
        metavar="GROUPS.csv",
        type=Path,
        action="append",
        default=[],
        help=_t(lang, "history"),
    )
    parser.add_argument("--round", metavar="N", type=whole(1), help=_t(lang, "round"))
    parser.add_argument(
        "--group-size",
        metavar="K",
        type=int,
        choices=(2, 3, 4),
        default=defaults.group_size,
        help=_t(lang, "group_size", default=defaults.group_size),
    )
    parser.add_argument(
        "--repeat-window",
        metavar="R",
        type=whole(0),
        default=defaults.repeat_window,
        help=_t(lang, "repeat_window", default=defaults.repeat_window),
    )
    parser.add_argument(
        "--max-distance",
        metavar="KM",
        type=kilometres,
        default=defaults.max_distance_km,
        help=_t(lang, "max_distance", default=defaults.max_distance_km),
    )
    parser.add_argument(
        "--seed",
        metavar="S",
        type=whole(0),
        default=defaults.seed,
        help=_t(lang, "seed", default=defaults.seed),
    )
    parser.add_argument("--out", metavar="GROUPS.csv", type=Path, help=_t(lang, "out"))
    parser.add_argument("--lang", choices=("de", "en"), default=lang, help=_t(lang, "lang"))
    parser.add_argument("--no-meaning", action="store_true", help=_t(lang, "no_meaning"))
    parser.add_argument(
        "--vectors-cache",
        metavar="FILE",
        type=Path,
        default=default_vectors_cache(),
        help=_t(lang, "vectors_cache", default=default_vectors_cache()),
    )
    return parser


def default_vectors_cache(environ: Mapping[str, str] | None = None) -> Path:
    """Where the command keeps the vectors of interest terms unless told otherwise."""
    environ = os.environ if environ is None else environ
    base = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "kaffeeklatsch" / "term-vectors.npz"


def _language_of(argv: Sequence[str]) -> str:
    """The language asked for with ``--lang`` (before argparse runs), else the locale's."""
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv) and argv[index + 1] in ("de", "en"):
            return argv[index + 1]
        if arg in ("--lang=de", "--lang=en"):
            return arg.split("=", 1)[1]
    return message_language()


# ---------------------------------------------------------------------------
# Progress


class TerminalProgress:
    """The run as a tqdm bar on a terminal, as plain lines for long runs without one,
    or not at all. Elapsed time keeps ticking while the engine works."""

    STEPS = 1000

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bar: Any = None
        self._text = ""
        #: Without a terminal, stages are printed as lines once the run is known to be long.
        self.long_run = False
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if _is_terminal(stream):
            self._bar = tqdm(
                total=self.STEPS,
                file=stream,
                leave=False,
                dynamic_ncols=True,
                bar_format="{desc} {bar} {percentage:3.0f}% {elapsed}",
            )
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            self._bar.refresh()

    def stage(self, text: str, done: float) -> None:
        """Now doing ``text``; ``done`` (0 to 1) of the whole run is behind us."""
        changed = text != self._text
        self._text = text
        if self._bar is not None:
            self._bar.n = max(self._bar.n, min(self.STEPS, round(done * self.STEPS)))
            self._bar.set_description_str(text, refresh=False)
            self._bar.refresh()
        elif self.long_run and changed:
            print(text + " …", file=self._stream, flush=True)

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self._bar is not None:
            self._bar.close()


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def _progress() -> Iterator[TerminalProgress]:
    progress = TerminalProgress(sys.stderr)
    try:
        yield progress
    finally:
        progress.close()


# ---------------------------------------------------------------------------
# The run


class _Failed(Exception):
    """A message for the user has been printed; exit with ``status``."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kaffeeklatsch match`` with ``argv`` (without the ``match``); the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = _language_of(argv)
    try:
        args = _parser(lang).parse_args(argv)
    except SystemExit as exit_:  # --help, or a bad option (argparse printed why)
        return exit_.code if isinstance(exit_.code, int) else 2
    lang = args.lang
    try:
        return _run(args, lang)
    except _Failed as failed:
        _say(_t(lang, "nothing_written"))
        return failed.status
    except KeyboardInterrupt:
        _say(_t(lang, "interrupted") + " " + _t(lang, "nothing_written"))
        return 130


def _run(args: argparse.Namespace, lang: str) -> int:
    out: Path | None = args.out
    if out is not None and not out.parent.is_dir():
        _say(_t(lang, "no_output_dir", file=out, folder=out.parent))
        raise _Failed(2)

    with _progress() as progress:
        progress.stage(_t(lang, "stage_read", file=args.people.name), 0.0)
        people = _read_people(args.people, lang)
        progress.long_run = len(people) >= LONG_RUN_PEOPLE
        history: list[PastGroup] = []
        for index, path in enumerate(args.history):
            progress.stage(
                _t(lang, "stage_read", file=path.name),
                READ_SHARE * (1 + index) / (1 + len(args.history)),
            )
            history.extend(_read_history(path, lang))

        last_round = max((group.round for group in history), default=0)
        round_number = args.round if args.round is not None else last_round + 1
        if args.round is not None and any(g.round == round_number for g in history):
            _say(_t(lang, "round_in_history", round=round_number))
        rules = dataclasses.replace(
            Rules(),
            group_size=args.group_size,
            repeat_window=args.repeat_window,
            max_distance_km=args.max_distance,
            seed=args.seed,
        )
        if args.no_meaning:
            rules = dataclasses.replace(rules, weight_meaning=0.0)

        count = _number(len(people), lang, 0)

        def engine_progress(stage: str, share: float) -> None:
            key = _ENGINE_STAGES.get(stage)
            text = _t(lang, key, count=count) if key else stage
            progress.stage(text, READ_SHARE + (1 - READ_SHARE - WRITE_SHARE) * share)

        engine_progress("encode", 0.0)
        result = _match(
            people, history, rules, round_number, engine_progress, lang, args.vectors_cache
        )

        progress.stage(_t(lang, "stage_write"), 1 - WRITE_SHARE)
        by_id = {person.id: person for person in people}
        if out is None:
            _write_stdout(result, by_id, lang)
        else:
            _write_atomically(out, result, by_id, lang)
        progress.stage(_t(lang, "stage_write"), 1.0)
    _summary(result, by_id, lang, out)
    return 0


def _match(
    people: list[Person],
    history: list[PastGroup],
    rules: Rules,
    round_number: int,
    progress: Callable[[str, float], None],
    lang: str,
    cache: Path,
) -> RoundResult:
    # Imported here: the engine loads SciPy and rustworkx, which reading and checking
    # the files (and --help) need not wait for.
    from kaffeeklatsch.matching.engine import RulesError, match_round  # noqa: PLC0415
    from kaffeeklatsch.matching.meaning import FileStore  # noqa: PLC0415 - same reason

    class Cache(FileStore):
        """The cache file; a round goes on when it cannot be written."""

        def put(self, vectors: Mapping[str, Any]) -> None:
            try:
                super().put(vectors)
            except OSError as error:
                _say(_t(lang, "cache_not_written", file=self.path, error=error.strerror))

    try:
        return match_round(
            people,
            history=history,
            rules=rules,
            round_number=round_number,
            progress=progress,
            vectors=Cache(cache),
        )
    except RulesError as error:  # rules it cannot work with
        _say(_t(lang, "engine_error", error=error.text(lang)))
        raise _Failed(2) from None


def _say(text: str) -> None:
    """A message on standard error that does not tear a progress bar."""
    tqdm.write(text, file=sys.stderr)


def _read_bytes(path: Path, lang: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        _say(_t(lang, "cannot_read", file=path, error=error.strerror or error))
        raise _Failed(2) from None


def _report(path: Path, problems: Sequence[CsvProblem], lang: str) -> None:
    for problem in problems[:MAX_PROBLEMS]:
        _say(f"{path}: {problem.text(lang)}")
    if len(problems) > MAX_PROBLEMS:
        _say(_t(lang, "more_problems", file=path, count=len(problems) - MAX_PROBLEMS))


def _read_people(path: Path, lang: str) -> list[Person]:
    data = _read_bytes(path, lang)
    try:
        table = parse_people(data)
    except CsvError as error:
        _report(path, error.problems, lang)
        raise _Failed(2) from None
    if table.problems:
        _report(path, table.problems, lang)
        raise _Failed(2)
    return table.people


def _read_history(path: Path, lang: str) -> list[PastGroup]:
    data = _read_bytes(path, lang)
    try:
        return parse_history(data)
    except CsvError as error:
        _report(path, error.problems, lang)
        raise _Failed(2) from None


def _write_stdout(result: RoundResult, people: Mapping[str, Person], lang: str) -> None:
    buffer = io.StringIO(newline="")
    write_groups(buffer, result, people, lang=lang)
    sys.stdout.flush()
    binary = getattr(sys.stdout, "buffer", None)
    if binary is not None:
        binary.write(buffer.getvalue().encode("utf-8"))
        binary.flush()
    else:
        sys.stdout.write(buffer.getvalue())
        sys.stdout.flush()


def _write_atomically(
    out: Path, result: RoundResult, people: Mapping[str, Person], lang: str
) -> None:
    """Write into a temporary file next to ``out``, then rename it over ``out``: readers
    see the old file or the whole new one, never half of it."""
    try:
        handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        os.close(handle)
    except OSError as error:
        _say(_t(lang, "cannot_write", file=out, error=error.strerror or error))
        raise _Failed(1) from None
    try:
        write_groups(temporary, result, people, lang=lang)
        os.chmod(temporary, _new_file_mode(out))
        os.replace(temporary, out)
    except OSError as error:
        _say(_t(lang, "cannot_write", file=out, error=error.strerror or error))
        raise _Failed(1) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _new_file_mode(path: Path) -> int:
    """The mode ``path`` has, or what a new file gets under the umask (mkstemp uses 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _summary(
    result: RoundResult, people: Mapping[str, Person], lang: str, out: Path | None
) -> None:
    _say(
        _t(
            lang,
            "summary",
            round=result.round,
            groups=_t(
                lang,
                "groups_one" if len(result.groups) == 1 else "groups_many",
                count=_number(len(result.groups), lang, 0),
            ),
            left=len(result.left_out),
            score=_number(result.score, lang),
            bound=_number(result.bound, lang),
            gap=_number(100 * result.gap, lang),
            exact=_t(lang, "exact" if result.exact else "not_exact"),
            seconds=_number(result.seconds, lang),
        )
    )
    for left in result.left_out[:10]:
        person = people.get(left.person)
        name = person.name if person and person.name else left.person
        _say(_t(lang, "left_out_person", name=name, reason=left.reason.text(lang)))
    if out is not None:
        _say(_t(lang, "written", file=out))
