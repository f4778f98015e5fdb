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


def organisation(
    n: int, seed: int = 0, organisations: int = 1, multilingual: bool = False
) -> list[Person]:
    """``n`` people of a synthetic organisation (or network of ``organisations``).

    With ``multilingual``, people write their interests in their own languages (see
    :func:`multilingual_interests`) instead of from the German and English list.
    """
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
    if multilingual:
        # Each interest in the person's other language half of the time (always when
        # they speak no German), else in German, now and then in English.
        own = np.array([_COLUMN.get(code, 0) for code in OTHER_LANGUAGES])[other]
        person = np.repeat(np.arange(n), n_interests)
        other_first = (rng.random(len(person)) < 0.5) & (extra | ~speaks_german)[person]
        other_first |= ~speaks_german[person]
        column = np.where(other_first, own[person], np.where(rng.random(len(person)) < 0.15, 1, 0))
        written = multilingual_interests(rng, column)
    people = []
    for i in range(n):
        langs = (["de"] if speaks_german[i] else []) + (
            [OTHER_LANGUAGES[other[i]]] if extra[i] or not speaks_german[i] else []
        )
        terms = dict.fromkeys(
            INTERESTS[k] for k in interest[starts[i] : starts[i] + n_interests[i]]
        )
        if multilingual:
            terms = dict.fromkeys(written[starts[i] : starts[i] + n_interests[i]])
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


