"""Load benchmark of the web application: people arriving at a fixed rate.

Usage::

    python bench/load.py           # steps of 20 s at 25, 50, 75, 100, 150 ... requests/s
    python bench/load.py --quick   # a smoke run: 25, 50 and 100 requests/s, 4 s each

Why open loop: people do not wait for each other. A fixed number of clients asking
again the moment they are answered (the flood this script used to be) lets the server
set the pace: when it slows down the clients ask less, and the queue in front of it
never shows. Here every request starts on a schedule drawn in advance (people arrive
as a Poisson process at a fixed rate), whatever the server answers, and every latency
runs from the scheduled start, so time spent waiting in a queue counts. The client is
one thread running asyncio over plain sockets (it shares the machine with the server);
a request it starts more than 10 ms after its time counts as a late start, so an
overloaded client shows in the result instead of flattering the server.

What it does, all on loopback:

1. starts a throwaway PostgreSQL server (durable, as ``scripts/postgres.sh`` does; or
   uses ``--database-url``), migrates it and seeds one organiser with a programme of
   1,000 people and three published rounds of pairs behind them (half of them
   answered), and a second programme, open for sign-ups, that newcomers join (so the
   pages the organisers open stay the same size from step to step);
2. starts gunicorn (``kaffeeklatsch.wsgi``) against it, as in production: by default
   two synchronous worker processes (one per core of the 2-core reference machine);
3. signs in, not timed, 20 people (the returning visitors' sessions) and the organiser
   three times (a password sign-in costs a deliberate few hundred milliseconds);
4. for each rate of the ladder (25, 50, 75, 100, 150, 200, 300, 400, 600, 800
   requests/s): first the baseline of the same run, the same harness at the same rate
   asking for the site's stylesheet (a static file through the same middleware, no
   template, no query), then the mix of people below. Each step runs ``--warmup``
   seconds (8; as long as the longest visit, so the measured part has every kind of
   request at its share) and then ``--seconds`` (20) measured; requests are measured
   by their scheduled start. Between steps the script waits until the server and the
   database are idle. A rate passes when every page's p99 is under 300 ms with no
   error; the ladder stops after the first rate that does not pass (25, 50 and 100
   are always measured). A step is given up when a request has waited more than
   ``--give-up`` seconds (10): the server is far behind, and the rest is not started.

The mix (who arrives, their share of arrivals, and the requests they make):

==========================  =====  ===================================================
who                         share  requests (page names in the result)
==========================  =====  ===================================================
answers "Did you meet?"     35 %   the e-mail link's page (``feedback_page``); 1-4 s
                                   later its one button (``feedback``)
opens their own page from   25 %   the sign-in link's page (``sign_in_page``); 1-4 s
an e-mail link                     later its button (``sign_in``, a redirect) and the
                                   own page it leads to (``participant_page``)
comes back to their page    20 %   the own page with their session (``participant_page``)
signs up                    10 %   the invitation link's form (``sign_up_form``); 3-8 s
                                   later the form sent (``sign_up``, a redirect) and
                                   the page it leads to (``sign_up_done``)
organiser                   10 %   the programme's dashboard (``organiser_dashboard``);
                                   2-6 s later the list of people (``organiser_people``)
==========================  =====  ===================================================

That is 2.15 requests an arrival; of the requests, 33 % are "Did you meet?" pages, 35 %
signing in with a link, 9 % returning visits, 14 % sign-ups and 9 % organisers' pages.
This is the peak the product sees: a large round's introductions (and, a week later,
its "Did you meet?" e-mails) arrive and people open their links. Sign-in links work
once, so each person gets a fresh one for every sign-in (tokens of the next
generations, made by the seed); "Did you meet?" answers may be given again.

Each phase is reported on standard error; the last line of standard output is one
JSON object:

- ``rates``: {rate: step} for every rate measured, where a step is ``pages`` ({page:
  {``p50_ms``, ``p99_ms``, ``errors``, ``n``}} over the measured part),
  ``all_pages`` (p50/p99 over every page), ``offered_per_second`` (requests scheduled
  in the measured part a second), ``answered_per_second``, ``errors`` (the whole step,
  warm-up included), ``not_started`` (requests not started because the step was given
  up), ``given_up``, ``late_starts`` and ``latest_start_ms`` (the client's own delay),
  ``passed`` and ``cpu_seconds`` (client, gunicorn, PostgreSQL);
- ``max_rate_p99_under_300ms``: the highest rate of the ladder up to which every step
  passed (0 if none did); ``ladder_top_reached`` when it is the ladder's last rate;
- ``target``: at 50 requests/s every page's p99 under 300 ms and no error, and ``met``;
- ``baseline``: the static file's ``page``, ``rates`` (the same figures),
  ``max_rate_p99_under_300ms`` and ``ladder_top_reached``;
- ``client_kept_schedule`` (no step had late starts in more than 1 % of its requests),
  ``mix``, ``people``, ``seconds_per_step``, ``warmup_seconds``, ``server`` and
  ``machine`` (see :func:`machine_speed`);
- with ``--sizes``: ``publish_seconds`` ({people: seconds}) and ``publish_detail``: in a
  separate process, a round of that many people (groups given) is published and its
  e-mails sent by ``--senders`` worker processes to a local SMTP sink (aiosmtpd); the
  time runs from ``publish_round`` until the sink has the last message.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed import (  # noqa: E402 - the benchmark's own helpers, next to it
    BIN,
    PASSWORD,
    ROOT,
    SIMPLE,
    Postgres,
    analyze,
    bench_env,
    free_port,
    log,
    make_history,
    make_people,
    migrate,
    run_child,
    setup_django,
)

STYLESHEET = "/static/kaffeeklatsch/style.css"
PEOPLE = 1000
REGULARS = 20  # people whose sessions the returning visitors use
ORGANISER_SESSIONS = 3
ANSWER_LINKS = 2000
LADDER = (25, 50, 75, 100, 150, 200, 300, 400, 600, 800)
QUICK_LADDER = (25, 50, 100)
REQUIRED = (25, 50, 100)  # always measured, whatever happened below them
TARGET_RATE = 50
P99_LIMIT_MS = 300.0
LATE_MS = 10.0
LATE_SHARE = 0.01


# --- The mix ----------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One kind of arrival: its share of arrivals, how many requests it makes and
    the ranges (seconds) of the pauses between them that are drawn in advance."""

    share: float
    requests: int
    pauses: tuple[tuple[float, float], ...] = ()


