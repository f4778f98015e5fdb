"""Reasons in plain words, in German and English.

The engine states each reason as a code with parameters (:class:`.model.Reason`);
this module is the only place that turns them into sentences. It works on the code
and the parameters alone, so the model can use it without the two importing each
other. The sentences are in the engine's gettext catalogue (see :mod:`.texts`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kaffeeklatsch.matching.languages import language_name
from kaffeeklatsch.matching.texts import N_, translate

_TEXTS: dict[str, str] = {
    "interests_pair": N_("you both like {interests}"),
    "interests_group": N_("you share an interest in {interests}"),
    "interests_meaning": N_("similar interests: {pairs}"),
    "departments": N_("{departments} meets {last}"),
    "levels": N_("different levels: {levels}"),
    "organisations": N_("{orgs} meets {last}"),
    "language_pair": N_("you both speak {language}"),
    "language_group": N_("you all speak {language}"),
    "in_person_km": N_("you can meet in person ({km} km apart)"),
    "in_person": N_("you can meet in person"),
    "online": N_("you meet online"),
    "new_joiner": N_("{name} is new here"),
    "priority": N_("{name} comes first this round"),
    "no_language": N_("nobody in this round shares a language with you"),
    "no_mode": N_("nobody in this round can meet the way you want to (in person or online)"),
    "too_far": N_("nobody who could meet you in person lives within {km} km"),
    "no_time": N_("nobody's available times overlap with yours"),
    "all_met": N_("you have recently met everyone you could meet (or blocked them)"),
    "no_partner_left": N_(
        "everyone who could meet you is already in a group; you come first next round"
    ),
    "alone": N_("you are the only person in this round"),
}


def join(items: Sequence[str], lang: str) -> str:
    """``a``, ``a and b``, ``a, b and c`` in the reader's language."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return translate(N_("{first} and {last}"), lang).format(
        first=", ".join(items[:-1]), last=items[-1]
    )


def _interests(p: dict[str, Any], lang: str) -> str:
    p["interests"] = join(p["interests"], lang)
    return "interests_pair" if p.get("size", 2) == 2 else "interests_group"


def _meaning(p: dict[str, Any], lang: str) -> str:
    p["pairs"] = join([" / ".join(words) for words in p["pairs"]], lang)
    return "interests_meaning"


def _departments(p: dict[str, Any], lang: str) -> str:
    names = list(p["departments"])
    p.update({"departments": ", ".join(names[:-1]), "last": names[-1]})
    return "departments"


def _organisations(p: dict[str, Any], lang: str) -> str:
    names = list(p["organisations"])
    p.update({"orgs": ", ".join(names[:-1]), "last": names[-1]})
    return "organisations"


def _levels(p: dict[str, Any], lang: str) -> str:
    p["levels"] = join(p["levels"], lang)
    return "levels"


def _language(p: dict[str, Any], lang: str) -> str:
    p["language"] = language_name(p["language"], lang)
    return "language_pair" if p.get("size", 2) == 2 else "language_group"


def _in_person(p: dict[str, Any], lang: str) -> str:
    return "in_person_km" if p.get("km") is not None else "in_person"


# Codes whose parameters are put into words first; each returns the text's key.
_PREPARE: dict[str, Callable[[dict[str, Any], str], str]] = {
    "interests": _interests,
    "interests_meaning": _meaning,
    "departments": _departments,
    "organisations": _organisations,
    "levels": _levels,
    "language": _language,
    "in_person": _in_person,
}


def render(code: str, params: Mapping[str, Any], lang: str = "en") -> str:
    """The reason ``code`` with ``params`` as a sentence in ``lang`` (``"de"`` or
    ``"en"``, anything else reads English); an unknown code is returned as it is."""
    lang = lang if lang in ("de", "en") else "en"
    p = dict(params)
    prepare = _PREPARE.get(code)
    key = prepare(p, lang) if prepare is not None else code
    template = _TEXTS.get(key)
    if template is None:
        return code
    return translate(template, lang).format(**p)