# Interests as people write them in the ten languages most common among carers and
# neighbours in German cities: one row per interest, one column per language of
# MULTILINGUAL_LANGUAGES.
MULTILINGUAL_LANGUAGES = ("de", "en", "tr", "ar", "ru", "pl", "uk", "es", "fr", "it")
# fmt: off
MULTILINGUAL_INTERESTS: list[tuple[str, ...]] = [
    ("Wandern", "hiking", "doğa yürüyüşü", "المشي لمسافات طويلة", "пеший туризм",
     "wędrówki górskie", "піші походи", "senderismo", "randonnée", "escursionismo"),
    ("Kochen", "cooking", "yemek yapmak", "الطبخ", "кулинария", "gotowanie", "кулінарія",
     "cocinar", "cuisine", "cucinare"),
    ("Fußball", "soccer", "futbol", "كرة القدم", "футбол", "piłka nożna", "футбол", "fútbol",
     "foot", "calcio"),
    ("Lesen", "reading", "kitap okumak", "القراءة", "чтение", "czytanie książek", "читання",
     "lectura", "lecture", "lettura"),
    ("Fotografie", "photography", "fotoğrafçılık", "التصوير الفوتوغرافي", "фотография",
     "fotografia", "фотографія", "fotografía", "photographie", "fotografia"),
    ("Musik", "music", "müzik", "الموسيقى", "музыка", "muzyka", "музика", "música", "musique",
     "musica"),
    ("Gärtnern", "gardening", "bahçecilik", "البستنة", "садоводство", "ogrodnictwo",
     "садівництво", "jardinería", "jardinage", "giardinaggio"),
    ("Schwimmen", "swimming", "yüzme", "السباحة", "плавание", "pływanie", "плавання", "natación",
     "natation", "nuoto"),
    ("Schach", "chess", "satranç", "الشطرنج", "шахматы", "szachy", "шахи", "ajedrez", "échecs",
     "scacchi"),
    ("Tanzen", "dancing", "dans etmek", "الرقص", "танцы", "taniec", "танці", "bailar", "danse",
     "ballare"),
    ("Malen", "painting", "resim yapmak", "الرسم", "живопись", "malarstwo", "живопис", "pintura",
     "peinture", "pittura"),
    ("Reisen", "travelling", "seyahat etmek", "السفر", "путешествия", "podróże", "подорожі",
     "viajar", "voyager", "viaggiare"),
    ("Radfahren", "cycling", "bisiklet sürmek", "ركوب الدراجات", "езда на велосипеде",
     "jazda na rowerze", "їзда на велосипеді", "ciclismo", "faire du vélo",
     "andare in bicicletta"),
    ("Singen", "singing", "şarkı söylemek", "الغناء", "пение", "śpiewanie", "спів", "cantar",
     "chanter", "cantare"),
    ("Laufen", "running", "koşu", "الجري", "бег", "bieganie", "біг", "correr", "course à pied",
     "corsa"),
    ("Stricken", "knitting", "örgü örmek", "الحياكة", "вязание", "robienie na drutach",
     "в'язання", "tejer", "tricot", "lavorare a maglia"),
    ("Filme", "movies", "filmler", "الأفلام", "фильмы", "filmy", "фільми", "películas", "films",
     "film"),
    ("Theater", "theatre", "tiyatro", "المسرح", "театр", "teatr", "театр", "teatro", "théâtre",
     "teatro"),
    ("Geschichte", "history", "tarih", "التاريخ", "история", "historia", "історія", "historia",
     "histoire", "storia"),
    ("Politik", "politics", "siyaset", "السياسة", "политика", "polityka", "політика", "política",
     "politique", "politica"),
    ("Sprachen lernen", "learning languages", "dil öğrenmek", "تعلم اللغات", "изучение языков",
     "nauka języków", "вивчення мов", "aprender idiomas", "apprendre des langues",
     "imparare le lingue"),
    ("Hunde", "dogs", "köpekler", "الكلاب", "собаки", "psy", "собаки", "perros", "chiens",
     "cani"),
    ("Katzen", "cats", "kediler", "القطط", "кошки", "koty", "коти", "gatos", "chats", "gatti"),
    ("Backen", "baking", "hamur işi yapmak", "الخبز", "выпечка", "pieczenie ciast", "випічка",
     "hornear", "pâtisserie", "fare dolci"),
    ("Ehrenamt", "volunteering", "gönüllülük", "العمل التطوعي", "волонтёрство", "wolontariat",
     "волонтерство", "voluntariado", "bénévolat", "volontariato"),
    ("Klettern", "climbing", "tırmanış", "التسلق", "скалолазание", "wspinaczka", "скелелазіння",
     "escalada", "escalade", "arrampicata"),
    ("Segeln", "sailing", "yelken", "الإبحار الشراعي", "парусный спорт", "żeglarstwo",
     "вітрильний спорт", "navegación a vela", "voile", "vela"),
    ("Camping", "camping", "kamp yapmak", "التخييم", "кемпинг", "biwakowanie", "кемпінг",
     "acampada", "camping sauvage", "campeggio"),
    ("Vögel beobachten", "birdwatching", "kuş gözlemciliği", "مراقبة الطيور",
     "наблюдение за птицами", "obserwacja ptaków", "спостереження за птахами",
     "observación de aves", "observation des oiseaux", "osservazione degli uccelli"),
    ("Nähen", "sewing", "dikiş dikmek", "الخياطة", "шитьё", "szycie", "шиття", "costura",
     "couture", "cucito"),
    ("Töpfern", "pottery", "çömlekçilik", "صناعة الفخار", "гончарное дело", "garncarstwo",
     "гончарство", "alfarería", "poterie", "ceramica"),
    ("Astronomie", "astronomy", "astronomi", "علم الفلك", "астрономия", "astronomia",
     "астрономія", "astronomía", "astronomie", "astronomia"),
    ("Kaffee", "coffee", "kahve", "القهوة", "кофе", "kawa", "кава", "café", "le café", "caffè"),
    ("Wein", "wine", "şarap", "النبيذ", "вино", "wino", "вино", "vino", "vin", "vino rosso"),
    ("Brettspiele", "board games", "masa oyunları", "ألعاب الطاولة", "настольные игры",
     "gry planszowe", "настільні ігри", "juegos de mesa", "jeux de société", "giochi da tavolo"),
    ("Videospiele", "video games", "video oyunları", "ألعاب الفيديو", "видеоигры", "gry wideo",
     "відеоігри", "videojuegos", "jeux vidéo", "videogiochi"),
    ("Meditation", "meditation", "meditasyon", "التأمل", "медитация", "medytacja", "медитація",
     "meditación", "méditation", "meditazione"),
    ("Angeln", "fishing", "balık tutmak", "صيد السمك", "рыбалка", "wędkarstwo", "риболовля",
     "pesca", "pêche", "pesca sportiva"),
    ("Tennis", "tennis", "tenis", "التنس", "теннис", "tenis", "теніс", "tenis", "le tennis",
     "il tennis"),
    ("Natur", "nature", "doğa", "الطبيعة", "природа", "przyroda", "природа", "naturaleza",
     "la nature", "natura"),
    ("Nachhaltigkeit", "sustainability", "sürdürülebilirlik", "الاستدامة", "устойчивое развитие",
     "zrównoważony rozwój", "сталий розвиток", "sostenibilidad", "durabilité", "sostenibilità"),
    ("Philosophie", "philosophy", "felsefe", "الفلسفة", "философия", "filozofia", "філософія",
     "filosofía", "philosophie", "filosofia"),
    ("Psychologie", "psychology", "psikoloji", "علم النفس", "психология", "psychologia",
     "психологія", "psicología", "psychologie", "psicologia"),
    ("Yoga", "yoga", "yoga yapmak", "اليوغا", "йога", "joga", "йога", "yoga", "le yoga",
     "lo yoga"),
    ("Basketball", "basketball", "basketbol", "كرة السلة", "баскетбол", "koszykówka",
     "баскетбол", "baloncesto", "basket", "pallacanestro"),
    ("Volleyball", "volleyball", "voleybol", "الكرة الطائرة", "волейбол", "siatkówka",
     "волейбол", "voleibol", "volley-ball", "pallavolo"),
    ("Kunst", "art", "sanat", "الفن", "искусство", "sztuka", "мистецтво", "arte", "l'art",
     "l'arte"),
    ("Mode", "fashion", "moda", "الموضة", "мода", "moda", "мода", "la moda", "la mode",
     "la moda italiana"),
    ("Autos", "cars", "arabalar", "السيارات", "автомобили", "samochody", "автомобілі", "coches",
     "voitures", "automobili"),
    ("Programmieren", "programming", "programlama", "البرمجة", "программирование",
     "programowanie", "програмування", "programación", "programmation", "programmazione"),
]
# fmt: on