MIX: dict[str, Visit] = {
    "answer": Visit(0.35, 2, ((1.0, 4.0),)),
    "sign_in": Visit(0.25, 3, ((1.0, 4.0),)),
    "return": Visit(0.20, 1),
    "sign_up": Visit(0.10, 3, ((3.0, 8.0),)),
    "organiser": Visit(0.10, 2, ((2.0, 6.0),)),
}
STATIC: dict[str, Visit] = {"static": Visit(1.0, 1)}


@dataclass(frozen=True)
class Arrival:
    at: float  # seconds after the step's start
    kind: str
    pauses: tuple[float, ...]


def plan(rate: float, seconds: float, mix: dict[str, Visit], seed: int) -> list[Arrival]:
    """Arrivals for ``seconds`` at ``rate`` requests a second: a Poisson process of
    visits taken given its number (as many visits as make ``rate`` on average, at
    times drawn uniformly, which is how a Poisson process places a given number of
    arrivals), the kinds in their exact shares in a random order. So a step asks
    for the rate it is named after, in bursts as people come."""
    rng = random.Random(seed)
    total = sum(v.share for v in mix.values())
    per_visit = sum(v.share * v.requests for v in mix.values()) / total
    visits = round(rate * seconds / per_visit)
    exact = {kind: visits * v.share / total for kind, v in mix.items()}
    counts = {kind: math.floor(n) for kind, n in exact.items()}
    by_remainder = sorted(mix, key=lambda kind: counts[kind] - exact[kind])
    for kind in by_remainder[: visits - sum(counts.values())]:
        counts[kind] += 1
    kinds = [kind for kind, n in counts.items() for _ in range(n)]
    rng.shuffle(kinds)
    times = sorted(rng.uniform(0, seconds) for _ in kinds)
    return [
        Arrival(at, kind, tuple(rng.uniform(low, high) for low, high in mix[kind].pauses))
        for at, kind in zip(times, kinds, strict=True)
    ]


def planned_requests(arrivals: Iterable[Arrival], mix: dict[str, Visit]) -> int:
    return sum(mix[a.kind].requests for a in arrivals)


# --- HTTP over plain sockets --------------------------------------------------


