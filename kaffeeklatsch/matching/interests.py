"""Interests as people write them, in German or English, turned into comparison keys.

Two people share an interest when the key sets of their terms intersect
(:func:`interest_keys`). Keys are only compared; explanations show the person's own
words. What makes two terms meet:

* folding: case, whitespace, accents, umlauts (``ä``/``ae`` -> ``a``), ``ß`` -> ``ss``,
  hyphens ("E-Bike" = "EBike"), filler words in phrases ("ich lese gerne");
* light stemming of German and English plural and inflection endings: "Podcasts" ->
  "podcast", "Bücher" -> "buch", "Hunde" -> "hund", "Katzen"/"Katze" -> "katz",
  "Hobbies"/"Hobbys" -> "hobbi";
* a bilingual synonym list (``data/interest_synonyms.txt``): "KI", "AI", "Künstliche
  Intelligenz" and "Artificial Intelligence" share one canonical key;
* compounds split only against known heads: the single words of the synonym list
  ("Naturfotografie" -> photography, "Kirchenchor" -> singing), and, for a few light
  heads that carry little meaning themselves ("-arbeit", "-gruppe", "-verein",
  "-kurs", ...), against a known modifier ("Gartenarbeit" -> gardening, "Yogakurs" ->
  yoga). A modifier must keep at least three letters and a head at least four, and a
  short list of words is never split ("Feedback" is not baking);
* words in other scripts (Cyrillic, Arabic, ...) are only case folded;
* a phrase that is not itself in the list also shares the known interests among its
  words ("Klassische Musik" shares music; "Kunst" and "Künstliche Intelligenz" do not
  meet).

Both functions are pure and cached, so a round of a million people with a few thousand
distinct terms costs a few thousand computations.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["interest_keys", "split_interests"]

# Words dropped from phrases (never from a one-word term): they change no interest.
_FILLER = frozenset(
    """
    ich du wir man mein meine meinen gern gerne sehr viel viele vor allem besonders
    insbesondere mag liebe lieben und oder sowie auch der die das den dem des ein eine
    einen einem einer zu zum zur mit von vom fur im in am an auf aus bei beim etwas alles
    z b zb bzw etc usw u a ua v
    i we my the an and or of to on at for with like love enjoy really very much lots
    lot especially also
    """.split()
)

# German plurals in -er without an umlaut (plurals with one are handled by rule).
_IRREGULAR = {
    "bilder": "bild",
    "bildern": "bild",
    "kinder": "kind",
    "kindern": "kind",
    "lieder": "lied",
    "liedern": "lied",
    "felder": "feld",
    "bretter": "brett",
    "eier": "ei",
    "geister": "geist",
    "lichter": "licht",
    "kleider": "kleid",
    "rinder": "rind",
}

# Stems that are too ambiguous to stand as the head of a compound:
# "Hautpflege" is not care work, "Betriebsklima" not climate, "Stadtführung" not
# leadership, "Klavierspiel" not a board game, "Lebenslauf" not running,
# "Feedback" not baking, "Jobbörse" not the stock market, "Artenvielfalt" not
# diversity, "Landwirtschaft" not economics.
_NO_HEAD = frozenset(
    {"pfleg", "klima", "fuhrung", "spiel", "lauf", "back", "bors", "vielfalt", "wirtschaft"}
)
# Whole words (stemmed) never split although a known head ends them.
_NO_SPLIT = frozenset({"biergart", "schwein", "signatur", "milchreis"})
# Heads that mean little on their own: "Gartenarbeit" is gardening, "Yogakurs" yoga.
_LIGHT_HEADS = (
    "arbeit",
    "grupp",
    "verein",
    "kurs",
    "training",
    "club",
    "klub",
    "treff",
    "team",
    "abend",
    "rund",
    "kreis",
    "freund",
    "fan",
    "liebhab",
)
_MIN_MODIFIER = 3
_MIN_HEAD = 4

_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss", "-": "", "\u00ad": ""})
_TRANSLIT = re.compile(r"(?<=[a-z])(ae|oe|ue)")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_PARENS = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")


def _fold_words(text: str) -> list[tuple[str, bool]]:
    """Lower-case ASCII words of ``text``, each with whether it carried an umlaut."""
    words: list[tuple[str, bool]] = []
    for raw in text.casefold().split():
        umlaut = any(c in raw for c in "äöü") or bool(_TRANSLIT.search(raw))
        folded = _TRANSLIT.sub(lambda m: m.group(1)[0], raw.translate(_FOLD))
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in folded if not unicodedata.combining(c))
        words.extend((w, umlaut) for w in _NON_WORD.sub(" ", folded).split())
    return words


def _stem(word: str, umlaut: bool) -> str:
    """Strip one plural or inflection ending (German and English), keeping >= 3 letters."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) < 4:
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "i"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) >= 5:
        word = word[:-1]
    if word.endswith("innen") and len(word) >= 8:
        word = word[:-3]
    elif word.endswith("ern") and umlaut and len(word) >= 6:
        word = word[:-3]
    elif word.endswith("en") and len(word) >= 5:
        word = word[:-2]
    elif word.endswith("er") and umlaut and len(word) >= 5:
        word = word[:-2]
    elif word.endswith("e") and len(word) >= 4:
        word = word[:-1]
    if word.endswith("y") and len(word) >= 4:
        word = word[:-1] + "i"
    return word


