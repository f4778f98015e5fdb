"""Rounds of 1,000 to 1,000,000 people through the product, as an organiser runs them.

Usage::

    python bench/rounds.py           # 1,000, 10,000, 100,000 and 1,000,000 people
    python bench/rounds.py --quick   # 1,000, 10,000 and 100,000 (under five minutes)
    python bench/rounds.py --sizes 1000,5000
    python bench/rounds.py --sizes 1000000 --database-url postgres://…/copy

For each size, on loopback: a throwaway PostgreSQL (as ``bench/load.py`` starts it,
durable as in production), gunicorn as in production, and one ``kaffeeklatsch worker``
process. A programme of N active people is seeded (varied departments, levels,
organisations, languages, interests), then:

1. ``engine_seconds``: in a separate process, the engine alone (``match_round``) on
   the same people with the same rules, read as the product reads them, with the
   vectors of their interests kept in the database as the product keeps them
   (``embed_seconds``: computing them before, once): the baseline of the run;
2. ``preview_seconds``: the organiser presses "Preview the next round" on the round
   list; from the press until the task page's status says the stored preview is
   done (the worker reads the people, runs the engine, stores the groups);
3. ``round_page_ms`` and ``round_page_bytes``: the first screen of the preview's page
   (median of five requests), ``search_ms`` a search for a person's name on it,
   ``move_ms`` moving a person into another person's group (the move is checked
   against the rules, scored and explained again);
4. ``publish_seconds``: from the press of "Publish" until the round with its outbox
   is committed;
5. ``peak_memory_mb``: the worker's largest resident memory (its own and that of any
   processes it starts), sampled every 0.1 s.

The last line of standard output is one JSON object: ``sizes`` ({people: figures},
with ``preview_vs_engine`` = preview_seconds / engine_seconds) and ``machine``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import _wait_for, machine_speed  # noqa: E402 - the bench's own helpers
from seed import (  # noqa: E402
    BIN,
    ROOT,
    Postgres,
    bench_env,
    free_port,
    log,
    migrate,
    run_child,
    setup_django,
)

PASSWORD = "bench-password-9"


def seed(people: int) -> dict[str, Any]:
    """An organiser with a programme of ``people`` active people; with a database of
    ``--database-url`` that holds one already (and no round of it yet), that one."""
    import random

    setup_django()
    from django.contrib.auth import get_user_model

    from kaffeeklatsch.participants.models import Participant
    from kaffeeklatsch.programmes.models import Organiser, Programme

    found = Programme.objects.filter(
        organisers__username=f"bench{people}", rounds__isnull=True
    ).first()
    if found is not None:
        return {"programme": found.pk, "user": f"bench{people}"}
    user = get_user_model().objects.create_user(f"bench{people}", "b@example.org", PASSWORD)
    programme = Programme.objects.create(name=f"Runde {people}", language="de")
    Organiser.objects.create(programme=programme, user=user, role=Organiser.Role.OWNER)
    rng = random.Random(people)
    departments = [f"Abteilung {n}" for n in range(40)]
    organisations = [f"Träger {n}" for n in range(12)]
    interests = ["Jazz", "Garten", "Fußball", "Kochen", "Lesen", "Wandern", "Schach", "Kino"]
    batch = []
    for n in range(people):
        batch.append(
            Participant(
                programme=programme,
                name=f"Person {n} {rng.choice(['Meyer', 'Schulz', 'Yılmaz', 'Nowak'])}",
                email=f"p{n}@example.org",
                department=rng.choice(departments),
                organisation=rng.choice(organisations),
                level=rng.choice(["trainee", "staff", "team lead", "head"]),
                languages=rng.choice([["de"], ["de", "en"], ["en"], ["de", "tr"]]),
                language=rng.choice(["de", "en"]),
                interests=rng.sample(interests, 2),
                status=Participant.Status.ACTIVE,
            )
        )
        if len(batch) == 10_000:
            Participant.objects.bulk_create(batch)
            batch = []
    Participant.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"programme": programme.pk, "user": user.username}


def engine(programme_id: int) -> dict[str, Any]:
    """The engine alone on the programme's people, read as the product reads them."""
    setup_django()
    from django.utils import timezone

    from kaffeeklatsch.matching.engine import match_round
    from kaffeeklatsch.matching.meaning import term_vectors
    from kaffeeklatsch.programmes.models import Programme
    from kaffeeklatsch.rounds.people import history, next_number, person_rows, persons
    from kaffeeklatsch.rounds.vectors import DatabaseStore

    programme = Programme.objects.get(pk=programme_id)
    number = next_number(programme)
    rows = person_rows(programme.participants.available_on(timezone.localdate()))
    people = persons(programme, rows)
    past = history(programme)
    # The interests' vectors are kept in the database from a programme's first round
    # on; they are computed here, before the clock starts, as the preview will find them.
    store = DatabaseStore()
    started = time.perf_counter()
    term_vectors(sorted({term for person in people for term in person.interests}), store)
    embed_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = match_round(people, past, programme.rules(seed=number), number, vectors=store)
    return {
        "engine_seconds": round(time.perf_counter() - started, 2),
        "embed_seconds": round(embed_seconds, 2),
        "groups": len(result.groups),
    }