async def fetch(
    port: int,
    method: str,
    path: str,
    cookies: dict[str, str],
    form: dict[str, str] | None = None,
) -> tuple[int, dict[str, str]]:
    """One request on a new connection (gunicorn's synchronous workers close every
    connection after its answer, as a browser arriving from an e-mail opens one);
    returns the status and the cookies set. An answer shorter than its
    ``Content-Length`` is an error."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Accept-Language: de"]
    lines.append("Connection: close")
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    body = b""
    if form is not None:
        form = {**form, "csrfmiddlewaretoken": cookies.get("csrftoken", "")}
        body = urlencode(form).encode()
        lines.append("Content-Type: application/x-www-form-urlencoded")
        lines.append(f"Referer: http://127.0.0.1:{port}{path}")
        lines.append(f"Content-Length: {len(body)}")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        answer = await reader.read()
    finally:
        writer.close()
    head, _, content = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(status_line.split(" ", 2)[1])
    except (IndexError, ValueError):
        raise ConnectionError("not an HTTP answer") from None
    set_cookies: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "content-length" and (not value.isdigit() or int(value) != len(content)):
            raise ConnectionError("the answer ended early")
        if name == "set-cookie":
            key, _, rest = value.partition("=")
            set_cookies[key] = rest.split(";", 1)[0]
    return status, set_cookies


# --- One step: arrivals at one rate -----------------------------------------


class Failed(Exception):
    """A request of a visit failed (or the step was given up): the visit ends."""


@dataclass
class Record:
    page: str
    scheduled: float  # seconds after the step's start
    ms: float
    ok: bool
    late_ms: float


@dataclass
class Step:
    """What happened in one step; ``start`` is on the event loop's clock."""

    start: float
    warmup: float
    seconds: float
    planned: int
    timeout: float
    records: list[Record] = field(default_factory=list)
    in_flight: dict[int, float] = field(default_factory=dict)
    started: int = 0
    given_up: bool = False
    examples: list[str] = field(default_factory=list)

    async def watch(self, give_up: float) -> None:
        """Gives the step up once a request has waited ``give_up`` seconds."""
        loop = asyncio.get_running_loop()
        while not self.given_up:
            await asyncio.sleep(0.25)
            if self.in_flight and loop.time() - min(self.in_flight.values()) > give_up:
                self.given_up = True

    def summary(self) -> dict[str, Any]:
        low, high = self.warmup, self.warmup + self.seconds
        measured = [r for r in self.records if low <= r.scheduled < high]
        pages: dict[str, list[Record]] = {}
        for record in measured:
            pages.setdefault(record.page, []).append(record)
        errors = sum(not r.ok for r in self.records)
        late = [r.late_ms for r in self.records if r.late_ms > LATE_MS]
        by_page = {page: _figures(rows) for page, rows in sorted(pages.items())}
        passed = (
            bool(measured)
            and not self.given_up
            and errors == 0
            and all(f["p99_ms"] < P99_LIMIT_MS for f in by_page.values())
        )
        return {
            "pages": by_page,
            "all_pages": _figures(measured),
            "offered_per_second": round(len(measured) / self.seconds, 1),
            "answered_per_second": round(sum(r.ok for r in measured) / self.seconds, 1),
            "requests": len(self.records),
            "errors": errors,
            "not_started": self.planned - self.started,
            "given_up": self.given_up,
            "late_starts": len(late),
            "latest_start_ms": round(max(late, default=0.0), 1),
            "passed": passed,
        }