def _words(text: str) -> list[tuple[str, str]]:
    """The folded words of ``text`` (fillers dropped from phrases), each with its stem."""
    words = _fold_words(text)
    if len(words) > 1:
        kept = [w for w in words if w[0] not in _FILLER]
        words = kept or words
    return [(w, _stem(w, umlaut)) for w, umlaut in words]


def _stems(text: str) -> list[str]:
    return [stem for _, stem in _words(text)]


def _phrase_forms(stems: list[str]) -> list[str]:
    """The spaced form and, for phrases, the glued form ("social media"/"socialmedia")."""
    spaced = " ".join(stems)
    return [spaced, "".join(stems)] if len(stems) > 1 else [spaced]


@dataclass(frozen=True)
class _Vocabulary:
    canonical: dict[str, str]  # folded, stemmed spelling -> canonical key
    heads: tuple[tuple[str, str], ...]  # (stem, canonical key), longest first


_lock = threading.Lock()
_vocabulary: _Vocabulary | None = None


def _parse_synonyms(text: str) -> _Vocabulary:
    canonical: dict[str, str] = {}
    heads: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, spellings = line.partition(":")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"interest synonyms, line {number}: expected 'key: spellings'")
        for spelling in spellings.split(","):
            stems = _stems(spelling)
            if not stems:
                continue
            for form in _phrase_forms(stems):
                held = canonical.setdefault(form, key)
                if held != key:
                    raise ValueError(
                        f"interest synonyms, line {number}: {spelling.strip()!r} is already "
                        f"in group {held!r}"
                    )
            if len(stems) == 1 and len(stems[0]) >= _MIN_HEAD and stems[0] not in _NO_HEAD:
                heads.setdefault(stems[0], key)
    ordered = tuple(sorted(heads.items(), key=lambda item: (-len(item[0]), item[0])))
    return _Vocabulary(canonical, ordered)


def _get_vocabulary() -> _Vocabulary:
    global _vocabulary
    if _vocabulary is None:
        with _lock:
            if _vocabulary is None:
                source = resources.files("kaffeeklatsch.matching").joinpath("data")
                text = source.joinpath("interest_synonyms.txt").read_text("utf-8")
                _vocabulary = _parse_synonyms(text)
    return _vocabulary


def _known(vocabulary: _Vocabulary, stems: list[str]) -> str | None:
    for form in _phrase_forms(stems):
        found = vocabulary.canonical.get(form)
        if found is not None:
            return found
    return None


def _compound_keys(vocabulary: _Vocabulary, word: str, stem: str) -> list[str]:
    """Keys of a single word (folded, and its stem) through its known head or, for a
    light head, its known modifier."""
    if stem in _NO_SPLIT:
        return []
    for light in _LIGHT_HEADS:
        ending = stem if stem.endswith(light) else word
        if ending.endswith(light) and len(ending) - len(light) >= _MIN_MODIFIER:
            # A light head is the real head, so no known head inside it counts
            # ("Freundeskreis" is no "Reise").
            modifier = ending[: -len(light)]
            # The modifier as it stands in a compound: "Wander-" (wandern), "Hunde-"
            # (Hund), "Fußballs-" (Fußball).
            for candidate in (modifier, modifier + "n", modifier + "en", modifier[:-1]):
                found = vocabulary.canonical.get(_stem(candidate, umlaut=False))
                if found is None:
                    found = vocabulary.canonical.get(candidate)
                if found is not None:
                    return [found]
            return []
    for head, key in vocabulary.heads:
        if stem.endswith(head) and len(stem) - len(head) >= _MIN_MODIFIER:
            return [key]
    return []


def _word_keys(vocabulary: _Vocabulary, word: str, stem: str) -> list[str]:
    known = vocabulary.canonical.get(stem)
    return [known] if known is not None else _compound_keys(vocabulary, word, stem)


