"""Realistic synthetic organisations, for tests, the benchmark and the demo.

Departments of very different sizes, a pyramid of levels, several member
organisations, towns across Germany with people scattered around them, mostly
German speakers with other languages mixed in, interests drawn from a skewed list
in German and English, and every meeting mode.
"""

from __future__ import annotations

import numpy as np

from kaffeeklatsch.matching.model import Location, Mode, Person

DEPARTMENTS = [
    "Pflege",
    "Verwaltung",
    "Sozialdienst",
    "Beratung",
    "Kita",
    "Jugendhilfe",
    "Eingliederungshilfe",
    "Personal",
    "IT",
    "Finanzen",
    "Kommunikation",
    "Hauswirtschaft",
    "Ehrenamt",
    "Qualitätsmanagement",
    "Fundraising",
    "Geschäftsführung",
]
LEVELS = ["Fachkraft", "Teamleitung", "Bereichsleitung", "Vorstand"]
ORGANISATIONS = ["Caritas", "Diakonie", "AWO", "DRK", "Paritätischer", "Lebenshilfe"]
TOWNS = [
    ("Berlin", 52.52, 13.405),
    ("Hamburg", 53.55, 9.99),
    ("München", 48.137, 11.575),
    ("Köln", 50.938, 6.96),
    ("Frankfurt am Main", 50.11, 8.682),
    ("Stuttgart", 48.776, 9.18),
    ("Düsseldorf", 51.227, 6.773),
    ("Leipzig", 51.34, 12.375),
    ("Dortmund", 51.514, 7.465),
    ("Essen", 51.456, 7.011),
    ("Bremen", 53.079, 8.801),
    ("Dresden", 51.05, 13.738),
    ("Hannover", 52.375, 9.732),
    ("Nürnberg", 49.452, 11.077),
    ("Münster", 51.96, 7.626),
    ("Freiburg im Breisgau", 47.999, 7.842),
    ("Kassel", 51.312, 9.48),
    ("Rostock", 54.092, 12.099),
    ("Erfurt", 50.978, 11.029),
    ("Passau", 48.574, 13.46),
]
INTERESTS = [
    "Fotografie",
    "Podcasts",
    "Kochen",
    "Wandern",
    "Radfahren",
    "Lesen",
    "Musik",
    "Gärtnern",
    "Digitalisierung",
    "KI",
    "Yoga",
    "Fußball",
    "Theater",
    "Kunst",
    "Reisen",
    "Backen",
    "Chor",
    "Schach",
    "Tanzen",
    "Nachhaltigkeit",
    "Ehrenamt",
    "Hunde",
    "Katzen",
    "Filme",
    "Serien",
    "Geschichte",
    "Politik",
    "Sprachen",
    "Brettspiele",
    "Handarbeit",
    "Stricken",
    "Laufen",
    "Schwimmen",
    "Klettern",
    "Segeln",
    "Camping",
    "Vögel",
    "Imkerei",
    "Malen",
    "Photography",
    "Cooking",
    "Hiking",
    "Reading",
    "Music",
    "Gardening",
    "Travel",
    "Meditation",
    "Philosophie",
    "Psychologie",
    "Pädagogik",
    "Inklusion",
    "Teamarbeit",
    "Social Media",
    "Videospiele",
    "Comics",
    "Jazz",
    "Klassische Musik",
    "Oper",
    "Kino",
    "Kaffee",
    "Tee",
    "Wein",
    "Nähen",
    "Töpfern",
    "Upcycling",
    "Astronomie",
    "Geocaching",
]
OTHER_LANGUAGES = ["en", "tr", "ar", "ru", "uk", "pl", "fr", "es"]
FIRST_NAMES = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elif",
    "Fatma",
    "Georg",
    "Hanna",
    "Ibrahim",
    "Jana",
    "Karl",
    "Lena",
    "Mehmet",
    "Nina",
    "Olga",
    "Paul",
    "Rana",
    "Sofia",
    "Tim",
    "Ute",
    "Viktor",
    "Wiebke",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Yilmaz",
    "Kaya",
    "Nowak",
    "Kowalski",
    "Ivanova",
    "Haddad",
]


def _skewed(rng: np.random.Generator, k: int, size: int, power: float = 1.1) -> np.ndarray:
    p = 1.0 / np.arange(1, k + 1) ** power
    return rng.choice(k, size=size, p=p / p.sum())


def organisation(n: int, seed: int = 0, organisations: int = 1) -> list[Person]:
    """``n`` people of a synthetic organisation (or network of ``organisations``)."""
    rng = np.random.default_rng(seed)
    dept = _skewed(rng, len(DEPARTMENTS), n, 1.0)
    level = rng.choice(len(LEVELS), size=n, p=[0.72, 0.18, 0.08, 0.02])
    org = _skewed(rng, min(organisations, len(ORGANISATIONS)), n, 0.8)
    town = _skewed(rng, len(TOWNS), n, 0.9)
    lat = np.array([t[1] for t in TOWNS])[town] + rng.normal(0, 0.08, n)
    lon = np.array([t[2] for t in TOWNS])[town] + rng.normal(0, 0.12, n)
    mode = rng.choice(3, size=n, p=[0.3, 0.2, 0.5])
    n_interests = rng.integers(2, 7, n)
    interest = _skewed(rng, len(INTERESTS), int(n_interests.sum()), 0.9)
    starts = np.r_[0, np.cumsum(n_interests)[:-1]]
    speaks_german = rng.random(n) < 0.96
    extra = rng.random(n) < 0.35
    other = rng.integers(0, len(OTHER_LANGUAGES), n)
    new = rng.random(n) < 0.05
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    modes = [Mode.IN_PERSON, Mode.ONLINE, Mode.EITHER]
    people = []
    for i in range(n):
        langs = (["de"] if speaks_german[i] else []) + (
            [OTHER_LANGUAGES[other[i]]] if extra[i] or not speaks_german[i] else []
        )
        terms = dict.fromkeys(
            INTERESTS[k] for k in interest[starts[i] : starts[i] + n_interests[i]]
        )
        name = f"{FIRST_NAMES[first[i]]} {LAST_NAMES[last[i]]}"
        people.append(
            Person(
                id=f"p{i}",
                name=name,
                email=f"p{i}@example.org",
                department=DEPARTMENTS[dept[i]],
                organisation=ORGANISATIONS[org[i]],
                level=LEVELS[level[i]],
                languages=tuple(langs),
                location=Location(float(lat[i]), float(lon[i]), TOWNS[town[i]][0]),
                mode=modes[mode[i]],
                interests=tuple(terms),
                new_joiner=bool(new[i]),
            )
        )
    return people