def _figures(records: list[Record]) -> dict[str, Any]:
    times = [r.ms for r in records]
    return {
        "p50_ms": percentile(times, 0.5),
        "p99_ms": percentile(times, 0.99),
        "errors": sum(not r.ok for r in records),
        "n": len(records),
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return round(ordered[index], 1)


class Person:
    """One arrival: its cookies and the times of its requests."""

    def __init__(self, step: Step, port: int, arrival: Arrival) -> None:
        self.step = step
        self.port = port
        self.cookies: dict[str, str] = {}
        self.scheduled = arrival.at
        self.done: float | None = None  # seconds after the step's start
        self.asked = 0  # requests started

    async def request(
        self,
        page: str,
        method: str,
        path: str,
        expect: int,
        pause: float | None = 0.0,
        form: dict[str, str] | None = None,
    ) -> None:
        """Asks at the scheduled time: ``pause`` seconds after the previous request's
        scheduled start (the first at the arrival), or, with ``None``, as soon as the
        previous answer came (a redirect the browser follows). If the previous answer
        comes later, the request waits for it, and the wait counts in its time."""
        step = self.step
        if step.given_up:
            raise Failed
        loop = asyncio.get_running_loop()
        if pause is None:
            assert self.done is not None
            self.scheduled = self.done
        else:
            self.scheduled += pause
        wait = step.start + self.scheduled - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        if step.given_up:
            raise Failed
        now = loop.time() - step.start
        late_ms = (now - max(self.scheduled, self.done or 0.0)) * 1000
        key = step.started
        step.started += 1
        self.asked += 1
        step.in_flight[key] = step.start + self.scheduled
        status: int | str = "no answer"
        try:
            status, cookies = await asyncio.wait_for(
                fetch(self.port, method, path, self.cookies, form), step.timeout
            )
            self.cookies.update(cookies)
        except OSError as exc:  # TimeoutError and ConnectionError too
            status = type(exc).__name__
        except asyncio.CancelledError:
            status = "given up"
            raise
        finally:
            del step.in_flight[key]
            self.done = loop.time() - step.start
            ok = status == expect
            step.records.append(
                Record(page, self.scheduled, (self.done - self.scheduled) * 1000, ok, late_ms)
            )
            if not ok and len(step.examples) < 5:
                # Pages by name only: their paths hold tokens.
                step.examples.append(f"{page}: {status} (expected {expect})")
        if not ok:
            raise Failed


class SignInLinks:
    """Sign-in links work once: every person has the links of their next
    generations, and a link is given out only after the one before it was used.
    A person whose link may or may not have been used (no clear answer) is not
    asked again."""

    def __init__(self, links: list[list[str]]) -> None:
        self.links = links
        self.used = [0] * len(links)
        self.busy: set[int] = set()
        self.retired: set[int] = set()
        self.cursor = 0

    def take(self) -> tuple[int, str] | None:
        for _ in range(len(self.links)):
            person = self.cursor
            self.cursor = (self.cursor + 1) % len(self.links)
            free = person not in self.busy and person not in self.retired
            if free and self.used[person] < len(self.links[person]):
                self.busy.add(person)
                return person, self.links[person][self.used[person]]
        return None

    def give_back(self, person: int, used: bool | None) -> None:
        """``used``: the link was used (True), not (False), or nobody knows (None)."""
        self.busy.discard(person)
        if used is None:
            self.retired.add(person)
        elif used:
            self.used[person] += 1


@dataclass
class World:
    """What the seed made and what the visits share."""

    port: int
    programme: int
    invite: str
    answers: list[str]
    links: SignInLinks
    regulars: list[dict[str, str]] = field(default_factory=list)
    organisers: list[dict[str, str]] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(17))
    signups: int = 0


async def answer(person: Person, world: World, arrival: Arrival) -> None:
    path = world.rng.choice(world.answers)
    await person.request("feedback_page", "GET", path, 200)
    await person.request("feedback", "POST", path, 200, arrival.pauses[0], {})


async def sign_in(person: Person, world: World, arrival: Arrival) -> None:
    taken = world.links.take()
    if taken is None:
        raise SystemExit("the seed made too few sign-in links")
    who, token = taken
    path = f"/sign-in/{token}/"
    used: bool | None = False
    try:
        await person.request("sign_in_page", "GET", path, 200)
        asked = person.asked
        try:
            await person.request("sign_in", "POST", path, 302, arrival.pauses[0], {})
        except BaseException:
            # Sent but not answered as expected (or given up): it may have been used.
            used = None if person.asked > asked else False
            raise
        used = True
    finally:
        world.links.give_back(who, used)
    await person.request("participant_page", "GET", "/me/", 200, None)


async def come_back(person: Person, world: World, arrival: Arrival) -> None:
    person.cookies = dict(world.rng.choice(world.regulars))
    await person.request("participant_page", "GET", "/me/", 200)


async def sign_up(person: Person, world: World, arrival: Arrival) -> None:
    path = f"/join/{world.invite}/"
    await person.request("sign_up_form", "GET", path, 200)
    world.signups += 1
    form = {
        "name": f"Neu {world.signups}",
        "email": f"neu{world.signups}-{os.getpid()}@example.org",
        "department": "Pflege",
        "level": "staff",
        "languages_text": "Deutsch",
        "mode": "either",
        "language": "de",
        "shares": "email",
        "consent": "on",
    }
    await person.request("sign_up", "POST", path, 302, arrival.pauses[0], form)
    await person.request("sign_up_done", "GET", f"{path}thanks/", 200, None)


async def organiser(person: Person, world: World, arrival: Arrival) -> None:
    person.cookies = dict(world.rng.choice(world.organisers))
    programme = f"/programmes/{world.programme}/"
    await person.request("organiser_dashboard", "GET", programme, 200)
    await person.request("organiser_people", "GET", f"{programme}people/", 200, arrival.pauses[0])


