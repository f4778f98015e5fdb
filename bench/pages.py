"""How fast the organiser's pages of a large programme start answering.

Usage::

    python bench/pages.py           # 100,000 people and 10 published rounds
    python bench/pages.py --quick   # 10,000 people and 10 rounds

What it does, all on loopback:

1. starts a throwaway PostgreSQL server (``bench/seed.py``'s :class:`Postgres`, durable
   as in production), migrates it and seeds an organiser with a programme of N
   people and R published rounds behind them (:func:`seed.seed_programme`); with
   ``--database-url`` it uses that database instead and seeds it only if it holds
   no programme of the bench's organiser yet (so a seeded database can be measured
   again and again);
2. starts gunicorn (``kaffeeklatsch.wsgi``) as ``bench/load.py`` does (two synchronous
   workers, ``DEBUG`` off, persistent database connections) and one ``kaffeeklatsch
   worker`` for the background work, signs in as the organiser;
3. asks for every page one at a time: once to warm up, then ``--repeat`` times
   (default 3), and keeps the median of the time to the first byte of the answer
   (``ttfb_ms``: from opening the connection until the status line arrived), of the
   whole answer (``total_ms``) and its size (``bytes``). Downloads prepared in the
   background are timed from asking for them until their file is ready
   (``ready_ms``), and the file is then fetched like a page. The insights of a
   large programme are read by the worker once: the time until the page first
   shows them is ``figures_ready_ms``, and the page is timed after that.
   The baseline of the run is the site's stylesheet (a static file through the same
   middleware), asked for in the same way;
4. the reach panel of a round (a part of the round's page, which is not measured
   here) is timed in a Django process of its own, as the round's page renders it
   (``panels``).

Each step is reported on standard error; the last line of standard output is one
JSON object: ``pages`` ({page: {ttfb_ms, total_ms, bytes, status, n, ttfb_vs_baseline,
total_vs_baseline}}), ``baseline`` (the stylesheet: ``ttfb_ms``, ``total_ms``,
``bytes``), ``panels``, ``people``, ``rounds``, ``seed_seconds`` and ``machine``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import STYLESHEET, _wait_for, machine_speed  # noqa: E402 - the bench's own helpers
from seed import (  # noqa: E402
    BIN,
    ORGANISER,
    PASSWORD,
    ROOT,
    Postgres,
    bench_env,
    free_port,
    log,
    migrate,
    run_child,
    setup_django,
)

# --- In child processes: seeding and the round panel ---------------------------


def seed_or_find(people: int, rounds: int) -> dict[str, Any]:
    """The bench's programme: found in the database, or seeded now."""
    setup_django()
    from seed import seed_programme

    from kaffeeklatsch.programmes.models import Programme
    from kaffeeklatsch.rounds.models import Round

    programme = Programme.objects.filter(organisers__username=ORGANISER).order_by("-pk").first()
    seconds = None
    if programme is None:
        log(f"pages: seeding {people:,} people and {rounds} rounds")
        result = seed_programme(people, rounds)
        seconds = result["seconds"]
        programme = Programme.objects.get(pk=result["programme"])
    published = programme.rounds.filter(status=Round.Status.PUBLISHED).order_by("number")
    days = list(published.values_list("meet_from", flat=True))
    return {
        "programme": programme.pk,
        "people": programme.participants.count(),
        "rounds": len(days),
        "latest_round": published.last().pk,
        # A period of the last three rounds, for the dashboard's period selection.
        "period": {"start": days[-3].isoformat(), "end": days[-1].isoformat()},
        "seed_seconds": seconds,
    }


def time_panel(round_id: int, repeat: int) -> dict[str, Any]:
    """The reach panel of a round as the round's page draws it (its template tag,
    with a request of the organiser), warm-up first, median of ``repeat``."""
    setup_django()
    from django.contrib.auth import get_user_model
    from django.template import engines
    from django.test import RequestFactory

    from kaffeeklatsch.rounds.models import Round

    rnd = Round.objects.select_related("programme").get(pk=round_id)
    request = RequestFactory().get("/")
    request.user = get_user_model().objects.get(username=ORGANISER)
    request.session = {}  # type: ignore[assignment] - nobody signed in as a participant
    template = engines["django"].from_string(
        "{% load reach %}{% reach_round_panel programme round %}"
    )
    times, size = [], 0
    for n in range(repeat + 1):
        started = time.perf_counter()
        html = template.render(
            {"programme": rnd.programme, "round": rnd, "csrf_token": "x"}, request
        )
        if n:
            times.append(1000 * (time.perf_counter() - started))
        size = len(html.encode())
    return {"total_ms": round(statistics.median(times), 1), "bytes": size, "n": repeat}


