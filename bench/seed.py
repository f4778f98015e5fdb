"""A large programme for benchmarks, made fast, on PostgreSQL or SQLite.

Usage::

    python bench/seed.py --people 100000 --rounds 10            # into $DATABASE_URL
    python bench/seed.py --people 100000 --rounds 10 --postgres  # into a throwaway server

Importable by other benchmark scripts: :class:`Postgres` (a throwaway PostgreSQL
server), :func:`setup_django`, :func:`make_people`, :func:`make_history` and
:func:`seed_programme` (an organiser, a programme of N people and R published rounds).

The people are varied as a real programme's are: departments of very different sizes
(a few with fewer than five people, some people with none), levels, organisations,
places with coordinates, languages and interests; about 2 % have no e-mail and are
reached by post or by phone (with a postal address); a few are paused, a few have
left, a few never confirmed; everybody else takes part. The rounds are published
rounds of pairs and some groups of three, with scores and reasons as the engine gives
them, the odd person left out, people who joined later or left on the way, and about
half of the people answered "Did you meet?".

Rows are written with PostgreSQL's ``COPY`` (psycopg's ``cursor.copy``) and with
``bulk_create`` in large batches on other databases; ids are given by the seed, so no
row has to be read back. The last line of standard output is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ORGANISER = "organiser"
PASSWORD = "bench-password-9"


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


BIN = Path(sys.executable).parent


def bench_env(database_url: str, data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of the benchmarks' servers and workers: production settings on
    loopback (DEBUG off, kept database connections) with no rate limit in the way."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFFEEKLATSCH_DATA_DIR": str(data_dir),
        "SECRET_KEY": "bench-" + "k" * 50,
        "DEBUG": "",
        "ALLOWED_HOSTS": "127.0.0.1",
        "KAFFEEKLATSCH_BASE_URL": f"http://127.0.0.1:{port}",
        "KAFFEEKLATSCH_RATE_LIMIT_PER_HOUR": str(10**9),
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [str(BIN / "kaffeeklatsch"), "migrate", "--no-input"],
        env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def run_child(
    script: str, args: list[str], env: dict[str, str], echo: bool = False
) -> dict[str, Any]:
    """Runs ``script`` with ``args`` in a new process; returns the JSON object on the
    last line of its output (``echo``: its standard error is shown too)."""
    run = subprocess.run(
        [sys.executable, script, *args], env=env, capture_output=True, text=True, check=False
    )
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{run.stderr[-3000:]}")
    if echo:
        sys.stderr.write(run.stderr)
    return json.loads(run.stdout.strip().splitlines()[-1])


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaffeeklatsch.settings")
    import django

    django.setup()


# --- PostgreSQL ------------------------------------------------------------


class Postgres:
    """A throwaway PostgreSQL server in a temporary directory."""

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
        if not bins:
            raise SystemExit("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        self.bin = Path(bins[-1])
        self.dir = Path(tempfile.mkdtemp(prefix="kaffeeklatsch-bench-pg."))
        self.port = free_port()
        self.run_as: list[str] = []
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.run_as = ["runuser", "-u", "postgres", "--"]

    def start(self) -> str:
        quiet = {"stdout": subprocess.DEVNULL, "check": True}
        subprocess.run(
            [*self.run_as, str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust",
             "-U", "kaffeeklatsch", "-E", "UTF8", "--locale=C.UTF-8"],
            **quiet,
        )  # fmt: skip
        # Durable as in production: every commit is flushed to disk (PostgreSQL's
        # defaults for fsync and synchronous_commit).
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=300 -c shared_buffers=256MB"
        )
        subprocess.run(
            [*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l",
             str(self.dir / "log"), "-w", "-o", options, "start"],
            **quiet,
        )  # fmt: skip
        return f"postgres://kaffeeklatsch@127.0.0.1:{self.port}/postgres"

    def pid(self) -> int | None:
        """The server's main process."""
        try:
            return int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        subprocess.run(
            [*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m",
             "immediate", "stop"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)


# --- Writing rows ------------------------------------------------------------


def next_id(model: Any) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def insert(model: Any, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Writes ``rows`` (values of the fields ``names``, by attribute name, ``id``
    included) into ``model``'s table; every other field gets its default. Returns
    how many rows were written."""
    from django.core.management.color import no_style
    from django.db import connection, models

    fields = list(model._meta.concrete_fields)
    given = {name: i for i, name in enumerate(names)}
    unknown = set(names) - {f.attname for f in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
    if connection.vendor != "postgresql":
        written = 0
        batch: list[Any] = []
        for row in rows:
            batch.append(model(**dict(zip(names, row, strict=True))))
            if len(batch) == 20_000:
                model.objects.bulk_create(batch, batch_size=2000)
                written += len(batch)
                batch = []
        model.objects.bulk_create(batch, batch_size=2000)
        return written + len(batch)

    def as_text(field: Any) -> Any:
        # JSON goes as its text (the server parses it); the rest as psycopg adapts it.
        if isinstance(field, models.JSONField):
            return json.dumps
        return None

    plan = []  # (index in the row or None, converter, default)
    for field in fields:
        default = None if field.attname in given else field.get_default()
        convert = as_text(field)
        if field.attname not in given and convert is not None:
            default = convert(default)
        plan.append((given.get(field.attname), convert, default))
    quote = connection.ops.quote_name
    started = time.perf_counter()
    columns = ", ".join(quote(f.column) for f in fields)
    written = 0
    with connection.cursor() as cursor:
        statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        default
                        if at is None
                        else (row[at] if convert is None else convert(row[at]))
                        for at, convert, default in plan
                    ]
                )
                written += 1
        # Ids were given: the table's sequence goes on after the largest.
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)
    log(f"seed: {written} rows of {model.__name__} in {time.perf_counter() - started:.1f} s")
    return written


def analyze() -> None:
    """Statistics and visibility maps as a database in use has them (autovacuum gives
    them a minute or so after large changes); without them PostgreSQL plans joins as
    if the tables were empty."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# --- People ------------------------------------------------------------------

# Departments of very different sizes (weights), and three tiny ones that the
# figures must pool or hide.
DEPARTMENTS = [
    ("Pflege", 22), ("Verwaltung", 12), ("Kita", 10), ("Beratung", 8), ("Jugendhilfe", 8),
    ("IT", 5), ("Personal", 4), ("Finanzen", 4), ("Hauswirtschaft", 4), ("Küche", 3),
    ("Sozialdienst", 3), ("Eingliederungshilfe", 3), ("Schuldnerberatung", 2),
    ("Migrationsdienst", 2), ("Öffentlichkeitsarbeit", 1), ("Qualitätsmanagement", 1),
    ("Fundraising", 1), ("Haustechnik", 1), ("Seelsorge", 0.6), ("Ehrenamt", 0.5),
]  # fmt: skip
TINY_DEPARTMENTS = ["Datenschutz", "Stabsstelle Digitalisierung", "Revision"]
LEVELS = ["Auszubildende", "Mitarbeitende", "Fachkraft", "Teamleitung", "Bereichsleitung"]
LEVEL_WEIGHTS = [5, 50, 25, 12, 3]
ORGANISATIONS = [
    "Diakonie Nord", "Caritas Süd", "AWO Mitte", "DRK Ost", "Paritätischer West",
    "Lebenshilfe", "Johanniter", "Volkssolidarität",
]  # fmt: skip
PLACES = [
    ("Berlin", 52.520, 13.405), ("Hamburg", 53.551, 9.994), ("München", 48.137, 11.575),
    ("Köln", 50.938, 6.960), ("Frankfurt am Main", 50.110, 8.682), ("Stuttgart", 48.776, 9.183),
    ("Düsseldorf", 51.228, 6.773), ("Leipzig", 51.340, 12.375), ("Dortmund", 51.514, 7.466),
    ("Essen", 51.456, 7.012), ("Bremen", 53.079, 8.802), ("Dresden", 51.050, 13.738),
    ("Hannover", 52.376, 9.732), ("Nürnberg", 49.454, 11.077), ("Duisburg", 51.435, 6.763),
    ("Bochum", 51.481, 7.216), ("Wuppertal", 51.256, 7.151), ("Bielefeld", 52.030, 8.532),
    ("Bonn", 50.737, 7.098), ("Münster", 51.961, 7.626), ("Kassel", 51.313, 9.480),
    ("Freiburg im Breisgau", 47.999, 7.842), ("Rostock", 54.092, 12.099),
]  # fmt: skip
LANGUAGE_SETS = [
    (["de"], 40), (["de", "en"], 40), (["de", "tr"], 5), (["de", "ar"], 3),
    (["de", "ru"], 3), (["de", "en", "fr"], 4), (["en"], 3), (["de", "pl"], 2),
]  # fmt: skip
INTERESTS = [
    "Fotografie", "Podcasts", "Jazz", "Garten", "Fußball", "Kochen", "Lesen", "Wandern",
    "Radfahren", "Yoga", "Brettspiele", "Theater", "Kino", "Malen", "Stricken", "Chor",
    "Klettern", "Schwimmen", "Laufen", "Reisen", "Künstliche Intelligenz", "Digitalisierung",
    "Ehrenamt", "Nachhaltigkeit", "Imkerei", "Tanzen", "Geschichte", "Philosophie",
    "Hunde", "Katzen", "Backen", "Comics", "Programmieren", "Upcycling", "Sprachen lernen",
    "Meditation", "Oper", "Segeln", "Schach", "Politik",
]  # fmt: skip
FIRST = [
    "Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hannah", "Ilse", "Jonas",
    "Karin", "Lukas", "Mehmet", "Nina", "Oskar", "Paula", "Rania", "Sven", "Tanja", "Ursula",
    "Volker", "Wiebke", "Yusuf", "Zoe", "Gisela", "Heinz", "Olga", "Piotr", "Fatma", "Marie",
]  # fmt: skip
LAST = [
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Yılmaz",
    "Kaya", "Nowak", "Popov", "Haddad", "Öztürk", "Lehmann",
]  # fmt: skip


@dataclass(frozen=True)
class Mix:
    """Shares of the people who are not simply taking part by e-mail."""

    offline: float = 0.02  # no e-mail: reached by post or by phone
    paused: float = 0.01  # paused until after today
    skipping: float = 0.005  # skipping the next round
    left: float = 0.01  # left the programme (some time ago)
    pending: float = 0.005  # signed up, never confirmed
    late: float = 0.15  # joined after the first round
    # Everybody speaks German and English, meets either way and gives no place, so
    # that any grouping keeps the hard rules.
    uniform: bool = False


SIMPLE = Mix(offline=0, paused=0, skipping=0, left=0, pending=0, late=0, uniform=True)
"""Everybody active, by e-mail, from the start, and any grouping keeps the hard rules
(for rounds published from given groups, whose e-mails are counted)."""


def round_days(rounds: int, today: dt.date | None = None) -> list[dt.date]:
    """The days of ``rounds`` fortnightly rounds, the last one a week before today."""
    from django.utils import timezone

    today = today or timezone.localdate()
    last = today - dt.timedelta(days=7)
    return [last - dt.timedelta(days=14 * (rounds - 1 - r)) for r in range(rounds)]


def make_people(
    programme_id: int,
    count: int,
    prefix: str = "Person",
    *,
    mix: Mix = Mix(),  # noqa: B008 - frozen
    history_days: int = 140,
    seed: int = 7,
) -> list[int]:
    """``count`` people of a programme; returns their ids, in the order they were made.

    Joining dates spread over the ``history_days`` before the first round; the
    ``mix.late`` share joined during the rounds; people who left did so during them."""
    from django.utils import timezone

    from kaffeeklatsch.participants.models import Participant

    rng = random.Random(seed)
    now = timezone.now()
    first_round = now - dt.timedelta(days=history_days)
    departments = [d for d, _w in DEPARTMENTS]
    weights = [w for _d, w in DEPARTMENTS]
    languages = [langs for langs, _w in LANGUAGE_SETS]
    language_weights = [w for _l, w in LANGUAGE_SETS]
    start = next_id(Participant)
    names = [
        "id", "programme_id", "name", "email", "department", "organisation", "level",
        "languages", "place", "latitude", "longitude", "mode", "interests", "language",
        "reached_by", "phone", "postal_address", "shares", "named_in_channels", "status",
        "paused_until", "skip_next_round", "added_by_organiser", "created_at", "confirmed_at",
        "left_at",
    ]  # fmt: skip
    today = timezone.localdate()

    def rows() -> Iterable[tuple[Any, ...]]:
        for n in range(count):
            pk = start + n
            draw = rng.random()
            offline = draw < mix.offline
            roll = rng.random()
            status = Participant.Status.ACTIVE
            left_at = None
            paused_until = None
            skip = False
            if roll < mix.pending:
                status = Participant.Status.PENDING
            elif roll < mix.pending + mix.left:
                status = Participant.Status.LEFT
            elif roll < mix.pending + mix.left + mix.paused:
                paused_until = today + dt.timedelta(days=rng.randint(1, 60))
            elif roll < mix.pending + mix.left + mix.paused + mix.skipping:
                skip = True
            if rng.random() < mix.late:
                created = first_round + dt.timedelta(seconds=rng.uniform(0, history_days * 86400))
            else:
                created = first_round - dt.timedelta(seconds=rng.uniform(0, 180 * 86400))
            if status == Participant.Status.LEFT:
                left_at = created + (now - created) * rng.uniform(0.3, 0.9)
            if rng.random() < 0.01:
                department = rng.choice(TINY_DEPARTMENTS)
            elif rng.random() < 0.01:
                department = ""
            else:
                department = rng.choices(departments, weights)[0]
            place, lat, lon = rng.choice(PLACES)
            person_langs = rng.choices(languages, language_weights)[0]
            mode = rng.choices(["either", "in_person", "online"], [70, 15, 15])[0]
            if mix.uniform:
                person_langs, mode, place = ["de", "en"], "either", ""
            reached_by = Participant.ReachedBy.EMAIL
            shares = Participant.Shares.EMAIL
            phone = postal = ""
            email = f"{prefix.lower().replace(' ', '')}{pk}@example.org"
            if offline:
                email = ""
                reached_by = rng.choice([Participant.ReachedBy.POST, Participant.ReachedBy.PHONE])
                phone = f"0{rng.randint(30, 9999)} {rng.randint(100000, 9999999)}"
                street = f"{rng.choice(LAST)}straße {rng.randint(1, 120)}"
                postal = f"{street}\n{rng.randint(10000, 99999)} {place}"
                shares = rng.choice([Participant.Shares.PHONE, Participant.Shares.NAME])
            elif rng.random() < 0.1:
                phone = f"0{rng.randint(150, 179)} {rng.randint(1000000, 99999999)}"
                shares = rng.choice(list(Participant.Shares))
            yield (
                pk,
                programme_id,
                f"{rng.choice(FIRST)} {rng.choice(LAST)} {prefix} {n}",
                email,
                department,
                "" if rng.random() < 0.05 else rng.choice(ORGANISATIONS),
                rng.choices(LEVELS, LEVEL_WEIGHTS)[0],
                person_langs,
                place,
                round(lat + rng.uniform(-0.1, 0.1), 5) if place else None,
                round(lon + rng.uniform(-0.1, 0.1), 5) if place else None,
                mode,
                rng.sample(INTERESTS, rng.randint(1, 4)),
                "en" if person_langs == ["en"] or rng.random() < 0.08 else "de",
                reached_by,
                phone,
                postal,
                shares,
                rng.random() < 0.3,
                status,
                paused_until,
                skip,
                offline or rng.random() < 0.05,
                created,
                None if status == Participant.Status.PENDING else created,
                left_at,
            )

    insert(Participant, names, rows())
    return list(range(start, start + count))


# --- Rounds ------------------------------------------------------------------


def _reasons(members: Sequence[tuple[Any, ...]], online: bool) -> tuple[float, list[dict]]:
    """Score and reasons of a group as the engine gives them (see the README): each
    pair scores 1 + 3 × shared interests (up to 3) / 3 + 2 for different departments +
    1 for different levels + 1 for different organisations; the group's score is the
    sum over its pairs divided by its size minus one."""
    total = 0.0
    for i in range(len(members)):
        for j in range(i + 1, len(members)):
            a, b = members[i], members[j]
            shared = len(set(a[4]) & set(b[4]))
            total += 1 + 3 * min(shared, 3) / 3
            total += 2 * (a[1] != b[1]) + (a[2] != b[2]) + (a[3] != b[3])
    reasons: list[dict] = []
    common = set(members[0][4]).intersection(*(set(m[4]) for m in members[1:]))
    if common:
        reasons.append(
            {"code": "interests", "params": {"interests": sorted(common), "size": len(members)}}
        )
    for at, code in ((1, "departments"), (2, "levels"), (3, "organisations")):
        values = list(dict.fromkeys(m[at] for m in members if m[at]))
        if len(values) >= 2:
            reasons.append({"code": code, "params": {code: values}})
    spoken = set(members[0][5]).intersection(*(set(m[5]) for m in members[1:]))
    if spoken:
        language = "de" if "de" in spoken else sorted(spoken)[0]
        reasons.append({"code": "language", "params": {"language": language, "size": len(members)}})
    how = {"code": "online", "params": {}} if online else {"code": "in_person", "params": {"km": 4}}
    reasons.append(how)
    return round(total / (len(members) - 1), 6), reasons


def make_history(
    programme_id: int,
    rounds: int,
    *,
    answered: float = 0.5,
    threes: float = 0.05,
    seed: int = 5,
    today: dt.date | None = None,
) -> list[int]:
    """``rounds`` published rounds of the programme's people, fortnightly up to a week
    ago; returns the rounds' ids, oldest first.

    In each round everybody who had joined by its day and not left takes part, except
    about 3 % taking a break; they meet in pairs and about ``threes`` of them in
    groups of three, the odd one left out; about ``answered`` of the members answered
    "Did you meet?" (three in four: yes)."""
    from django.utils import timezone

    from kaffeeklatsch.participants.models import Participant
    from kaffeeklatsch.rounds.models import Feedback, Group, LeftOut, Round

    rng = random.Random(seed)
    people = list(
        Participant.objects.filter(programme=programme_id)
        .exclude(status=Participant.Status.PENDING)
        .order_by("pk")
        .values_list(
            "pk", "department", "level", "organisation", "interests", "languages",
            "confirmed_at", "left_at",
        )
    )  # fmt: skip
    days = round_days(rounds, today)
    round_start, group_id = next_id(Round), next_id(Group)
    member_id, feedback_id, left_out_id = (
        next_id(Group.members.through),
        next_id(Feedback),
        next_id(LeftOut),
    )
    zone = timezone.get_current_timezone()
    round_rows, group_rows, member_rows, feedback_rows, left_out_rows = [], [], [], [], []
    for r, day in enumerate(days):
        rid = round_start + r
        moment = dt.datetime.combine(day, dt.time(9), zone)
        present = [
            p
            for p in people
            if p[6] is not None
            and p[6] <= moment
            and (p[7] is None or p[7] > moment)
            and rng.random() >= 0.03
        ]
        rng.shuffle(present)
        groups: list[list[tuple[Any, ...]]] = []
        at = 0
        while len(present) - at >= 2:
            size = 3 if len(present) - at >= 3 and rng.random() < threes else 2
            groups.append(present[at : at + size])
            at += size
        score = 0.0
        for members in groups:
            online = rng.random() < 0.4
            group_score, reasons = _reasons(members, online)
            score += group_score
            start = dt.datetime.combine(day, dt.time(rng.choice([10, 12, 14, 16])), zone)
            group_rows.append(
                (group_id, rid, "online" if online else "in_person", group_score, reasons, start)
            )
            for member in members:
                member_rows.append((member_id, group_id, member[0]))
                member_id += 1
                if rng.random() < answered:
                    feedback_rows.append(
                        (feedback_id, group_id, member[0], rng.random() < 0.75, moment)
                    )
                    feedback_id += 1
            group_id += 1
        for person in present[at:]:
            left_out_rows.append(
                (left_out_id, rid, person[0], {"code": "no_partner_left", "params": {}})
            )
            left_out_id += 1
        # The engine's proven bound lies a few percent above its score.
        bound = round(score * rng.uniform(1.01, 1.05), 3)
        round_rows.append(
            (rid, programme_id, r + 1, Round.Status.PUBLISHED, day, moment, moment,
             round(score, 3), bound, False, round(rng.uniform(2, 6), 2))
        )  # fmt: skip
    insert(
        Round,
        ["id", "programme_id", "number", "status", "meet_from", "created_at", "published_at",
         "score", "bound", "exact", "seconds"],
        round_rows,
    )  # fmt: skip
    insert(Group, ["id", "round_id", "mode", "score", "reasons", "suggested_start"], group_rows)
    insert(Group.members.through, ["id", "group_id", "participant_id"], member_rows)
    insert(Feedback, ["id", "group_id", "participant_id", "met", "answered_at"], feedback_rows)
    insert(LeftOut, ["id", "round_id", "participant_id", "reason"], left_out_rows)
    return [row[0] for row in round_rows]


def _skip_foreign_key_triggers() -> None:
    """In this transaction, PostgreSQL checks no foreign key of the rows written (the
    seed gives consistent ids); checking them row by row at the commit takes longer
    than writing them. Only a superuser may, so elsewhere nothing changes."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")


def seed_programme(
    people: int,
    rounds: int,
    *,
    username: str = ORGANISER,
    password: str = PASSWORD,
    name: str = "Großer Verband",
    mix: Mix = Mix(),  # noqa: B008 - frozen
) -> dict[str, Any]:
    """An organiser (the programme's owner) and a programme of ``people`` people with
    ``rounds`` published rounds behind them; statistics gathered at the end."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from kaffeeklatsch.programmes.models import Organiser, Programme

    started = time.perf_counter()
    with transaction.atomic():
        _skip_foreign_key_triggers()
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_user(username, f"{username}@example.org", password)
        programme = Programme.objects.create(name=name, language="de")
        Organiser.objects.create(programme=programme, user=user, role=Organiser.Role.OWNER)
        ids = make_people(programme.pk, people, mix=mix)
        made_people = time.perf_counter()
        round_ids = make_history(programme.pk, rounds)
    made_rounds = time.perf_counter()
    analyze()
    done = time.perf_counter()
    return {
        "programme": programme.pk,
        "username": username,
        "people": len(ids),
        "rounds": round_ids,
        "seconds": {
            "people": round(made_people - started, 2),
            "rounds": round(made_rounds - made_people, 2),
            "analyze": round(done - made_rounds, 2),
            "total": round(done - started, 2),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="into a throwaway PostgreSQL server (stopped at the end), not $DATABASE_URL",
    )
    args = parser.parse_args()
    postgres = Postgres() if args.postgres else None
    data_dir = Path(tempfile.mkdtemp(prefix="kaffeeklatsch-seed."))
    try:
        if postgres is not None:
            os.environ["DATABASE_URL"] = postgres.start()
        os.environ.setdefault("KAFFEEKLATSCH_DATA_DIR", str(data_dir))
        setup_django()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        result = seed_programme(args.people, args.rounds)
        print(json.dumps(result | {"rounds": len(result["rounds"])}))
    finally:
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