async def static_file(person: Person, world: World, arrival: Arrival) -> None:
    await person.request("static_file", "GET", STYLESHEET, 200)


VISITS: dict[str, Callable[[Person, World, Arrival], Awaitable[None]]] = {
    "answer": answer,
    "sign_in": sign_in,
    "return": come_back,
    "sign_up": sign_up,
    "organiser": organiser,
    "static": static_file,
}


async def run_step(
    world: World,
    arrivals: list[Arrival],
    mix: dict[str, Visit],
    warmup: float,
    seconds: float,
    give_up: float = 10.0,
    timeout: float = 30.0,
) -> Step:
    """Starts every arrival at its time (a late start is recorded, never skipped)
    and waits for every visit to end."""
    loop = asyncio.get_running_loop()
    step = Step(
        start=loop.time() + 0.1,
        warmup=warmup,
        seconds=seconds,
        planned=planned_requests(arrivals, mix),
        timeout=timeout,
    )
    watcher = asyncio.create_task(step.watch(give_up))

    async def visit(arrival: Arrival) -> None:
        try:
            await VISITS[arrival.kind](Person(step, world.port, arrival), world, arrival)
        except Failed:
            pass

    tasks: set[asyncio.Task[None]] = set()
    for arrival in arrivals:
        wait = step.start + arrival.at - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        if step.given_up:
            break
        task = asyncio.create_task(visit(arrival))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    while tasks and not step.given_up:
        await asyncio.wait(set(tasks), timeout=0.25)
    for task in tasks:
        # Given up: what is still waiting counts as an error, and is not waited for.
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    watcher.cancel()
    return step


async def sign_in_regulars(world: World, links: list[str], organisers: int) -> None:
    """The returning visitors' sessions (each signed in once with their link) and
    the organiser's (with the password), made before any step and not timed."""
    for token in links:
        cookies: dict[str, str] = {}
        path = f"/sign-in/{token}/"
        _, got = await fetch(world.port, "GET", path, cookies)
        cookies.update(got)
        status, got = await fetch(world.port, "POST", path, cookies, {})
        cookies.update(got)
        if status != 302:
            raise SystemExit(f"signing in a returning visitor answered {status}")
        world.regulars.append(cookies)
    for _ in range(organisers):
        cookies = {}
        _, got = await fetch(world.port, "GET", "/accounts/login/", cookies)
        cookies.update(got)
        form = {"username": "bench", "password": PASSWORD}
        status, got = await fetch(world.port, "POST", "/accounts/login/", cookies, form)
        cookies.update(got)
        if status != 302:
            raise SystemExit(f"the organiser's sign-in answered {status}")
        world.organisers.append(cookies)


# --- The seed (in its own process) -------------------------------------------


def seed(spec: dict[str, int]) -> dict[str, Any]:
    """An organiser, a programme of ``people`` people with three published rounds
    behind them, a second programme for sign-ups, sign-in links of ``generations``
    generations for every person but the regulars, the regulars' links and
    "Did you meet?" links of the last round."""
    setup_django()
    # Imported once Django is set up in this process (the parent never imports it).
    from django.contrib.auth import get_user_model

    from kaffeeklatsch.participants.models import Participant
    from kaffeeklatsch.participants.tokens import feedback_path, sign_in_token
    from kaffeeklatsch.programmes.models import Organiser, Programme
    from kaffeeklatsch.rounds.models import Group

    user = get_user_model().objects.create_user("bench", "bench@example.org", PASSWORD)
    programme = Programme.objects.create(name="Last", language="de")
    Organiser.objects.create(programme=programme, user=user, role=Organiser.Role.OWNER)
    newcomers = Programme.objects.create(name="Anmeldung", language="de")
    Organiser.objects.create(programme=newcomers, user=user, role=Organiser.Role.OWNER)
    ids = make_people(programme.pk, spec["people"], "Seed", mix=SIMPLE)
    rounds = make_history(programme.pk, rounds=3)
    analyze()
    people = list(Participant.objects.filter(pk__in=ids).order_by("pk"))
    regulars, linked = people[: spec["regulars"]], people[spec["regulars"] :]
    links = []
    for person in linked:
        first = person.link_generation
        tokens = []
        for generation in range(first, first + spec["generations"]):
            person.link_generation = generation
            tokens.append(sign_in_token(person))
        links.append(tokens)
    rng = random.Random(3)
    members = Group.members.through.objects.filter(group__round_id=rounds[-1]).order_by("pk")
    answers = [
        feedback_path(group, member, rng.random() < 0.75)
        for group, member in members.values_list("group_id", "participant_id")[: spec["answers"]]
    ]
    return {
        "programme": programme.pk,
        "invite": newcomers.invite_token,
        "links": links,
        "regulars": [sign_in_token(p) for p in regulars],
        "answers": answers,
    }


