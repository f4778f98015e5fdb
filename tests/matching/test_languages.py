import pytest

from kaffeeklatsch.matching.languages import language_name, normalise_language


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Deutsch", "de"),
        ("german", "de"),
        ("Türkisch", "tr"),
        ("TUERKISCH", "tr"),
        (" en ", "en"),
        ("de-AT", "de"),
        ("en_GB", "en"),
        ("Französisch", "fr"),
    ],
)
def test_known_languages_become_iso_codes(text: str, code: str) -> None:
    assert normalise_language(text) == code


@pytest.mark.parametrize("text", ["", "   ", "Klingonisch", "xx"])
def test_unknown_languages_are_rejected(text: str) -> None:
    assert normalise_language(text) is None


def test_display_names_follow_the_reader_language() -> None:
    assert language_name("de", "de") == "Deutsch"
    assert language_name("de", "en") == "German"
    assert language_name("tr", "de") == "Türkisch"
