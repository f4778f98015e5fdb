"""Where people are: German postcodes, town names and coordinates, resolved offline.

:func:`resolve_location` turns what a person or an organiser wrote ("10115",
"Köln", "koeln", "50667 Köln", "Frankfurt am Main", "52.52, 13.405") into a
:class:`~kaffeeklatsch.matching.model.Location`. It reads two small tables shipped
in ``data/`` (see ``data/README.md`` for their sources and licences) on first use and
never touches the network. :func:`haversine_km` measures great-circle distances, on
scalars or element-wise on NumPy arrays.

Town names are compared case-, accent- and punctuation-insensitively: "München",
"muenchen" and "MUNCHEN" are the same key. A name shared by several places resolves to
the largest by population; a name with a qualifier ("Frankfurt am Main", "Halle
(Saale)") also answers to its bare form, so "Frankfurt" is Frankfurt am Main. Official
names always win over other names (exonyms such as "Munich" or "Cologne").
"""

from __future__ import annotations

import csv
import io
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kaffeeklatsch.matching.model import Location

__all__ = ["EARTH_RADIUS_KM", "haversine_km", "place_key", "resolve_location"]

#: Mean Earth radius (IUGG), the usual choice for haversine distances.
EARTH_RADIUS_KM = 6371.0088

_POSTCODE = re.compile(r"(?:d|de)?[- ]?(\d{5})")
_POSTCODE_TOWN = re.compile(r"(?:d|de)?[- ]?(\d{5})[\s,]+(.+)")
_NUMBER = r"[-+]?\d{1,3}(?:[.,]\d+)?"
# Two numbers: decimal point with comma/semicolon/space between them, or decimal comma
# with semicolon/space between them (German spreadsheets write "52,52; 13,405").
_COORDS_POINT = re.compile(r"([-+]?\d{1,3}(?:\.\d+)?)\s*[,;\s]\s*([-+]?\d{1,3}(?:\.\d+)?)")
_COORDS_COMMA = re.compile(rf"({_NUMBER})\s*[;\s]\s*({_NUMBER})")

# Words after which a German place name carries a qualifier: "Frankfurt am Main",
# "Neustadt an der Weinstraße", "Freiburg im Breisgau", "Halle (Saale)",
# "Mühlhausen/Thüringen". The bare name before them is a key too.
_QUALIFIER = re.compile(
    r"\s+(?:am|an der|an den|im|in|ob der|bei|vor der|unter|auf der)\s+.*$|\s*[(/,].*$"
)
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_FOLD_PLAIN = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_NON_WORD = re.compile(r"[^a-z0-9]+")
_SANKT = re.compile(r"\bst\b")


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def place_key(text: str, *, plain_umlauts: bool = False) -> str:
    """The comparison key of a place name: lower case, umlauts as ``ae``/``oe``/``ue``
    (or as plain vowels with ``plain_umlauts``), ``ß`` as ``ss``, other accents
    dropped, punctuation as single spaces, "St." as "sankt"."""
    folded = text.casefold().translate(_FOLD_PLAIN if plain_umlauts else _FOLD)
    words = _NON_WORD.sub(" ", _ascii(folded)).strip()
    return _SANKT.sub("sankt", words)


def _name_keys(name: str) -> set[str]:
    """Every key a place name answers to: full and bare (qualifier dropped), with
    umlauts written out or plain."""
    forms = {name}
    bare = _QUALIFIER.sub("", name.strip())
    if bare:
        forms.add(bare)
    keys = set()
    for form in forms:
        keys.add(place_key(form))
        keys.add(place_key(form, plain_umlauts=True))
    keys.discard("")
    return keys


@dataclass(frozen=True)
class _Tables:
    postcodes: dict[str, Location]
    places: dict[str, Location]


_lock = threading.Lock()
_tables: _Tables | None = None


def _rows(filename: str) -> list[dict[str, str]]:
    source = resources.files("kaffeeklatsch.matching").joinpath("data").joinpath(filename)
    return list(csv.DictReader(io.StringIO(source.read_text("utf-8"))))