# --- Publishing and sending a round (``--sizes``) ----------------------------


def publish(people: int) -> dict[str, float]:
    """Stores a round of ``people`` (groups given) with its outbox; returns the time."""
    setup_django()
    # Imported once Django is set up in this process (the parent never imports it).
    from django.db import connection
    from django.utils import timezone

    from kaffeeklatsch.programmes.models import Programme
    from kaffeeklatsch.rounds.models import Group, Round
    from kaffeeklatsch.rounds.publish import publish_round

    programme = Programme.objects.create(name=f"Runde {people}", language="de")
    members = make_people(programme.pk, people, f"P{people}", mix=SIMPLE)
    rnd = Round.objects.create(programme=programme, number=1, meet_from=timezone.localdate())
    sizes = [3 if i < people % 2 else 2 for i in range(people // 2)]
    groups = Group.objects.bulk_create(
        [Group(round=rnd, mode="either", score=1.0, reasons=[]) for _ in sizes], batch_size=5000
    )
    through, at = [], 0
    for group, size in zip(groups, sizes, strict=True):
        for person in members[at : at + size]:
            through.append(Group.members.through(group_id=group.pk, participant_id=person))
        at += size
    Group.members.through.objects.bulk_create(through, batch_size=5000)
    connection.close()
    started = time.perf_counter()
    publish_round(rnd)
    return {"store_seconds": round(time.perf_counter() - started, 2)}


def send(smtp_port: int) -> dict[str, int]:
    """What ``kaffeeklatsch worker`` does with the outbox, until it is empty."""
    setup_django()
    # Imported once Django is set up in this process (the parent never imports it).
    from django.conf import settings

    from kaffeeklatsch.notifications.transport import send_due

    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_port
    tried = 0
    while done := send_due(limit=10**9):
        tried += done
    return {"tried": tried}


def publish_and_send(size: int, senders: int, env: dict[str, str]) -> dict[str, Any]:
    sink = Sink()
    sink.controller.start()
    try:
        stored = child(["--_publish", str(size)], env)["store_seconds"]
        started = time.perf_counter()
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, "--_send", str(sink.controller.port)],
                env=env,
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
            for _ in range(senders)
        ]
        if any(p.wait() != 0 for p in procs):
            raise SystemExit("a sending process failed")
        sent = time.perf_counter() - started
    finally:
        sink.controller.stop()
    if sink.count < size:
        raise SystemExit(f"the sink received {sink.count} of {size} e-mails")
    return {
        "people": size,
        "store_seconds": stored,
        "send_seconds": round(sent, 2),
        "seconds": round(stored + sent, 2),
        "senders": senders,
        "received": sink.count,
    }


class Sink:
    """An SMTP server that counts what it receives."""

    def __init__(self) -> None:
        # Imported only when rounds are published (a test dependency, not the product's).
        from aiosmtpd.controller import Controller

        self.count = 0
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
        return "250 OK"


# --- CPU used ----------------------------------------------------------------


def _cpu_of_trees(roots: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) of every process in the trees under ``roots``,
    with the CPU of their children that have ended and been waited for (PostgreSQL
    replaces a backend whose connection reached CONN_MAX_AGE) (Linux /proc; empty
    elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    table: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        table[int(entry.name)] = (int(fields[1]), used / ticks)
    result = {}
    for pid, (_parent, cpu) in table.items():
        walk = pid
        while walk in table and walk not in roots and walk > 1:
            walk = table[walk][0]
        if walk in roots:
            result[pid] = cpu
    return result


def _cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    return round(sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items()), 1)


