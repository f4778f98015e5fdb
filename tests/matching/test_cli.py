"""``kaffeeklatsch match``: files in, groups out, clear messages and exit 2 on bad files."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kaffeeklatsch.cli import main as kaffeeklatsch
from kaffeeklatsch.matching.cli import main, message_language
from kaffeeklatsch.matching.csvio import parse_history, read_history

GOOD_ROWS = [
    "1;Anna Müller;anna@example.org;Pflege;Deutsch, Türkisch;vor Ort;Köln;Fotografie;",
    "2;Ben Schulz;ben@example.org;Verwaltung;Deutsch;egal;Köln;Fotografie, Podcasts;",
]


@pytest.fixture(autouse=True)
def english_locale(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests start from an English locale unless they set another one, and keep the
    vectors of interest terms in their own cache folder."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def people_file(tmp_path: Path, *rows: str, encoding: str = "cp1252") -> Path:
    header = "ID;Name;E-Mail;Abteilung;Sprachen;Modus;Ort;Interessen;Blockiert"
    path = tmp_path / "people.csv"
    path.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode(encoding))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    status = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ---------------------------------------------------------------------------
# Language of messages


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "de"),
        ({"LANG": "de_AT"}, "de"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "de_DE.UTF-8"}, "de"),
        ({"LANG": "de_DE.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "de_CH.UTF-8"}, "de"),
    ],
)
def test_message_language_follows_the_locale(environ: dict[str, str], lang: str) -> None:
    assert message_language(environ) == lang


def test_help_is_german_in_a_german_locale(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    status, out, _ = run(capsys, "--help")
    assert status == 0
    assert "Gruppen früherer Runden" in out
    status, out, _ = run(capsys, "--help", "--lang", "en")
    assert status == 0
    assert "groups of earlier rounds" in out


def test_the_console_script_routes_match_here(capsys: pytest.CaptureFixture[str]) -> None:
    assert kaffeeklatsch(["match", "--help"]) == 0
    assert "PEOPLE.csv" in capsys.readouterr().out


# ---------------------------------------------------------------------------
# Bad files: a message naming line and column, exit 2, nothing written

BAD_PEOPLE = [
    pytest.param(
        b"ID;Name\r\n1;M\x81ller\r\n2;Ben\r\n",
        "Line 2: the file is neither UTF-8 nor Windows-1252 text",
        id="neither-utf8-nor-cp1252",
    ),
    pytest.param(
        "ID;Name\r\n1;Anna\r\n".encode("utf-16-le"),
        "The file is not a text file",
        id="utf16-without-bom",
    ),
    pytest.param(b"PK\x03\x04\x14\x00", "This is an Excel workbook", id="xlsx"),
    pytest.param(b"", "The file is empty.", id="empty"),
    pytest.param(
        b"Name;Sprachen\r\nAnna;Deutsch\r\n",
        "Line 1: a column “id” is required",
        id="no-id-column",
    ),
    pytest.param(
        b"ID;Sprachen\r\n1;Deutsch\r\n",
        "Line 1: a column “name” is required",
        id="no-name-column",
    ),
    pytest.param(
        b"1;Anna;Deutsch\r\n2;Ben;Deutsch\r\n",
        "Line 1: no known column names",
        id="no-header",
    ),
    pytest.param(
        "\r\n".join(["ID;Name;Sprachen", "1;Anna;Deutsch", "2;Ben;Klingonisch"]).encode(),
        "Line 3, column “Sprachen”: unknown language “Klingonisch”",
        id="unknown-language",
    ),
    pytest.param(
        "\r\n".join(["ID;Name;Modus", "1;Anna;online", "2;Ben;per Brieftaube"]).encode(),
        "Line 3, column “Modus”: unknown meeting mode “per Brieftaube”",
        id="unknown-mode",
    ),
    pytest.param(
        "\r\n".join(["ID;Name;Ort", "1;Anna;Köln", "2;Ben;Atlantis"]).encode("cp1252"),
        "Line 3, column “Ort”: cannot find the place “Atlantis”",
        id="bad-location",
    ),
    pytest.param(
        "\r\n".join(["ID;Name", "1;Anna", "2;Ben", "1;Cem"]).encode(),
        "Line 4, column “ID”: the id “1” is already used in line 2",
        id="duplicate-id",
    ),
    pytest.param(
        "\r\n".join(["ID;Name;Blockiert", "1;Anna;", "2;Ben;17"]).encode(),
        "Line 3, column “Blockiert”: the blocked id “17” is nobody in this file",
        id="blocked-id-unknown",
    ),
    pytest.param(
        b'id,name,languages\r\n1,Anna,"de, en\r\n2,Ben,de\r\n',
        "Line 2: a quotation mark opened in this line is never closed",
        id="unclosed-quote",
    ),
]


@pytest.mark.parametrize(("data", "message"), BAD_PEOPLE)
def test_a_bad_people_file_is_rejected_with_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, message: str
) -> None:
    people = tmp_path / "people.csv"
    people.write_bytes(data)
    out = tmp_path / "groups.csv"

    status, stdout, stderr = run(capsys, people, "--out", out)

    assert status == 2
    assert f"{people}: {message}" in stderr
    assert stderr.rstrip().endswith("Nothing was written.")
    assert stdout == ""
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people.csv"]


def test_a_bad_file_does_not_touch_an_existing_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = people_file(tmp_path, GOOD_ROWS[0], "2;Ben;;;Klingonisch;;;;")
    out = tmp_path / "groups.csv"
    out.write_text("the last round\n")
    status, _, _ = run(capsys, people, "--out", out)
    assert status == 2
    assert out.read_text() == "the last round\n"


def test_messages_are_german_with_a_german_locale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    people = people_file(tmp_path, GOOD_ROWS[0], "2;Ben;ben@example.org;;Deutsch;zu Fuß;;;")
    status, _, stderr = run(capsys, people)
    assert status == 2
    assert "Zeile 3, Spalte „Modus“: unbekannte Treffensart „zu Fuß“" in stderr
    assert "Es wurde nichts geschrieben." in stderr

    status, _, stderr = run(capsys, people, "--lang", "en")
    assert status == 2
    assert "Line 3, column “Modus”: unknown meeting mode “zu Fuß”" in stderr


def test_every_bad_row_is_reported_up_to_a_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [f"{i};Person {i};;;Klingonisch;;;;" for i in range(60)]
    status, _, stderr = run(capsys, people_file(tmp_path, *rows))
    assert status == 2
    assert stderr.count("unknown language") == 50
    assert "… and 10 more problems" in stderr


def test_a_bad_history_file_names_its_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = people_file(tmp_path, *GOOD_ROWS)
    history = tmp_path / "round1.csv"
    history.write_bytes(b"round;group;id;name\r\n1;1;1;Anna\r\neins;1;2;Ben\r\n")
    out = tmp_path / "groups.csv"
    status, _, stderr = run(capsys, people, "--history", history, "--out", out)
    assert status == 2
    assert f"{history}: Line 3, column “round”: “eins” is not a whole number" in stderr
    assert not out.exists()


def test_a_missing_file_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, stderr = run(capsys, tmp_path / "nope.csv")
    assert status == 2
    assert "nope.csv: cannot read the file: No such file or directory" in stderr


def test_an_output_folder_that_does_not_exist_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = people_file(tmp_path, *GOOD_ROWS)
    status, _, stderr = run(capsys, people, "--out", tmp_path / "missing" / "groups.csv")
    assert status == 2
    assert "the folder" in stderr and "does not exist" in stderr


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--group-size", "5"], "invalid choice"),
        (["--group-size", "1"], "invalid choice"),
        (["--max-distance", "0"], "must be a distance in km greater than 0"),
        (["--max-distance", "weit"], "must be a distance in km greater than 0"),
        (["--round", "0"], "must be a whole number of at least 1"),
        (["--repeat-window", "-1"], "must be a whole number of at least 0"),
        (["--seed", "x"], "must be a whole number of at least 0"),
        (["--lang", "fr"], "invalid choice"),
    ],
)
def test_bad_options_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str], message: str
) -> None:
    people = people_file(tmp_path, *GOOD_ROWS)
    status, _, stderr = run(capsys, people, *option)
    assert status == 2
    assert message in stderr


def test_german_option_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = people_file(tmp_path, *GOOD_ROWS)
    status, _, stderr = run(capsys, people, "--lang", "de", "--max-distance", "-3")
    assert status == 2
    assert "muss eine Entfernung in km größer als 0 sein: '-3'" in stderr


def test_the_installed_command_exits_2_on_a_bad_file(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_bytes(b"ID;Name;Sprachen\r\n1;Anna;xx\r\n")
    out = tmp_path / "groups.csv"
    result = subprocess.run(
        [sys.executable, "-m", "kaffeeklatsch", "match", str(people), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        env={"LANG": "C.UTF-8", "PATH": ""},
    )
    assert result.returncode == 2
    assert "Line 2, column “Sprachen”: unknown language “xx”" in result.stderr
    assert not out.exists()


# ---------------------------------------------------------------------------
# Rounds with the real engine

DEPARTMENTS = ["Pflege", "Verwaltung", "Küche", "Haustechnik", "Sozialdienst"]
INTERESTS = ["Fotografie", "Podcasts", "Fußball", "Kochen", "Gärtnern", "Künstliche Intelligenz"]


def organisation(count: int) -> list[str]:
    """Rows of a small organisation in Köln and Bonn where many pairs are allowed."""
    rows = []
    for i in range(1, count + 1):
        rows.append(
            ";".join(
                [
                    str(i),
                    f"Person {i}",
                    f"p{i}@example.org",
                    DEPARTMENTS[i % len(DEPARTMENTS)],
                    "Deutsch, Englisch" if i % 3 else "Deutsch, Türkisch",
                    ["vor Ort", "online", "egal"][i % 3],
                    "Köln" if i % 2 else "Bonn",
                    ", ".join({INTERESTS[i % 6], INTERESTS[(i * 7) % 6]}),
                    "",
                ]
            )
        )
    return rows


def pairs(groups_csv: Path | bytes) -> set[frozenset[str]]:
    data = groups_csv if isinstance(groups_csv, bytes) else groups_csv.read_bytes()
    met = set()
    for group in parse_history(data):
        if group.left_out:
            continue
        met.update(frozenset((a, b)) for a in group.members for b in group.members if a < b)
    return met


def test_a_round_goes_to_standard_output_with_a_summary_on_standard_error(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    people = people_file(tmp_path, *organisation(12))
    status = main([str(people)])
    captured = capsysbinary.readouterr()
    assert status == 0, captured.err.decode()
    history = parse_history(captured.out)
    assert {g.round for g in history} == {1}
    seen = [member for group in history for member in group.members]
    assert sorted(seen, key=int) == [str(i) for i in range(1, 13)]
    summary = captured.err.decode()
    assert "Round 1:" in summary and "groups" in summary and "upper bound" in summary
    assert "gap" in summary


def test_the_groups_file_is_next_rounds_history_and_no_pair_repeats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = people_file(tmp_path, *organisation(15))
    rounds = [tmp_path / f"round{n}.csv" for n in (1, 2, 3)]

    status, _, err = run(capsys, people, "--out", rounds[0])
    assert status == 0, err
    status, _, err = run(capsys, people, "--history", rounds[0], "--out", rounds[1])
    assert status == 0, err
    assert "Round 2:" in err
    status, _, err = run(
        capsys, people, "--history", rounds[0], "--history", rounds[1], "--out", rounds[2]
    )
    assert status == 0, err
    assert "Round 3:" in err

    met = [pairs(path) for path in rounds]
    assert all(met)
    assert not met[0] & met[1]
    assert not (met[0] | met[1]) & met[2]


def test_german_output_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = people_file(tmp_path, *organisation(9))
    out = tmp_path / "runde.csv"
    status, _, err = run(capsys, people, "--out", out, "--lang", "de", "--round", "7")
    assert status == 0, err
    assert "Runde 7:" in err and "Gruppen" in err and "obere Schranke" in err
    text = out.read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("round;group;id;name;email")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 9
    assert all(row["reasons"] for row in rows)  # every group and every left-out has words
    assert {g.round for g in read_history(out)} == {7}


def test_the_same_seed_gives_the_same_round(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = people_file(tmp_path, *organisation(16))
    outputs = []
    for name in ("a.csv", "b.csv"):
        status, _, err = run(capsys, people, "--seed", "42", "--out", tmp_path / name)
        assert status == 0, err
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]


def test_rules_from_the_options_reach_the_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = people_file(tmp_path, *organisation(12))
    out = tmp_path / "groups.csv"
    status, _, err = run(capsys, people, "--group-size", "3", "--out", out)
    assert status == 0, err
    sizes = sorted(len(g.members) for g in read_history(out) if not g.left_out)
    assert sizes == [3, 3, 3, 3]


def test_a_round_number_already_in_the_history_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = people_file(tmp_path, *organisation(8))
    first = tmp_path / "one.csv"
    assert run(capsys, people, "--out", first)[0] == 0
    status, _, err = run(capsys, people, "--history", first, "--round", "1")
    assert status == 0
    assert "Warning: round 1 is already in the history" in err


@pytest.mark.parametrize("failure", [RuntimeError("solver crashed"), KeyboardInterrupt()])
def test_a_failed_round_leaves_the_old_output_alone(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    failure: BaseException,
) -> None:
    import kaffeeklatsch.matching.engine as engine

    def fail(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(engine, "match_round", fail)
    people = people_file(tmp_path, *organisation(6))
    out = tmp_path / "groups.csv"
    out.write_text("the last round\n")
    if isinstance(failure, KeyboardInterrupt):
        status, _, err = run(capsys, people, "--out", out)
        assert status == 130
        assert "Interrupted. Nothing was written." in err
    else:
        with pytest.raises(RuntimeError):
            main([str(people), "--out", str(out)])
    assert out.read_text() == "the last round\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["groups.csv", "people.csv"]


def test_a_new_output_file_gets_ordinary_permissions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = people_file(tmp_path, *organisation(6))
    out = tmp_path / "groups.csv"
    assert run(capsys, people, "--out", out)[0] == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


class _Terminal:
    """Standard error as a terminal of 80 columns, so the progress bar shows."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_and_for_long_runs_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import kaffeeklatsch.matching.cli as cli

    people = people_file(tmp_path, *organisation(6))
    # Not a terminal, a short run: only the summary.
    status, _, err = run(capsys, people, "--out", tmp_path / "a.csv")
    assert status == 0 and "Matching" not in err

    # Not a terminal, a long run: stages as plain lines for a log.
    monkeypatch.setattr(cli, "LONG_RUN_PEOPLE", 5)
    status, _, err = run(capsys, people, "--out", tmp_path / "b.csv")
    assert status == 0 and "Matching 6 people …\n" in err

    # A terminal: a bar with the stage, redrawn in place.
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("COLUMNS", "80")
    assert main([str(people), "--out", str(tmp_path / "c.csv")]) == 0
    assert "\rMatching 6 people" in terminal.text
    assert "Round 1:" in terminal.text


def test_the_installed_command_runs_a_round(tmp_path: Path) -> None:
    people = people_file(tmp_path, *organisation(10))
    result = subprocess.run(
        [sys.executable, "-m", "kaffeeklatsch", "match", str(people)],
        capture_output=True,
        check=False,
        env={"LANG": "de_DE.UTF-8", "PATH": ""},
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode("utf-8").startswith("round;group;id")
    assert "Runde 1:" in result.stderr.decode("utf-8")
