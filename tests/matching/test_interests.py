from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaffeeklatsch.matching.interests import interest_keys, split_interests


def share(a: str, b: str) -> bool:
    return bool(set(interest_keys(a)) & set(interest_keys(b)))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # Case, whitespace, umlauts and their transliteration, ß.
        ("Fotografie", "  fotografie "),
        ("Bücher", "Buecher"),
        ("Fußball", "FUSSBALL"),
        ("Gärtnern", "Gaertnern"),
        # Plurals and inflections, German and English.
        ("Podcasts", "Podcast"),
        ("Bücher", "Buch"),
        ("Hunde", "Hund"),
        ("Katzen", "Katze"),
        ("Gärten", "Garten"),
        ("Hobbies", "Hobbys"),
        ("Hobbies", "Hobby"),
        ("Movies", "Movie"),
        ("Board Games", "Board Game"),
        ("Pflanzen", "Pflanze"),
        ("Sprachen", "Sprache"),
        ("Künste", "Kunst"),
        ("Tieren", "Tiere"),
        # The bilingual synonym list.
        ("KI", "Künstliche Intelligenz"),
        ("AI", "KI"),
        ("artificial intelligence", "Künstliche Intelligenz"),
        ("Fotografie", "Photography"),
        ("Fotos", "Photography"),
        ("Kochen", "Cooking"),
        ("Wandern", "Hiking"),
        ("Radfahren", "Cycling"),
        ("Fahrrad", "Radfahren"),
        ("E-Bike", "Cycling"),
        ("Lesen", "Reading"),
        ("Bücher", "Lesen"),
        ("Musik", "Music"),
        ("Gärtnern", "Gardening"),
        ("Garten", "Gardening"),
        ("Digitalisierung", "Digitalization"),
        ("Digitalisierung", "Digital transformation"),
        ("Ehrenamt", "Volunteering"),
        ("Yoga", "yoga"),
        ("Fußball", "Football"),
        ("Fussball", "Soccer"),
        ("Social-Media", "Social Media"),
        ("Pen & Paper", "Pen and Paper"),
        # Compounds against known heads.
        ("Naturfotografie", "Fotografie"),
        ("Naturfotografie", "Photography"),
        ("Kirchenchor", "Singen"),
        ("Jazzmusik", "Music"),
        ("Hatha-Yoga", "Yoga"),
        ("Hathayoga", "Yoga"),
        ("Schäferhund", "Hunde"),
        ("Weltreisen", "Travel"),
        # Light heads: the modifier carries the meaning.
        ("Gartenarbeit", "Gärtnern"),
        ("Yogakurs", "Yoga"),
        ("Wandergruppe", "Wandern"),
        ("Hundefreunde", "Dogs"),
        ("Fußballverein", "Football"),
        ("Strickkreis", "Stricken"),
        # Phrases share the known interests among their words.
        ("Klassische Musik", "Musik"),
        ("Musik hören", "Music"),
        ("ich lese gerne", "Lesen"),
        ("Geschichte des Ruhrgebiets", "History"),
        # Items in parentheses count too.
        ("Lesen (Krimis, Thriller)", "Krimi"),
    ],
)
def test_terms_that_mean_the_same_share_a_key(a: str, b: str) -> None:
    assert share(a, b), (interest_keys(a), interest_keys(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kunst", "Künstliche Intelligenz"),
        ("Kunst", "KI"),
        ("Lesen", "Lesben"),
        ("Kunst", "Kunststoff"),
        ("Wandern", "Wand"),
        ("Feedback", "Backen"),
        ("Betriebsklima", "Klimaschutz"),
        ("Freundeskreis", "Reisen"),
        ("Biergarten", "Gärtnern"),
        ("Kindergarten", "Garten"),
        ("Stadtführung", "Leadership"),
        ("Hautpflege", "Pflege"),
        ("Landwirtschaft", "Wirtschaft"),
        ("Lebenslauf", "Laufen"),
        ("Signatur", "Natur"),
        ("Klavierspiel", "Brettspiele"),
        ("Science Fiction", "Wissenschaft"),
        ("Artenvielfalt", "Diversity"),
        ("Jobbörse", "Börse"),
        ("Tee", "Team"),
        ("Kochen", "Backen"),
        ("Fotografie", "Film"),
        ("Musik", "Mathematik"),
        ("Yoga", "Yogurt"),
        ("Reiten", "Reisen"),
        ("Soziale Arbeit", "Gartenarbeit"),
        ("Vereinsarbeit", "Gartenarbeit"),
    ],
)
def test_terms_that_only_look_alike_do_not_meet(a: str, b: str) -> None:
    assert not share(a, b), (interest_keys(a), interest_keys(b))


