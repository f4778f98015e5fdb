"""Reasons in plain words, in German and English.

The engine states each reason as a code with parameters (:class:`.model.Reason`);
this module is the only place that turns them into sentences.
"""

from __future__ import annotations

from collections.abc import Sequence

from kaffeeklatsch.matching.languages import language_name
from kaffeeklatsch.matching.model import Reason

_TEXTS: dict[str, dict[str, str]] = {
    "interests_pair": {
        "en": "you both like {interests}",
        "de": "Sie mögen beide {interests}",
    },
    "interests_group": {
        "en": "you share an interest in {interests}",
        "de": "Sie teilen das Interesse an {interests}",
    },
    "departments": {"en": "{departments} meets {last}", "de": "{departments} trifft {last}"},
    "levels": {
        "en": "different levels: {levels}",
        "de": "verschiedene Ebenen: {levels}",
    },
    "organisations": {"en": "{orgs} meets {last}", "de": "{orgs} trifft {last}"},
    "language_pair": {"en": "you both speak {language}", "de": "Sie sprechen beide {language}"},
    "language_group": {"en": "you all speak {language}", "de": "Sie sprechen alle {language}"},
    "in_person_km": {
        "en": "you can meet in person ({km} km apart)",
        "de": "Sie können sich vor Ort treffen ({km} km entfernt)",
    },
    "in_person": {"en": "you can meet in person", "de": "Sie können sich vor Ort treffen"},
    "online": {"en": "you meet online", "de": "Sie treffen sich online"},
    "new_joiner": {"en": "{name} is new here", "de": "{name} ist neu dabei"},
    "priority": {
        "en": "{name} comes first this round",
        "de": "{name} ist in dieser Runde zuerst an der Reihe",
    },
    "no_language": {
        "en": "nobody in this round shares a language with you",
        "de": "in dieser Runde spricht niemand eine Ihrer Sprachen",
    },
    "no_mode": {
        "en": "nobody in this round can meet the way you want to (in person or online)",
        "de": "in dieser Runde kann sich niemand so treffen, wie Sie es möchten "
        "(vor Ort oder online)",
    },
    "too_far": {
        "en": "nobody who could meet you in person lives within {km} km",
        "de": "niemand, der Sie vor Ort treffen könnte, wohnt im Umkreis von {km} km",
    },
    "no_time": {
        "en": "nobody's available times overlap with yours",
        "de": "die freien Zeiten der anderen überschneiden sich nicht mit Ihren",
    },
    "all_met": {
        "en": "you have recently met everyone you could meet (or blocked them)",
        "de": "Sie haben alle, die zu Ihnen passen, kürzlich getroffen (oder blockiert)",
    },
    "no_partner_left": {
        "en": "everyone who could meet you is already in a group; you come first next round",
        "de": "alle, die Sie treffen könnten, sind schon in einer Gruppe; "
        "in der nächsten Runde sind Sie zuerst an der Reihe",
    },
    "alone": {
        "en": "you are the only person in this round",
        "de": "Sie sind die einzige Person in dieser Runde",
    },
}

_AND = {"en": "and", "de": "und"}


def join(items: Sequence[str], lang: str) -> str:
    """``a``, ``a and b``, ``a, b and c`` in the reader's language."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {_AND.get(lang, 'and')} {items[-1]}"


def render(reason: Reason, lang: str = "en") -> str:
    lang = lang if lang in ("de", "en") else "en"
    p = dict(reason.params)
    code = reason.code
    if code == "interests":
        code = "interests_pair" if p.get("size", 2) == 2 else "interests_group"
        p["interests"] = join(p["interests"], lang)
    elif code in ("departments", "organisations"):
        names = list(p["departments" if code == "departments" else "organisations"])
        head = ", ".join(names[:-1])
        p.update({"departments": head, "orgs": head, "last": names[-1]})
    elif code == "levels":
        p["levels"] = join(p["levels"], lang)
    elif code == "language":
        code = "language_pair" if p.get("size", 2) == 2 else "language_group"
        p["language"] = language_name(p["language"], lang)
    elif code == "in_person" and p.get("km") is not None:
        code = "in_person_km"
    template = _TEXTS.get(code, {}).get(lang)
    if template is None:
        return code
    return template.format(**p)
