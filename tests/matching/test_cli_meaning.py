"""``kaffeeklatsch match`` meets interests by meaning, offline, with its vectors on disk."""

from __future__ import annotations

import csv
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kaffeeklatsch.matching import meaning
from kaffeeklatsch.matching.cli import default_vectors_cache, main
from kaffeeklatsch.matching.meaning import MODEL

ROWS = [
    "1;Anna Müller;Wandern",
    "2;Ben Schulz;Bergsteigen",
    "3;Clara Weber;Schach",
    "4;David Kaya;Töpfern",
    "5;Olga Ivanova;футбол",
    "6;Jana Nowak;Fußball",
]


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No socket can be opened, and the model is loaded afresh under that rule."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("network access")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(meaning, "_model", None)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)


def people_file(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text("\n".join(["ID;Name;Interessen", *ROWS]) + "\n", encoding="utf-8")
    return path


def groups_of(path: Path) -> dict[str, tuple[set[str], str]]:
    """Each person's group members and the group's reasons, from GROUPS.csv."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";" if "Runde" in path.name else ","))
    members: dict[str, set[str]] = {}
    for row in rows:
        members.setdefault(row["group"], set()).add(row["id"])
    return {row["id"]: (members[row["group"]], row["reasons"]) for row in rows}


def test_related_interests_are_grouped_and_explained_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache" / "vectors.npz"
    out = tmp_path / "groups.csv"
    status = main([str(people_file(tmp_path)), "--out", str(out), "--vectors-cache", str(cache)])
    assert status == 0, capsys.readouterr().err
    groups = groups_of(out)
    assert groups["1"][0] == {"1", "2"}
    assert "similar interests: Wandern / Bergsteigen" in groups["1"][1]
    assert groups["5"][0] == {"5", "6"}
    assert "similar interests: футбол / Fußball" in groups["5"][1]
    with np.load(cache) as data:
        assert str(data["model"]) == MODEL
        assert {"Wandern", "Bergsteigen", "футбол"} <= set(data["terms"].tolist())


def test_a_second_run_reads_the_vectors_from_the_cache_in_german(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "vectors.npz"
    people = people_file(tmp_path)
    assert (
        main([str(people), "--out", str(tmp_path / "first.csv"), "--vectors-cache", str(cache)])
        == 0
    )

    def no_model(terms: Any) -> Any:
        raise AssertionError(f"embedded again: {list(terms)}")

    monkeypatch.setattr(meaning, "_embed", no_model)
    out = tmp_path / "Runde.csv"
    status = main([str(people), "--out", str(out), "--vectors-cache", str(cache), "--lang", "de"])
    assert status == 0, capsys.readouterr().err
    groups = groups_of(out)
    assert groups["2"][0] == {"1", "2"}
    assert "ähnliche Interessen: Wandern / Bergsteigen" in groups["2"][1]


def test_no_meaning_compares_words_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "vectors.npz"
    out = tmp_path / "groups.csv"
    argv = [str(people_file(tmp_path)), "--out", str(out), "--vectors-cache", str(cache)]
    assert main([*argv, "--no-meaning"]) == 0, capsys.readouterr().err
    assert not cache.exists()
    assert all("similar" not in reasons for _, reasons in groups_of(out).values())


def test_an_unwritable_cache_only_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    out = tmp_path / "groups.csv"
    status = main(
        [str(people_file(tmp_path)), "--out", str(out), "--vectors-cache", str(blocker / "v.npz")]
    )
    err = capsys.readouterr().err
    assert status == 0, err
    assert "cannot keep the meanings of interests" in err
    assert "similar interests: Wandern / Bergsteigen" in groups_of(out)["1"][1]


def test_the_default_cache_follows_xdg() -> None:
    assert default_vectors_cache({"XDG_CACHE_HOME": "/var/cache/x"}) == Path(
        "/var/cache/x/kaffeeklatsch/term-vectors.npz"
    )
    assert default_vectors_cache({}).parts[-3:] == (".cache", "kaffeeklatsch", "term-vectors.npz")
