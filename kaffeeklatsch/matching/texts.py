"""The engine's texts in the reader's language, from gettext catalogues.

Explanations, import problems and the command line's messages are written in English
in the code and marked with :func:`N_`; their German lives in
``locale/de/LC_MESSAGES/matching.po`` next to this module (compiled to ``.mo``), read
with the standard library's :mod:`gettext` so the engine stays free of Django. English
needs no catalogue: a text without a translation is shown as written.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

DOMAIN = "matching"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("de", "en")


def N_(message: str) -> str:  # noqa: N802 - the name xgettext and translators know
    """Marks a text for the catalogue where it is written; it is translated where it is
    shown (see :func:`translate`)."""
    return message


def language(lang: str) -> str:
    """``"de"`` for any German locale name (``de``, ``de_DE``, ``de-AT``), else ``"en"``."""
    return "de" if lang.lower().startswith("de") else "en"


@cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The catalogue of a language (``"de"`` or ``"en"``), read once per process."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def translate(message: str, lang: str) -> str:
    """A text marked with :func:`N_` in the language ``lang`` (``"de"`` or ``"en"``)."""
    return catalogue(lang).gettext(message)