_COLUMN = {code: i for i, code in enumerate(MULTILINGUAL_LANGUAGES)}
# fmt: off
# Other ways people write an interest, per language ({} is the interest).
_VARIANTS: dict[str, tuple[str, ...]] = {
    "de": ("{} für Anfänger", "{} am Wochenende", "gerne {}", "{} mit Freunden", "{} im Verein"),
    "en": ("{} for beginners", "{} at weekends", "love {}", "{} with friends", "{} club"),
    "tr": ("yeni başlayanlar için {}", "hafta sonu {}", "{} severim", "arkadaşlarla {}",
           "{} kulübü"),
    "ar": ("{} للمبتدئين", "{} في عطلة نهاية الأسبوع", "أحب {}", "{} مع الأصدقاء", "نادي {}"),
    "ru": ("{} для начинающих", "{} по выходным", "люблю {}", "{} с друзьями", "клуб: {}"),
    "pl": ("{} dla początkujących", "{} w weekendy", "lubię {}", "{} z przyjaciółmi",
           "klub: {}"),
    "uk": ("{} для початківців", "{} у вихідні", "люблю {}", "{} з друзями", "клуб: {}"),
    "es": ("{} para principiantes", "{} los fines de semana", "me encanta {}",
           "{} con amigos", "club de {}"),
    "fr": ("{} pour débutants", "{} le week-end", "j'adore {}", "{} entre amis", "club de {}"),
    "it": ("{} per principianti", "{} nel fine settimana", "amo {}", "{} con gli amici",
           "club di {}"),
}
# fmt: on


def multilingual_interests(rng: np.random.Generator, column: np.ndarray) -> list[str]:
    """One interest per entry of ``column`` (the index of its language in
    :data:`MULTILINGUAL_LANGUAGES`), drawn from a skewed list of
    :data:`MULTILINGUAL_INTERESTS` and written as people do: mostly as it is, sometimes
    in lower case or in a phrase ("Kochen am Wochenende"). A few thousand distinct
    terms in all."""
    count = len(column)
    row = _skewed(rng, len(MULTILINGUAL_INTERESTS), count, 0.9)
    style = rng.choice(7, size=count, p=[0.6, 0.1, 0.06, 0.06, 0.06, 0.06, 0.06])
    out: list[str] = []
    for r, c, v in zip(row.tolist(), column.tolist(), style.tolist(), strict=True):
        term = MULTILINGUAL_INTERESTS[r][c]
        if v == 1:
            term = term.lower()
        elif v >= 2:
            term = _VARIANTS[MULTILINGUAL_LANGUAGES[c]][v - 2].format(term)
        out.append(term)
    return out


def multilingual_terms() -> list[str]:
    """Every term :func:`multilingual_interests` can write, sorted."""
    terms: set[str] = set()
    for row in MULTILINGUAL_INTERESTS:
        for column, term in enumerate(row):
            variants = _VARIANTS[MULTILINGUAL_LANGUAGES[column]]
            terms.update([term, term.lower(), *(v.format(term) for v in variants)])
    return sorted(terms)