class CpuMeter:
    """CPU used by this process, gunicorn and PostgreSQL since the last ``read``."""

    def __init__(self, server: int, database: list[int]) -> None:
        self.server, self.database = [server], database
        self.mark()

    def mark(self) -> None:
        self.client = time.process_time()
        self.gunicorn = _cpu_of_trees(self.server)
        self.postgresql = _cpu_of_trees(self.database)

    def read(self) -> dict[str, float]:
        used = {
            "client": round(time.process_time() - self.client, 1),
            "gunicorn": _cpu_used(self.gunicorn, _cpu_of_trees(self.server)),
            "postgresql": _cpu_used(self.postgresql, _cpu_of_trees(self.database)),
        }
        self.mark()
        return used

    def settle(self, limit: float = 60.0) -> None:
        """Waits until the server and the database are idle (a given-up step leaves
        requests queued in front of gunicorn), at most ``limit`` seconds."""
        deadline = time.monotonic() + limit
        self.mark()
        while time.monotonic() < deadline:
            time.sleep(1.0)
            used = self.read()
            if used["gunicorn"] + used["postgresql"] < 0.2:
                return


# --- The machine ------------------------------------------------------------

_SPIN = """
import time
started = time.process_time()
table = {}
for i in range(2_000_000):
    table[i % 1000] = str(i)
print(time.process_time() - started)
"""


def machine_speed() -> dict[str, float]:
    """CPU seconds a fixed piece of pure Python takes in one process alone and in
    each of two processes at once. Where the two figures differ much, the machine's
    two CPUs share one core (or their host is busy): two busy processes each run
    slower, and so does a server whose workers, database and clients all run."""

    def spin(count: int) -> list[float]:
        procs = [
            subprocess.Popen([sys.executable, "-c", _SPIN], stdout=subprocess.PIPE, text=True)
            for _ in range(count)
        ]
        return [float(proc.communicate()[0]) for proc in procs]

    one = spin(1)[0]
    two = max(spin(2))
    return {
        "one_process_seconds": round(one, 2),
        "two_processes_seconds": round(two, 2),
        "slowdown_with_two": round(two / one, 2),
    }


# --- Main -------------------------------------------------------------------


def child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    return run_child(__file__, args, env)


@dataclass
class Ladder:
    """Steps up the rates of one mix; stops after the first rate that does not pass
    (the required rates are measured whatever happened)."""

    name: str
    mix: dict[str, Visit]
    warmup: float
    results: dict[int, dict[str, Any]] = field(default_factory=dict)
    all_passed: bool = True
    max_rate: int = 0

    def wants(self, rate: int) -> bool:
        return self.all_passed or rate in REQUIRED

    def record(self, rate: int, summary: dict[str, Any]) -> None:
        self.results[rate] = summary
        if self.all_passed and summary["passed"]:
            self.max_rate = rate
        else:
            self.all_passed = False

    def report(self, top: int) -> dict[str, Any]:
        return {
            "rates": {str(rate): result for rate, result in self.results.items()},
            "max_rate_p99_under_300ms": self.max_rate,
            # Passed up to the last rate asked for: the real limit lies higher.
            "ladder_top_reached": self.max_rate == top,
        }


