import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaffeeklatsch.matching.geo import haversine_km, place_key, resolve_location
from kaffeeklatsch.matching.model import Location

# Known coordinates of the places (city centre or postcode area), in degrees.
KNOWN = [
    ("10115", 52.532, 13.385, 2.0),
    ("80331", 48.136, 11.573, 2.0),
    ("20095", 53.551, 10.000, 2.0),
    ("50667", 50.940, 6.950, 2.0),
    ("Berlin", 52.520, 13.405, 5.0),
    ("Hamburg", 53.551, 9.994, 5.0),
    ("Köln", 50.938, 6.957, 5.0),
    ("koeln", 50.938, 6.957, 5.0),
    ("KÖLN", 50.938, 6.957, 5.0),
    ("Koln", 50.938, 6.957, 5.0),
    ("Cologne", 50.938, 6.957, 5.0),
    ("München", 48.137, 11.575, 5.0),
    ("Muenchen", 48.137, 11.575, 5.0),
    ("Munich", 48.137, 11.575, 5.0),
    ("Frankfurt am Main", 50.110, 8.682, 5.0),
    ("Frankfurt", 50.110, 8.682, 5.0),
    ("frankfurt (oder)", 52.347, 14.551, 5.0),
    ("Halle (Saale)", 51.483, 11.970, 5.0),
    ("Düsseldorf", 51.227, 6.773, 5.0),
    ("Duesseldorf", 51.227, 6.773, 5.0),
    ("St. Ingbert", 49.277, 7.117, 5.0),
    ("Sankt Ingbert", 49.277, 7.117, 5.0),
    # Small towns.
    ("Wunsiedel", 50.039, 12.003, 5.0),
    ("Oer-Erkenschwick", 51.642, 7.264, 5.0),
    ("Garmisch-Partenkirchen", 47.492, 11.096, 5.0),
    ("Husum", 54.477, 9.051, 5.0),
    # "PLZ Town": the postcode decides.
    ("50667 Köln", 50.940, 6.950, 2.0),
    ("D-10115", 52.532, 13.385, 2.0),
    ("  10115   Berlin ", 52.532, 13.385, 2.0),
    # A district the tables do not list falls back to its town.
    ("Köln-Ehrenfeld", 50.938, 6.957, 5.0),
    ("Berlin, Germany", 52.520, 13.405, 5.0),
    # A known town after an unknown postcode still resolves.
    ("99999 Husum", 54.477, 9.051, 5.0),
]


@pytest.mark.parametrize(("text", "lat", "lon", "tolerance_km"), KNOWN)
def test_places_resolve_near_their_true_coordinates(
    text: str, lat: float, lon: float, tolerance_km: float
) -> None:
    found = resolve_location(text)
    assert found is not None, text
    assert haversine_km(found.lat, found.lon, lat, lon) < tolerance_km


def test_labels_name_the_place() -> None:
    assert resolve_location("10115") == Location(52.53214, 13.38468, "10115 Berlin")
    assert resolve_location("koeln").label == "Köln"  # type: ignore[union-attr]
    assert resolve_location("50667 köln").label == "50667 Köln"  # type: ignore[union-attr]


def test_homonyms_resolve_to_the_largest_place() -> None:
    # Several places are called Halle or Neustadt; people mean the big ones.
    halle = resolve_location("Halle")
    assert halle is not None and halle.label == "Halle (Saale)"
    neustadt = resolve_location("Neustadt")
    assert neustadt is not None and neustadt.label == "Neustadt an der Weinstraße"