@lru_cache(maxsize=1 << 18)
def interest_keys(term: str) -> tuple[str, ...]:
    """Comparison keys of one interest as a person wrote it.

    The first key stands for the whole term (its canonical key when the synonym list
    knows it, else its folded and stemmed words); further keys are the known interests
    it contains (the head of a compound, the known words of a phrase, the items in
    parentheses). Two terms share an interest when their keys intersect. An empty or
    meaningless term has no keys.

    >>> interest_keys("Künstliche Intelligenz") == interest_keys("KI")
    True
    >>> interest_keys("Naturfotografie")
    ('naturfotografi', 'photography')
    """
    if not isinstance(term, str):
        return ()
    vocabulary = _get_vocabulary()
    inner = [a or b for a, b in _PARENS.findall(term)]
    main = _PARENS.sub(" ", term)
    words = _words(main)
    stems = [stem for _, stem in words]
    keys: list[str] = []
    if stems:
        known = _known(vocabulary, stems)
        if known is not None:
            keys.append(known)
        else:
            keys.append(" ".join(stems))
            if len(words) == 1:
                keys.extend(_compound_keys(vocabulary, *words[0]))
            else:
                for word, stem in words:
                    keys.extend(_word_keys(vocabulary, word, stem))
    elif _letters(main):
        # Another script (Cyrillic, Arabic, ...): the words themselves, case folded.
        keys.append(" ".join(_NON_LETTER.sub(" ", main.casefold()).split()))
    for part in inner:
        for item in split_interests(part):
            keys.extend(interest_keys(item))
    return tuple(dict.fromkeys(keys))


_NON_LETTER = re.compile(r"[\W_]+")


def _letters(text: str) -> bool:
    return any(c.isalnum() for c in text)


# Separators between interests in one cell. "und"/"and"/"&" separate too, unless the
# whole piece is a known phrase ("Pen and Paper", "Dungeons & Dragons").
_SEPARATORS = re.compile(r"[,;|/\n\r\t•·]+")
_CONJUNCTIONS = re.compile(r"\s+(?:und|and|sowie|&|\+)\s+", re.IGNORECASE)
_EDGES = re.compile(r"^[\s\-–—*#>\"'„“”‚‘’.:]+|[\s\-–—*\"'„“”‚‘’.:!?]+$")
_TRAILERS = re.compile(
    r"\s*(?:\b(?:etc|usw|u\.?\s?v\.?\s?m|u\.?\s?a)\.?|\.\.\.|…)\s*$", re.IGNORECASE
)


def _outside_parentheses(text: str) -> str:
    """``text`` with everything inside (round or square) brackets masked, same length."""
    masked = []
    depth = 0
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
            masked.append("\0")
            continue
        masked.append("\0" if depth else char)
    return "".join(masked)


def _split_at(text: str, separator: re.Pattern[str]) -> list[str]:
    """Split ``text`` where ``separator`` matches outside brackets."""
    parts = []
    start = 0
    for match in separator.finditer(_outside_parentheses(text)):
        parts.append(text[start : match.start()])
        start = match.end()
    parts.append(text[start:])
    return parts


def _clean(piece: str) -> str:
    piece = _TRAILERS.sub("", piece)
    piece = _EDGES.sub("", piece)
    return " ".join(piece.split())


def split_interests(cell: str) -> list[str]:
    """Split a free-text cell into the interests it names, in the person's own words.

    Separators are commas, semicolons, slashes, vertical bars, line breaks and bullets,
    and the words "und", "and", "sowie", "&" and "+" between two interests -- except
    inside parentheses ("Lesen (Krimis, Fantasy)" stays one interest whose keys
    include those of the items in parentheses) and except where the whole phrase is a
    known interest ("Pen and Paper"). Bullets, quotes, trailing "etc."/"usw." and
    surrounding punctuation are dropped; the same interest written twice (any case)
    is kept once; order is kept.

    >>> split_interests("Fotografie, Podcasts; Kochen und Backen")
    ['Fotografie', 'Podcasts', 'Kochen', 'Backen']
    """
    if not isinstance(cell, str):
        return []
    vocabulary = _get_vocabulary()
    result: list[str] = []
    seen: set[str] = set()
    for part in _split_at(cell, _SEPARATORS):
        part = _clean(part)
        if not part:
            continue
        stems = _stems(_PARENS.sub(" ", part))
        known = bool(stems) and _known(vocabulary, stems) is not None
        pieces = [part] if known else _split_at(part, _CONJUNCTIONS)
        for piece in pieces:
            piece = _clean(piece)
            folded = piece.casefold()
            if piece and folded not in seen and (_stems(piece) or _letters(piece)):
                seen.add(folded)
                result.append(piece)
    return result