def _load() -> _Tables:
    postcodes: dict[str, Location] = {}
    for row in _rows("de_postcodes.csv"):
        label = f"{row['postcode']} {row['place']}".strip()
        postcodes[row["postcode"]] = Location(float(row["lat"]), float(row["lon"]), label)

    # Rank of a candidate for a key: official names before other names, then known
    # population, then the larger population; the first row in file order breaks ties.
    best: dict[str, tuple[tuple[int, int, int], Location]] = {}

    def offer(key: str, rank: tuple[int, int, int], location: Location) -> None:
        held = best.get(key)
        if held is None or rank > held[0]:
            best[key] = (rank, location)

    for row in _rows("de_places.csv"):
        location = Location(float(row["lat"]), float(row["lon"]), row["name"])
        known = 1 if row["population"] else 0
        population = int(row["population"] or 0)
        for key in _name_keys(row["name"]):
            offer(key, (1, known, population), location)
        for other in filter(None, row["other_names"].split("|")):
            for key in _name_keys(other):
                offer(key, (0, known, population), location)
    return _Tables(postcodes, {key: loc for key, (_, loc) in best.items()})


def _get_tables() -> _Tables:
    global _tables
    if _tables is None:
        with _lock:
            if _tables is None:
                _tables = _load()
    return _tables


def _coordinates(text: str) -> Location | None:
    match = _COORDS_POINT.fullmatch(text) or _COORDS_COMMA.fullmatch(text)
    if match is None:
        return None
    lat = float(match.group(1).replace(",", "."))
    lon = float(match.group(2).replace(",", "."))
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    return Location(lat, lon, text)


@lru_cache(maxsize=65536)
def resolve_location(text: str) -> Location | None:
    """Resolve a German postcode, town name, "postcode town" or "lat, lon" offline.

    Accepted: ``"10115"`` (also ``"D-10115"``), ``"Köln"``/``"koeln"``/``"KOELN"``,
    ``"Frankfurt am Main"``, ``"50667 Köln"`` (the postcode decides; an unknown
    postcode falls back to the town), ``"52.52, 13.405"``, ``"52.52 13.405"`` and
    ``"52,52; 13,405"`` (latitude first, WGS84 degrees, range-checked). Anything
    else, including an unknown name or postcode, gives ``None``.

    The tables load once, lazily and thread-safely; results are cached, so a round
    of a million people with a few thousand distinct places costs a few thousand
    look-ups.
    """
    if not isinstance(text, str):
        return None
    cleaned = " ".join(text.split())
    if not cleaned:
        return None
    tables = _get_tables()
    lowered = cleaned.lower()

    match = _POSTCODE.fullmatch(lowered)
    if match:
        return tables.postcodes.get(match.group(1))
    match = _POSTCODE_TOWN.fullmatch(lowered)
    if match:
        found = tables.postcodes.get(match.group(1))
        if found is not None:
            return found
        return _town(tables, cleaned[match.start(2) :])
    if lowered[0] in "+-0123456789":
        return _coordinates(cleaned)
    return _town(tables, cleaned)


def _town(tables: _Tables, name: str) -> Location | None:
    """A place by its name, by its name without a qualifier, or -- for a district the
    tables do not list ("Köln-Ehrenfeld", "Frankfurt Höchst") -- by the town before it."""
    for candidate in (name, _QUALIFIER.sub("", name), re.split(r"[-\s]", name, maxsplit=1)[0]):
        key = place_key(candidate)
        if key and key in tables.places:
            return tables.places[key]
    return None


@overload
def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float: ...
@overload
def haversine_km(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> NDArray[np.float64]: ...


def haversine_km(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> float | NDArray[np.float64]:
    """Great-circle distance in kilometres between points given in degrees.

    Works element-wise on NumPy arrays (with broadcasting) and returns a plain float
    when every argument is a scalar. The haversine formula on a sphere of the mean
    Earth radius stays within about 0.5% of the ellipsoidal distance, which is plenty
    for "near enough to meet".
    """
    phi1 = np.radians(np.asarray(lat1, dtype=np.float64))
    phi2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2.0) ** 2
    d: NDArray[np.float64] = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    if d.ndim == 0:
        return float(d)
    return d
