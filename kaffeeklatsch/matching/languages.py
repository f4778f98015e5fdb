"""Language names and codes as organisers write them, turned into ISO 639-1 codes."""

from __future__ import annotations

# Names in German and English (lower case) and the ISO 639-1 code they stand for.
_NAMES: dict[str, str] = {
    "deutsch": "de",
    "german": "de",
    "englisch": "en",
    "english": "en",
    "türkisch": "tr",
    "tuerkisch": "tr",
    "turkish": "tr",
    "arabisch": "ar",
    "arabic": "ar",
    "russisch": "ru",
    "russian": "ru",
    "ukrainisch": "uk",
    "ukrainian": "uk",
    "polnisch": "pl",
    "polish": "pl",
    "französisch": "fr",
    "franzoesisch": "fr",
    "french": "fr",
    "spanisch": "es",
    "spanish": "es",
    "italienisch": "it",
    "italian": "it",
    "portugiesisch": "pt",
    "portuguese": "pt",
    "niederländisch": "nl",
    "niederlaendisch": "nl",
    "dutch": "nl",
    "griechisch": "el",
    "greek": "el",
    "rumänisch": "ro",
    "rumaenisch": "ro",
    "romanian": "ro",
    "kroatisch": "hr",
    "croatian": "hr",
    "serbisch": "sr",
    "serbian": "sr",
    "bosnisch": "bs",
    "bosnian": "bs",
    "albanisch": "sq",
    "albanian": "sq",
    "kurdisch": "ku",
    "kurdish": "ku",
    "persisch": "fa",
    "farsi": "fa",
    "persian": "fa",
    "dari": "prs",
    "paschtu": "ps",
    "pashto": "ps",
    "vietnamesisch": "vi",
    "vietnamese": "vi",
    "chinesisch": "zh",
    "chinese": "zh",
    "japanisch": "ja",
    "japanese": "ja",
    "bulgarisch": "bg",
    "bulgarian": "bg",
    "ungarisch": "hu",
    "hungarian": "hu",
    "tschechisch": "cs",
    "czech": "cs",
    "schwedisch": "sv",
    "swedish": "sv",
    "dänisch": "da",
    "daenisch": "da",
    "danish": "da",
    "tigrinya": "ti",
    "tigrinisch": "ti",
    "somali": "so",
    "gebärdensprache": "gsg",
    "deutsche gebärdensprache": "gsg",
    "sign language": "gsg",
    "dgs": "gsg",
}

_CODES = frozenset(_NAMES.values())

# Names of each code for the two languages the product speaks.
DISPLAY: dict[str, dict[str, str]] = {
    "de": {"de": "Deutsch", "en": "German"},
    "en": {"de": "Englisch", "en": "English"},
    "tr": {"de": "Türkisch", "en": "Turkish"},
    "ar": {"de": "Arabisch", "en": "Arabic"},
    "ru": {"de": "Russisch", "en": "Russian"},
    "uk": {"de": "Ukrainisch", "en": "Ukrainian"},
    "pl": {"de": "Polnisch", "en": "Polish"},
    "fr": {"de": "Französisch", "en": "French"},
    "es": {"de": "Spanisch", "en": "Spanish"},
    "it": {"de": "Italienisch", "en": "Italian"},
}


def normalise_language(text: str) -> str | None:
    """Return the ISO code for a language name or code, or ``None`` if unknown.

    >>> normalise_language("Türkisch"), normalise_language(" EN "), normalise_language("xx")
    ('tr', 'en', None)
    """
    key = " ".join(text.strip().lower().split())
    if not key:
        return None
    if key in _NAMES:
        return _NAMES[key]
    if key in _CODES:
        return key
    # Regional variants such as "de-AT" or "en_GB" count as the language itself.
    base = key.replace("_", "-").split("-", 1)[0]
    if base in _CODES:
        return base
    return None


def language_words() -> list[str]:
    """Every code and name :func:`normalise_language` knows as written here (codes
    and names in lower case, display names capitalised), sorted."""
    words = set(_CODES) | set(_NAMES)
    words |= {name for names in DISPLAY.values() for name in names.values()}
    return sorted(words)


def language_name(code: str, lang: str = "en") -> str:
    """The display name of an ISO code in ``lang`` ("de" or "en"); the code if unknown."""
    names = DISPLAY.get(code)
    if names is None:
        return code
    return names.get(lang, names["en"])