# --- The client ------------------------------------------------------------------


class Client:
    """One organiser's browser: cookies, one request at a time, a new connection for
    each (gunicorn's synchronous workers close every connection after the answer)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> dict[str, Any]:
        headers = {"Accept-Language": "de", "Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        first = time.perf_counter()
        size = 0
        content = b""
        while chunk := response.read(65536):
            size += len(chunk)
            if len(content) < 200_000:
                content += chunk
        done = time.perf_counter()
        conn.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _sep, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return {
            "status": response.status,
            "ttfb_ms": 1000 * (first - started),
            "total_ms": 1000 * (done - started),
            "bytes": size,
            "type": response.headers.get("Content-Type", ""),
            "location": response.headers.get("Location", ""),
            "streamed": response.headers.get("Content-Length") is None,
            "content": content,
        }

    def sign_in(self) -> None:
        self.request("GET", "/accounts/login/")
        answer = self.request(
            "POST", "/accounts/login/", {"username": ORGANISER, "password": PASSWORD}
        )
        if answer["status"] != 302:
            raise SystemExit(f"signing in failed: {answer['status']}")


def measure(client: Client, path: str, repeat: int) -> dict[str, Any]:
    """Warm-up, then the median of ``repeat`` requests."""
    warm = client.request("GET", path)
    if warm["status"] != 200:
        raise SystemExit(f"{path}: {warm['status']}\n{warm['content'][:2000]!r}")
    answers = [client.request("GET", path) for _ in range(repeat)]
    return {
        "ttfb_ms": round(statistics.median(a["ttfb_ms"] for a in answers), 1),
        "total_ms": round(statistics.median(a["total_ms"] for a in answers), 1),
        "bytes": int(statistics.median(a["bytes"] for a in answers)),
        "status": answers[-1]["status"],
        "type": answers[-1]["type"].split(";")[0],
        "streamed": answers[-1]["streamed"],
        "n": repeat,
    }


_PREPARE_FORM = re.compile(rb'<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*data-prepare')
_HIDDEN = re.compile(rb'<input type="hidden" name="([^"]+)" value="([^"]*)"')
_READY_LINK = re.compile(rb'<a[^>]*href="([^"]+)"[^>]*data-download')


def figures_ready(client: Client, path: str) -> float | None:
    """For a page whose figures the worker reads (the insights of a large
    programme): the milliseconds until the page shows them, or None when it showed
    them at once."""
    started = time.perf_counter()
    if b"data-computing" not in client.request("GET", path)["content"]:
        return None
    while b"data-computing" in client.request("GET", path)["content"]:
        if time.perf_counter() - started > 1800:
            raise SystemExit(f"{path}: no figures after 30 minutes")
        time.sleep(0.5)
    return round(1000 * (time.perf_counter() - started), 1)


def prepared(client: Client, path: str, repeat: int) -> dict[str, Any]:
    """A download that may be prepared in the background: its page (timed like any
    page); if the page offers to prepare the file, asks for it, follows the status
    page until the file is ready (``ready_ms``) and fetches the file."""
    page = measure(client, path, repeat)
    answer = client.request("GET", path)
    found = _PREPARE_FORM.search(answer["content"])
    if found is None:
        return page
    form = answer["content"][found.start() : answer["content"].find(b"</form>", found.end())]
    hidden = {
        name.decode(): value.decode()
        for name, value in _HIDDEN.findall(form)
        if name != b"csrfmiddlewaretoken"
    }
    started = time.perf_counter()
    posted = client.request("POST", found.group(1).decode(), hidden)
    if posted["status"] != 302:
        raise SystemExit(f"{path}: preparing answered {posted['status']}")
    status_page = posted["location"]
    while True:
        status = client.request("GET", status_page)
        link = _READY_LINK.search(status["content"])
        if link is not None:
            break
        if time.perf_counter() - started > 1800:
            raise SystemExit(f"{path}: not ready after 30 minutes")
        time.sleep(0.5)
    ready = 1000 * (time.perf_counter() - started)
    file = measure(client, link.group(1).decode().replace("&amp;", "&"), repeat)
    return {
        **page,
        "ready_ms": round(ready, 1),
        "status_page": {"ttfb_ms": round(status["ttfb_ms"], 1)},
        "file": file,
    }


# --- Main ----------------------------------------------------------------------


def child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    return run_child(__file__, args, env, echo=True)


def pages_of(info: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(name, path, may be prepared in the background) of every page measured."""
    p = f"/programmes/{info['programme']}"
    r = f"{p}/rounds/{info['latest_round']}"
    period = "?" + urlencode(info["period"])
    return [
        ("people", f"{p}/people/", False),
        ("programme", f"{p}/", False),
        ("rounds", f"{p}/rounds/", False),
        ("insights", f"{p}/insights/", False),
        ("insights_period", f"{p}/insights/{period}", False),
        ("rounds_csv", f"{p}/insights/rounds.csv", True),
        ("rounds_xlsx", f"{p}/insights/rounds.xlsx", True),
        ("groups_csv", f"{p}/insights/groups.csv", True),
        ("groups_xlsx", f"{p}/insights/groups.xlsx", True),
        ("report_pdf", f"{p}/insights/report.pdf{period}", True),
        ("reach", f"{p}/reach/", False),
        ("letters_pdf", f"{r}/letters.pdf", True),
        ("phone_list_pdf", f"{r}/phone-list.pdf", True),
        ("phone_list_csv", f"{r}/phone-list.csv", True),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 people instead of 100,000")
    parser.add_argument("--people", type=int, help="people of the programme (default 100,000)")
    parser.add_argument("--rounds", type=int, default=10, help="published rounds (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="timed requests a page (default 3)")
    parser.add_argument("--only", help="names of the pages to measure, comma-separated")
    parser.add_argument(
        "--database-url", help="a PostgreSQL database to use (seeded unless it holds the bench's)"
    )
    parser.add_argument("--_seed", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--_panel", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._seed is not None:
        print(json.dumps(seed_or_find(*args._seed)))
        return 0
    if args._panel is not None:
        print(json.dumps(time_panel(args._panel, args.repeat)))
        return 0

    people = args.people or (10_000 if args.quick else 100_000)
    machine = machine_speed()
    log(f"pages: machine {machine}")
    postgres = None if args.database_url else Postgres()
    data_dir = Path(tempfile.mkdtemp(prefix="kaffeeklatsch-pages."))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        url = args.database_url or postgres.start()  # type: ignore[union-attr]
        port = free_port()
        env = bench_env(url, data_dir, port)
        log("pages: migrating")
        migrate(env)
        info = child(["--_seed", str(people), str(args.rounds)], env)
        log(f"pages: {info}")
        log(f"pages: gunicorn on 127.0.0.1:{port} and one worker")
        processes.append(
            subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "kaffeeklatsch.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--timeout",
                    "900",
                    "--log-level",
                    "warning",
                ],
                env=env,
                cwd=ROOT,
            )  # fmt: skip
        )
        processes.append(
            subprocess.Popen([str(BIN / "kaffeeklatsch"), "worker"], env=env, cwd=ROOT)
        )
        _wait_for(port)
        client = Client(port)
        baseline = measure(client, STYLESHEET, args.repeat)
        client.sign_in()
        only = set(args.only.split(",")) if args.only else None
        results: dict[str, Any] = {}
        for name, path, background in pages_of(info):
            if only is not None and name not in only:
                continue
            waited = figures_ready(client, path) if name.startswith("insights") else None
            result = prepared(client, path, args.repeat) if background else None
            result = result or measure(client, path, args.repeat)
            if waited is not None:
                result["figures_ready_ms"] = waited
            result["ttfb_vs_baseline"] = round(result["ttfb_ms"] / baseline["ttfb_ms"], 1)
            result["total_vs_baseline"] = round(result["total_ms"] / baseline["total_ms"], 1)
            results[name] = result
            log(f"pages: {name} {result}")
        panels = {}
        if only is None or "reach_panel" in only:
            panels["reach_panel"] = child(
                ["--_panel", str(info["latest_round"]), "--repeat", str(args.repeat)], env
            )
            log(f"pages: reach_panel {panels['reach_panel']}")
        report = {
            "people": info["people"],
            "rounds": info["rounds"],
            "seed_seconds": info["seed_seconds"],
            "machine": machine,
            "baseline": {"page": STYLESHEET, **baseline},
            "pages": results,
            "panels": panels,
            "slowest_ttfb_ms": max((r["ttfb_ms"] for r in results.values()), default=0.0),
        }
        print(json.dumps(report))
        return 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