def test_official_names_beat_other_names_of_bigger_places() -> None:
    # "Perlin" is also an other name of Berlin in GeoNames; the village of that name wins.
    perlin = resolve_location("Perlin")
    assert perlin is not None and perlin.label == "Perlin"
    assert haversine_km(perlin.lat, perlin.lon, 52.52, 13.405) > 100


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        ("52.52, 13.405", 52.52, 13.405),
        ("52.52 13.405", 52.52, 13.405),
        ("52.52;13.405", 52.52, 13.405),
        ("52,52; 13,405", 52.52, 13.405),
        ("52,52 13,405", 52.52, 13.405),
        ("-33.9, 151.2", -33.9, 151.2),
        ("0, 0", 0.0, 0.0),
    ],
)
def test_coordinates_are_read_latitude_first(text: str, lat: float, lon: float) -> None:
    found = resolve_location(text)
    assert found is not None
    assert (found.lat, found.lon) == (lat, lon)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "99999",  # not a postcode in use
        "1011",  # too short
        "101155",  # too long
        "Atlantis",
        "Kunst",
        "Atlantis-Nord",
        "91, 13",  # latitude out of range
        "52, 181",  # longitude out of range
        "52.5, 13.4, 7",
        "52.5",
        "N 52 E 13",
    ],
)
def test_unknown_or_invalid_input_gives_none(text: str) -> None:
    assert resolve_location(text) is None


def test_non_strings_give_none() -> None:
    assert resolve_location(None) is None  # type: ignore[arg-type]
    assert resolve_location(10115) is None  # type: ignore[arg-type]


def test_results_are_cached_and_shared() -> None:
    assert resolve_location("Köln") is resolve_location("Köln")


def test_place_key_folds_case_accents_and_punctuation() -> None:
    assert place_key("Köln") == place_key("KOELN") == "koeln"
    assert place_key("Köln", plain_umlauts=True) == "koln"
    assert place_key("Gießen") == "giessen"
    assert place_key("St. Ingbert") == place_key("Sankt-Ingbert") == "sankt ingbert"


def test_berlin_to_munich_is_about_504_km() -> None:
    berlin = resolve_location("Berlin")
    munich = resolve_location("München")
    assert berlin is not None and munich is not None
    assert haversine_km(berlin.lat, berlin.lon, munich.lat, munich.lon) == pytest.approx(504, abs=3)


def test_haversine_known_distances() -> None:
    assert haversine_km(0.0, 0.0, 0.0, 0.0) == 0.0
    # A quarter of the equator and pole to pole.
    assert haversine_km(0.0, 0.0, 0.0, 90.0) == pytest.approx(math.pi / 2 * 6371.0088)
    assert haversine_km(90.0, 0.0, -90.0, 0.0) == pytest.approx(math.pi * 6371.0088)
    # One degree of latitude is about 111.2 km.
    assert haversine_km(50.0, 8.0, 51.0, 8.0) == pytest.approx(111.2, abs=0.1)
    assert isinstance(haversine_km(50.0, 8.0, 51.0, 8.0), float)


lats = st.floats(-90, 90, allow_nan=False)
lons = st.floats(-180, 180, allow_nan=False)
points = st.lists(st.tuples(lats, lons, lats, lons), min_size=1, max_size=50)


@given(points)
def test_vectorised_haversine_equals_scalar(rows: list[tuple[float, float, float, float]]) -> None:
    a = np.array(rows)
    vector = haversine_km(a[:, 0], a[:, 1], a[:, 2], a[:, 3])
    assert isinstance(vector, np.ndarray) and vector.shape == (len(rows),)
    for value, (lat1, lon1, lat2, lon2) in zip(vector, rows, strict=True):
        assert value == pytest.approx(haversine_km(lat1, lon1, lat2, lon2), abs=1e-9)


@given(lats, lons, lats, lons)
def test_haversine_is_symmetric_and_bounded(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    d = haversine_km(lat1, lon1, lat2, lon2)
    assert d == pytest.approx(haversine_km(lat2, lon2, lat1, lon1), abs=1e-6)
    assert 0.0 <= d <= math.pi * 6371.0088 + 1e-6


def test_haversine_broadcasts_one_point_against_many() -> None:
    lat = np.array([52.52, 48.137, 50.938])
    lon = np.array([13.405, 11.575, 6.957])
    d = haversine_km(52.52, 13.405, lat, lon)
    assert d.shape == (3,)
    assert d[0] == 0.0
    assert d[1] == pytest.approx(504, abs=3)