def test_the_first_key_stands_for_the_whole_term() -> None:
    assert interest_keys("KI") == ("ai",)
    assert interest_keys("Naturfotografie") == ("naturfotografi", "photography")
    assert interest_keys("Klassische Musik") == ("klassisch musik", "music")
    assert interest_keys("Musik hören") == ("musik hor", "music")
    assert interest_keys("Lesben") == ("lesb",)


@pytest.mark.parametrize("term", ["", "   ", "!!!", "-", "()"])
def test_empty_terms_have_no_keys(term: str) -> None:
    assert interest_keys(term) == ()


def test_non_strings_have_no_keys() -> None:
    assert interest_keys(None) == ()  # type: ignore[arg-type]
    assert split_interests(None) == []  # type: ignore[arg-type]


def test_results_are_cached() -> None:
    assert interest_keys("Fotografie") is interest_keys("Fotografie")


def test_every_synonym_maps_to_its_group() -> None:
    text = (
        resources.files("kaffeeklatsch.matching")
        .joinpath("data")
        .joinpath("interest_synonyms.txt")
        .read_text("utf-8")
    )
    groups = 0
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, spellings = line.partition(":")
        groups += 1
        for spelling in spellings.split(","):
            assert interest_keys(spelling)[0] == key.strip(), spelling
    assert 60 <= groups <= 150


@pytest.mark.parametrize(
    ("cell", "items"),
    [
        ("Fotografie, Podcasts; Kochen und Backen", ["Fotografie", "Podcasts", "Kochen", "Backen"]),
        ("Wandern/Hiking | Yoga", ["Wandern", "Hiking", "Yoga"]),
        ("- Yoga\n- Kochen\n* yoga", ["Yoga", "Kochen"]),
        ("Kunst & Kultur, Musik + Tanz", ["Kunst", "Kultur", "Musik", "Tanz"]),
        ("Reading and Cooking", ["Reading", "Cooking"]),
        ("Pen and Paper, Dungeons & Dragons", ["Pen and Paper", "Dungeons & Dragons"]),
        ("Rock and Roll", ["Rock and Roll"]),
        ("Lesen (Krimis, Thriller), Wandern usw.", ["Lesen (Krimis, Thriller)", "Wandern"]),
        ("Lesen (Krimis und Thriller)", ["Lesen (Krimis und Thriller)"]),
        ('"Fotografie", „Kochen“, Reisen etc.', ["Fotografie", "Kochen", "Reisen"]),
        ("KI • Digitalisierung · Ehrenamt", ["KI", "Digitalisierung", "Ehrenamt"]),
        ("Musik, Musik, MUSIK", ["Musik"]),
        ("", []),
        (" , ; / ", []),
    ],
)
def test_split_interests(cell: str, items: list[str]) -> None:
    assert split_interests(cell) == items


WORDS = ["Fotografie", "Podcasts", "Kochen", "Wandern", "Yoga", "Gärtnern", "KI", "Musik"]


@given(st.lists(st.sampled_from(WORDS), unique=True), st.sampled_from([", ", "; ", " / ", "\n"]))
def test_split_interests_round_trips_joined_lists(items: list[str], separator: str) -> None:
    assert split_interests(separator.join(items)) == items


german = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüß -", max_size=30)


@given(german)
def test_keys_ignore_case_and_surrounding_space(term: str) -> None:
    assert interest_keys(term) == interest_keys(term.upper()) == interest_keys(f"  {term}  ")


@given(st.text(max_size=60))
def test_any_text_gives_clean_keys_and_items(text: str) -> None:
    keys = interest_keys(text)
    assert all(isinstance(k, str) and k for k in keys)
    assert len(set(keys)) == len(keys)
    for item in split_interests(text):
        assert item == item.strip() and item