def measure(
    world: World,
    ladder: Ladder,
    rate: int,
    seconds: float,
    give_up: float,
    meter: CpuMeter,
) -> None:
    meter.settle()
    arrivals = plan(rate, ladder.warmup + seconds, ladder.mix, seed=rate)
    step = asyncio.run(run_step(world, arrivals, ladder.mix, ladder.warmup, seconds, give_up))
    summary = step.summary() | {"cpu_seconds": meter.read()}
    ladder.record(rate, summary)
    figures = summary["all_pages"]
    log(
        f"bench: {ladder.name} at {rate}/s: p50 {figures['p50_ms']} ms, p99 "
        f"{figures['p99_ms']} ms, {summary['errors']} errors, {summary['late_starts']} late"
        f" starts{', given up' if summary['given_up'] else ''}"
        f" -> {'passed' if summary['passed'] else 'not passed'}"
    )
    if step.examples:
        log("bench: errors, e.g. " + "; ".join(step.examples))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 25, 50, 100, 4 s each")
    parser.add_argument("--database-url", help="an empty PostgreSQL database to use instead")
    parser.add_argument(
        "--rates", help="requests a second, comma-separated (default 25,50,75,100,150,...,800)"
    )
    parser.add_argument("--seconds", type=float, help="measured seconds a step (20; quick 4)")
    parser.add_argument(
        "--warmup", type=float, default=8.0, help="seconds a step runs before it is measured"
    )
    parser.add_argument(
        "--give-up", type=float, default=10.0, help="give a step up when a request waits so long"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn worker processes (default 2)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per gunicorn worker (default 1)"
    )
    parser.add_argument(
        "--worker-class", default="sync", help="gunicorn worker class (default sync; gthread)"
    )
    parser.add_argument(
        "--sizes", default="", help="round sizes to publish and send, comma-separated (none)"
    )
    parser.add_argument(
        "--senders", type=int, default=2, help="worker processes sending the outbox (default 2)"
    )
    parser.add_argument("--_seed", help=argparse.SUPPRESS)
    parser.add_argument("--_publish", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--_send", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args._seed is not None:
        print(json.dumps(seed(json.loads(args._seed))))
        return 0
    if args._publish is not None:
        print(json.dumps(publish(args._publish)))
        return 0
    if args._send is not None:
        print(json.dumps(send(args._send)))
        return 0

    rates = QUICK_LADDER if args.quick else LADDER
    if args.rates:
        rates = tuple(sorted({int(x) for x in args.rates.split(",") if x.strip()}))
    seconds = args.seconds or (4.0 if args.quick else 20.0)
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    pages = Ladder("pages", MIX, args.warmup)
    baseline = Ladder("static file", STATIC, 1.0)
    # Enough sign-in links for every step the ladder may run.
    sign_ins = sum(
        a.kind == "sign_in" for rate in rates for a in plan(rate, args.warmup + seconds, MIX, rate)
    )
    generations = math.ceil(sign_ins / (PEOPLE - REGULARS)) + 1

    machine = machine_speed()
    log(f"bench: machine {machine}")
    postgres = None if args.database_url else Postgres()
    data_dir = Path(tempfile.mkdtemp(prefix="kaffeeklatsch-bench."))
    server = None
    try:
        url = args.database_url or postgres.start()  # type: ignore[union-attr]
        port = free_port()
        env = bench_env(url, data_dir, port)
        log("bench: migrating")
        migrate(env)
        spec = {
            "people": PEOPLE,
            "regulars": REGULARS,
            "generations": generations,
            "answers": ANSWER_LINKS,
        }
        log(f"bench: seeding {PEOPLE} people, {generations} sign-in links each")
        info = child(["--_seed", json.dumps(spec)], env)
        server_options = {
            "worker_class": args.worker_class,
            "workers": args.workers,
            "threads": args.threads,
        }
        log(f"bench: gunicorn {server_options} on 127.0.0.1:{port}")
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "kaffeeklatsch.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--worker-class", args.worker_class,
             "--threads", str(args.threads), "--log-level", "warning"],
            env=env, cwd=ROOT,
        )  # fmt: skip
        _wait_for(port)
        world = World(
            port=port,
            programme=info["programme"],
            invite=info["invite"],
            answers=info["answers"],
            links=SignInLinks(info["links"]),
        )
        asyncio.run(sign_in_regulars(world, info["regulars"], ORGANISER_SESSIONS))
        meter = CpuMeter(server.pid, [pid] if postgres and (pid := postgres.pid()) else [])
        for rate in rates:
            if baseline.wants(rate):
                measure(world, baseline, rate, seconds, args.give_up, meter)
            if pages.wants(rate):
                measure(world, pages, rate, seconds, args.give_up, meter)
        server.terminate()
        server.wait(30)
        server = None

        publish_seconds: dict[str, float] = {}
        detail = {}
        for size in sizes:
            log(f"bench: publishing a round of {size} people")
            result = publish_and_send(size, args.senders, env)
            publish_seconds[str(size)] = result["seconds"]
            detail[str(size)] = result
            log(f"bench: {result}")

        at_target = pages.results.get(TARGET_RATE)
        steps = [*pages.results.values(), *baseline.results.values()]
        report = {
            **pages.report(rates[-1]),
            "target": {
                "rate": TARGET_RATE,
                "p99_ms": P99_LIMIT_MS,
                "errors": 0,
                "met": bool(at_target and at_target["passed"]),
            },
            "baseline": {"page": STYLESHEET, **baseline.report(rates[-1])},
            "client_kept_schedule": all(
                s["late_starts"] <= LATE_SHARE * max(1, s["requests"]) for s in steps
            ),
            "mix": {kind: visit.share for kind, visit in MIX.items()},
            "people": PEOPLE,
            "seconds_per_step": seconds,
            "warmup_seconds": args.warmup,
            "server": server_options,
            "machine": machine,
        }
        if sizes:
            report |= {"publish_seconds": publish_seconds, "publish_detail": detail}
        print(json.dumps(report))
        return 0
    finally:
        if server is not None:
            server.kill()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _wait_for(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            if conn.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


if __name__ == "__main__":
    sys.exit(main())
