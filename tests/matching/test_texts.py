"""The engine's texts are in its gettext catalogue, translated into German, and read
from there with the standard library."""

from __future__ import annotations

import ast
import gettext
import string
import subprocess
from pathlib import Path

import pytest

from kaffeeklatsch.matching.engine import RulesError, validate
from kaffeeklatsch.matching.model import Person, Reason, Rules
from kaffeeklatsch.matching.texts import DOMAIN, LOCALE_DIR, translate

ENGINE = Path(__file__).parents[2] / "kaffeeklatsch/matching"
CATALOGUE = LOCALE_DIR / "de/LC_MESSAGES" / DOMAIN


def _entries(text: str) -> dict[str, str]:
    """msgid -> msgstr of the entries of a .po or .pot file (the header left out)."""
    found: dict[str, str] = {}
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            if line.startswith(("msgid ", "msgstr ")):
                current, _, rest = line.partition(" ")
                fields[current] = ast.literal_eval(rest)
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if fields.get("msgid"):
            found[fields["msgid"]] = fields.get("msgstr", "")
    return found


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _extracted() -> dict[str, str]:
    """The texts marked with ``N_`` in the engine's code now."""
    sources = sorted(str(p) for p in ENGINE.rglob("*.py"))
    pot = subprocess.run(
        ["xgettext", "-L", "Python", "-k", "-kN_", "--from-code=UTF-8", "-o", "-", *sources],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return _entries(pot)


def test_every_text_of_the_engine_is_in_the_german_catalogue() -> None:
    extracted = _extracted()
    committed = _entries(CATALOGUE.with_suffix(".po").read_text())
    assert len(extracted) > 80
    missing = sorted(m for m in extracted if not committed.get(m))
    assert not missing, missing[:5]
    # A translation names the same placeholders as the text it translates.
    mismatched = [m for m in extracted if _fields(m) != _fields(committed[m])]
    assert not mismatched, mismatched[:5]


def test_the_compiled_catalogue_is_the_committed_one() -> None:
    committed = _entries(CATALOGUE.with_suffix(".po").read_text())
    with open(CATALOGUE.with_suffix(".mo"), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [m for m, german in committed.items() if compiled.gettext(m) != german]
    assert not stale, stale[:3]


def test_texts_are_read_from_the_catalogue() -> None:
    assert translate("you meet online", "de") == "Sie treffen sich online"
    assert translate("you meet online", "en") == "you meet online"
    reason = Reason("interests", {"interests": ["Jazz", "Kochen"], "size": 2})
    assert reason.text("de") == "Sie mögen beide Jazz und Kochen"
    assert reason.text("en") == "you both like Jazz and Kochen"


def test_rules_the_engine_refuses_are_said_in_both_languages() -> None:
    with pytest.raises(RulesError) as refused:
        validate([Person("x"), Person("x")], Rules())
    assert refused.value.text("en") == str(refused.value) == "the id 'x' appears twice"
    assert refused.value.text("de") == "die Kennung 'x' kommt zweimal vor"