def child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    return run_child(__file__, args, env)


class MemoryWatch:
    """The largest resident memory of a process and its children, sampled."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self.running = True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            todo.extend(int(c) for c in children)
        return pids

    def _watch(self) -> None:
        while self.running:
            total = 0
            for pid in self._tree():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                found = re.search(r"VmRSS:\s+(\d+) kB", status)
                total += int(found.group(1)) if found else 0
            self.peak_kb = max(self.peak_kb, total)
            time.sleep(0.1)

    def stop(self) -> float:
        self.running = False
        self.thread.join()
        return round(self.peak_kb / 1024, 1)


class Browser:
    """One organiser's browser: its cookies, one request at a time on a new connection
    (gunicorn's synchronous workers close every connection after the answer)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        # The headers of the last answer (lower-case names).
        self.headers: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        headers = {"Host": "127.0.0.1", "Accept-Language": "de"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _sep, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, content


def _csrf(browser: Browser, path: str) -> None:
    status, _ = browser.request("GET", path)
    if status != 200:
        raise SystemExit(f"GET {path}: {status}")


def sign_in(port: int, username: str) -> Browser:
    browser = Browser(port)
    _csrf(browser, "/accounts/login/")
    status, _ = browser.request(
        "POST", "/accounts/login/", {"username": username, "password": PASSWORD}
    )
    if status != 302:
        raise SystemExit(f"sign-in refused: {status}")
    return browser


def press(browser: Browser, path: str) -> str:
    """Presses a button of the round pages; returns the task page it leads to."""
    status, _ = browser.request("POST", path, {})
    location = browser.headers.get("location", "")
    if status != 302 or "/tasks/" not in location:
        raise SystemExit(f"POST {path}: {status} {location}")
    return location


def wait_for_task(browser: Browser, task_page: str, timeout: float) -> None:
    """Polls the task's status, as the task page does, until it ended."""
    status_url = task_page + "status/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, content = browser.request("GET", status_url)
        data = json.loads(content)
        if data["done"]:
            return
        if data["failed"]:
            raise SystemExit(f"round task failed: {data['error']} {data['problems'][:3]}")
        time.sleep(0.1)
    raise SystemExit("round task did not end in time")


def median_ms(run: Any, times: int = 5) -> float:
    values = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        values.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(values), 1)


def one_size(people: int, env: dict[str, str], port: int) -> dict[str, Any]:
    log(f"bench: seeding {people:,} people")
    info = child(["--_seed", str(people)], env)
    programme = info["programme"]
    base = f"/programmes/{programme}/"
    log("bench: the engine alone")
    engine_figures = child(["--_engine", str(programme)], env)
    worker = subprocess.Popen(
        [str(BIN / "kaffeeklatsch"), "worker", "--interval", "0.2"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    watch = MemoryWatch(worker.pid)
    try:
        browser = sign_in(port, info["user"])
        _csrf(browser, f"{base}rounds/")
        log("bench: preview through the worker")
        started = time.perf_counter()
        wait_for_task(browser, press(browser, f"{base}rounds/preview/"), timeout=3600)
        preview_seconds = time.perf_counter() - started
        rnd = _preview_id(browser, base)
        page = f"{base}rounds/{rnd}/"
        status, content = browser.request("GET", page)
        if status != 200:
            raise SystemExit(f"round page: {status}")
        page_bytes = len(content)
        page_ms = median_ms(lambda: browser.request("GET", page))
        html = content.decode()
        names = re.findall(r"<li>(Person \d+ \w+)", html)
        moves = re.findall(r'href="(/programmes/\d+/rounds/\d+/move/(\d+)/)\?', html)
        if len(names) < 3 or len(moves) < 3:
            raise SystemExit("the round page shows too few groups")
        query = names[-1].split()[1]
        search_ms = median_ms(
            lambda: browser.request("GET", f"{page}?{urlencode({'q': f'Person {query} '})}")
        )  # fmt: skip
        mover = moves[0][1]
        # Into the group of someone further down the page; a move the rules refuse
        # (no language in common, say) leads back to the move page: the next one.
        move_times, refused = [], 0
        for name in reversed(names[len(names) // 2 :]):
            target_group = _group_of(browser, moves[0][0], name)
            started = time.perf_counter()
            status, _ = browser.request(
                "POST",
                f"{page}move/",
                {"participant": mover, "target": target_group, "next": page},
            )
            move_times.append(round((time.perf_counter() - started) * 1000, 1))
            if status != 302:
                raise SystemExit(f"move: {status}")
            if "/move/" not in browser.headers.get("location", ""):
                break
            refused += 1
        else:
            raise SystemExit("every move was refused")
        move_ms = move_times[-1]
        # And back into the group it came from (found by its number), so that no
        # group is left with one person and the round can be published.
        home = re.search(r"<h3>\w+ (\d+) ", html)
        if home is None:
            raise SystemExit("no group number on the round page")
        back = _group_of(browser, moves[0][0], home.group(1))
        browser.request(
            "POST", f"{page}move/", {"participant": mover, "target": back, "next": page}
        )
        log("bench: publish through the worker")
        started = time.perf_counter()
        wait_for_task(browser, press(browser, f"{page}publish/"), timeout=3600)
        publish_seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        peak = watch.stop()
    figures = {
        "engine_seconds": engine_figures["engine_seconds"],
        "embed_seconds": engine_figures["embed_seconds"],
        "preview_seconds": round(preview_seconds, 2),
        "preview_vs_engine": round(
            preview_seconds / max(engine_figures["engine_seconds"], 0.01), 2
        ),
        "publish_seconds": round(publish_seconds, 2),
        "round_page_ms": page_ms,
        "round_page_bytes": page_bytes,
        "search_ms": search_ms,
        "move_ms": move_ms,
        "refused_move_ms": max(move_times[:-1], default=None),
        "peak_memory_mb": peak,
        "groups": engine_figures["groups"],
    }
    log(f"bench: {people:,} people: {figures}")
    return figures


def _preview_id(browser: Browser, base: str) -> int:
    _, content = browser.request("GET", f"{base}rounds/")
    found = re.search(rf'href="{base}rounds/(\d+)/"', content.decode())
    if not found:
        raise SystemExit("no round on the round list")
    return int(found.group(1))


def _group_of(browser: Browser, move_page: str, name: str) -> str:
    """The id of the group a person is in, found as an organiser finds it: by searching
    for the person on the move page of the one to be moved."""
    _, form = browser.request("GET", f"{move_page}?{urlencode({'q': name})}")
    found = re.search(r'name="target" value="(\d+)"', form.decode())
    if not found:
        raise SystemExit("the move page found no group")
    return found.group(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 to 100,000 people")
    parser.add_argument("--sizes", help="comma-separated numbers of people")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database to use for one size: its programme of that size is "
        "measured if it has no round yet (a copy of a seeded database, say), else one is seeded",
    )
    parser.add_argument("--_seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--_engine", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._seed is not None:
        print(json.dumps(seed(args._seed)))
        return 0
    if args._engine is not None:
        print(json.dumps(engine(args._engine)))
        return 0
    sizes = [1_000, 10_000, 100_000] if args.quick else [1_000, 10_000, 100_000, 1_000_000]
    if args.sizes:
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    machine = machine_speed()
    log(f"bench: machine {machine}")
    results: dict[str, Any] = {}
    if args.database_url and len(sizes) != 1:
        raise SystemExit("--database-url measures one size (--sizes N)")
    for people in sizes:
        postgres = None if args.database_url else Postgres()
        data_dir = Path(tempfile.mkdtemp(prefix="kaffeeklatsch-bench."))
        server = None
        try:
            url = args.database_url or postgres.start()  # type: ignore[union-attr]
            port = free_port()
            # The bench sends no e-mail: the outbox is what is measured.
            env = bench_env(url, data_dir, port, EMAIL_HOST="127.0.0.1", EMAIL_PORT="9")
            migrate(env)
            server = subprocess.Popen(
                [str(BIN / "gunicorn"), "kaffeeklatsch.wsgi", "--bind", f"127.0.0.1:{port}",
                 "--workers", "2", "--timeout", "120", "--log-level", "warning"],
                env=env, cwd=ROOT,
            )  # fmt: skip
            # Long enough for a machine busy with other work.
            _wait_for(port, timeout=600)
            results[str(people)] = one_size(people, env, port)
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            if postgres is not None:
                postgres.stop()
    print(json.dumps({"sizes": results, "machine": machine}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
