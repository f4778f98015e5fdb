"""Load benchmark of the web application as it runs in production.

Usage::

    python bench/load.py           # 100 concurrent clients; rounds of 10,000 and 100,000
    python bench/load.py --quick   # under a minute: 20 clients, a round of 10,000

What it does, all on loopback:

1. starts a throwaway PostgreSQL server (as ``scripts/postgres.sh`` does; or uses
   ``--database-url``), migrates it and seeds one organiser with a programme of 300
   people and three published rounds of pairs behind them (half of them answered);
2. starts gunicorn (``kaffeeklatsch.wsgi``) against it, as in production: by default
   two synchronous worker processes (one per core of the 2-core reference machine),
   which take each request from one shared queue;
3. as the baseline of the run, the same number of clients ask the same server for the
   site's stylesheet (a static file through the same middleware, no template and no
   query) for up to 10 s;
4. from this process, concurrent clients (threads with their own cookies) sign up
   through the invitation link, open their own participant page after signing in
   with their e-mail link, and the organisers open the programme's dashboard and the
   list of people; every answer other than the expected one counts as an error. The
   clients arrive during the first half of a warm-up (``--warmup``, default 5 s);
   latencies are kept for the requests that start after it;
5. in a separate process, publishes a round of 10,000 (and 100,000) people: the
   stored round, the introduction of every person written into the outbox (a light
   row, rendered by the worker when it sends it), and every e-mail handed over one
   SMTP connection per batch to a local SMTP sink (aiosmtpd).
   The groups are given (the matching engine has its own benchmark,
   ``bench/matching.py``); the time runs from ``publish_round`` until the sink has
   received the last message, sent by ``--senders`` worker processes (default 2) as
   ``kaffeeklatsch worker`` sends them (batches over one SMTP connection each).

Each phase is reported on standard error; the last line of standard output is one
JSON object: ``requests`` and ``errors`` (all of them, warm-up included), ``pages``
({page: {p50_ms, p99_ms, n}} after the warm-up), ``warmup_pages`` (the same for the
warm-up), ``requests_per_second`` (after the warm-up), ``baseline`` (the static file:
``requests_per_second``, ``p50_ms``, ``p99_ms``), ``requests_per_second_vs_baseline``
(pages per static file served), ``participant_page_vs_baseline``
(p50 and p99 of the participant page divided by the static file's), ``clients``,
``server``, ``cpu_seconds`` (CPU used by the clients, gunicorn and PostgreSQL while the
clients ran), ``machine`` (see :func:`machine_speed`), ``publish_seconds``
({people: seconds}) and ``publish_detail``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed import (  # noqa: E402 - the benchmark's own helpers, next to it
    BIN,
    ROOT,
    SIMPLE,
    Postgres,
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


def _django() -> None:
    setup_django()


def seed(clients: int) -> dict[str, Any]:
    """An organiser, a programme of 300 people with three published rounds behind
    them, and sign-in links for the clients."""
    _django()
    from django.contrib.auth import get_user_model
    from seed import analyze

    from kaffeeklatsch.participants.models import Participant
    from kaffeeklatsch.participants.tokens import sign_in_token
    from kaffeeklatsch.programmes.models import Organiser, Programme

    user = get_user_model().objects.create_user("bench", "bench@example.org", "bench-password-9")
    programme = Programme.objects.create(name="Last", language="de")
    Organiser.objects.create(programme=programme, user=user, role=Organiser.Role.OWNER)
    ids = make_people(programme.pk, 300, "Seed", mix=SIMPLE)
    make_history(programme.pk, rounds=3)
    analyze()
    people = Participant.objects.filter(pk__in=ids[: clients * 2]).order_by("pk")
    return {
        "programme": programme.pk,
        "invite": programme.invite_token,
        "links": [sign_in_token(p) for p in people],
    }


def publish(people: int) -> dict[str, float]:
    """Stores a round of ``people`` (groups given) with its outbox; returns the time."""
    _django()
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
    _django()
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


# --- The sink ---------------------------------------------------------------


class Sink:
    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.count = 0
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
        return "250 OK"


# --- Clients ----------------------------------------------------------------


class Browser:
    """One client: its connection (kept open while the server allows) and its cookies.

    HTTP/1.1 over a plain socket: the clients share the machine with the server, so
    the less they spend on each request the more of the machine the server gets
    (``http.client`` parses every header block with the e-mail parser). Every answer
    must carry a ``Content-Length`` or end with the connection, as Django's and
    WhiteNoise's do."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.cookies: dict[str, str] = {}
        # The headers of the last answer (lower-case names).
        self.headers: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Any:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Accept-Language: de"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = b""
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urlencode(form).encode()
            lines.append("Content-Type: application/x-www-form-urlencoded")
            lines.append(f"Referer: http://127.0.0.1:{self.port}{path}")
            lines.append(f"Content-Length: {len(body)}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        for _attempt in range(2):
            fresh = self.sock is None
            if self.sock is None:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
            try:
                self.sock.sendall(data)
                first = self.sock.recv(65536)
            except (BrokenPipeError, ConnectionResetError):
                first = b""
            except OSError:
                # A timeout: a late answer must not be read as the next request's.
                self.close()
                raise
            if first or fresh:
                break
            # A kept connection the server had closed before reading the request:
            # once more on a new one. Nothing else is sent twice (a timeout or an
            # answer cut short may come after the server acted on the request).
            self.close()
        try:
            if not first:
                raise ConnectionError("the server closed the connection")
            status, headers, content, close = self._answer(self.sock, first)
        except OSError:
            self.close()
            raise
        if close:
            self.close()
        self.headers = dict(headers)
        for name, value in headers:
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return status, content

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    @staticmethod
    def _answer(
        sock: socket.socket, buffer: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            buffer += chunk
        head, _, content = buffer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        try:
            status = int(status_line.split(" ", 2)[1])
        except (IndexError, ValueError):
            raise ConnectionError(f"not an HTTP answer: {status_line[:80]!r}") from None
        headers = []
        length, close = None, False
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            headers.append((name, value))
            if name == "content-length":
                if not value.isdigit():
                    raise ConnectionError(f"bad Content-Length: {value[:20]!r}")
                length = int(value)
            elif name == "connection":
                close = value.lower() == "close"
            elif name == "transfer-encoding":
                raise ConnectionError(f"unexpected Transfer-Encoding: {value}")
        while length is None or len(content) < length:
            chunk = sock.recv(65536)
            if not chunk:
                if length is None:
                    return status, headers, content, True
                raise ConnectionError("the answer ended early")
            content += chunk
        return status, headers, content, close


class Recorder:
    """Counts every request and error; keeps the latencies of the requests that start
    after the warm-up in ``times`` and those before it in ``warmup_times``."""

    def __init__(self, measure_from: float = 0.0) -> None:
        self.lock = threading.Lock()
        self.measure_from = measure_from
        self.times: dict[str, list[float]] = {}
        self.warmup_times: dict[str, list[float]] = {}
        self.errors = 0
        self.requests = 0
        self.examples: list[str] = []

    def timed(self, page: str, browser: Browser, method: str, path: str, expect: int,
              form: dict[str, str] | None = None) -> None:  # fmt: skip
        measured = time.monotonic() >= self.measure_from
        start = time.perf_counter()
        try:
            status, _ = browser.request(method, path, form)
        except OSError as exc:
            status = f"{type(exc).__name__}"
        elapsed = (time.perf_counter() - start) * 1000
        with self.lock:
            self.requests += 1
            (self.times if measured else self.warmup_times).setdefault(page, []).append(elapsed)
            if status != expect:
                self.errors += 1
                if len(self.examples) < 5:
                    self.examples.append(f"{method} {path}: {status} (expected {expect})")


def _measured(recorder: Recorder) -> int:
    return sum(len(times) for times in recorder.times.values())


def _summary(times: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(times, 0.5), "p99_ms": percentile(times, 0.99), "n": len(times)}


def _ratio(recorder: Recorder, baseline: Recorder, q: float) -> float | None:
    page = recorder.times.get("participant_page")
    static = baseline.times.get("static_file")
    if not page or not static or percentile(static, q) <= 0:
        return None
    return round(percentile(page, q) / percentile(static, q), 2)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 1)


def drive(
    port: int,
    info: dict[str, Any],
    clients: int,
    seconds: float,
    think: float = 0.0,
    warmup: float = 0.0,
) -> Recorder:
    """Runs the clients; each waits a random 0..2×``think`` seconds between requests
    (0: as fast as the server answers, the harshest case).

    The clients arrive one after another during the first half of the ``warmup``
    seconds (each signs in first: organisers with their password); latencies are
    kept from the end of the warm-up for ``seconds`` more."""
    started = time.monotonic()
    recorder = Recorder(measure_from=started + warmup)
    rng = random.Random(11)
    rng_lock = threading.Lock()

    def pause() -> None:
        if think > 0:
            with rng_lock:
                wait = rng.uniform(0, 2 * think)
            time.sleep(wait)

    deadline = started + warmup + seconds
    join = f"/join/{info['invite']}/"
    programme = info["programme"]
    counter = iter(range(10**9))
    counter_lock = threading.Lock()

    def participant(n: int) -> None:
        browser = Browser(port)
        link = info["links"][n]
        browser.request("GET", f"/sign-in/{link}/")
        recorder.timed("sign_in", browser, "POST", f"/sign-in/{link}/", 302, {})
        while time.monotonic() < deadline:
            pause()
            recorder.timed("participant_page", browser, "GET", "/me/", 200)

    def newcomer() -> None:
        browser = Browser(port)
        while time.monotonic() < deadline:
            pause()
            recorder.timed("sign_up_form", browser, "GET", join, 200)
            with counter_lock:
                k = next(counter)
            form = {
                "name": f"Neu {k}",
                "email": f"neu{k}-{os.getpid()}@example.org",
                "department": "Pflege",
                "level": "staff",
                "languages_text": "Deutsch",
                "mode": "either",
                "language": "de",
                "shares": "email",
                "consent": "on",
            }
            pause()
            recorder.timed("sign_up", browser, "POST", join, 302, form)

    def organiser() -> None:
        browser = Browser(port)
        browser.request("GET", "/accounts/login/")
        recorder.timed(
            "login", browser, "POST", "/accounts/login/", 302,
            {"username": "bench", "password": "bench-password-9"},
        )  # fmt: skip
        while time.monotonic() < deadline:
            pause()
            recorder.timed("organiser_dashboard", browser, "GET", f"/programmes/{programme}/", 200)
            recorder.timed(
                "organiser_people", browser, "GET", f"/programmes/{programme}/people/", 200
            )

    roles = []
    for n in range(clients):
        kind = n % 10
        if kind < 7:
            roles.append(threading.Thread(target=participant, args=(n,)))
        elif kind < 9:
            roles.append(threading.Thread(target=newcomer))
        else:
            roles.append(threading.Thread(target=organiser))
    for n, thread in enumerate(roles):
        arrival = started + n * (warmup / 2) / clients
        time.sleep(max(0.0, arrival - time.monotonic()))
        thread.start()
    for thread in roles:
        thread.join()
    return recorder


def drive_baseline(port: int, clients: int, seconds: float) -> Recorder:
    """The baseline of the same run: the same clients, the same server and the same
    middleware, each asking as fast as it is answered for the site's stylesheet (a
    static file: no template, no query). The pages' figures divided by these are the
    cost of the application itself, comparable between machines."""
    recorder = Recorder(measure_from=time.monotonic() + 1.0)
    deadline = time.monotonic() + 1.0 + seconds

    def client() -> None:
        browser = Browser(port)
        while time.monotonic() < deadline:
            recorder.timed("static_file", browser, "GET", STYLESHEET, 200)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return recorder


# --- CPU used while the clients run -----------------------------------------


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="under a minute")
    parser.add_argument("--database-url", help="an empty PostgreSQL database to use instead")
    parser.add_argument("--clients", type=int, help="concurrent clients (default 100; quick 20)")
    parser.add_argument("--seconds", type=float, help="how long the clients run")
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
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a client waits between requests (default 0: no pause)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        help="seconds in which the clients arrive and sign in, not timed (default 5; quick 2)",
    )
    parser.add_argument("--sizes", help="round sizes to publish, comma-separated; empty for none")
    parser.add_argument("--_seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--_publish", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--_send", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--senders", type=int, default=2, help="worker processes sending the outbox (default 2)"
    )
    args = parser.parse_args()

    if args._seed is not None:
        print(json.dumps(seed(args._seed)))
        return 0
    if args._publish is not None:
        print(json.dumps(publish(args._publish)))
        return 0
    if args._send is not None:
        print(json.dumps(send(args._send)))
        return 0

    clients = args.clients or (20 if args.quick else 100)
    seconds = args.seconds or (8.0 if args.quick else 60.0)
    warmup = args.warmup if args.warmup is not None else (2.0 if args.quick else 5.0)
    sizes = [10_000] if args.quick else [10_000, 100_000]
    if args.sizes is not None:
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
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
        info = child(["--_seed", str(clients)], env)
        server_options = {
            "worker_class": args.worker_class,
            "workers": args.workers,
            "threads": args.threads,
        }
        log(f"bench: gunicorn {server_options} on 127.0.0.1:{port}")
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "kaffeeklatsch.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--worker-class", args.worker_class,
             "--threads", str(args.threads),
             "--log-level", "warning"],
            env=env, cwd=ROOT,
        )  # fmt: skip
        _wait_for(port)
        baseline_seconds = min(seconds, 10.0)
        log(
            f"bench: baseline, {clients} clients asking for a static file, {baseline_seconds:.0f} s"
        )
        baseline = drive_baseline(port, clients, baseline_seconds)
        log(f"bench: {clients} clients, {warmup:.0f} s warm-up, then {seconds:.0f} s timed")
        postmaster = _postmaster(postgres)
        server_before = _cpu_of_trees([server.pid])
        database_before = _cpu_of_trees(postmaster)
        client_before = time.process_time()
        recorder = drive(port, info, clients, seconds, args.think, warmup)
        cpu_seconds = {
            "client": round(time.process_time() - client_before, 1),
            "gunicorn": _cpu_used(server_before, _cpu_of_trees([server.pid])),
            "postgresql": _cpu_used(database_before, _cpu_of_trees(postmaster)),
        }
        log(f"bench: CPU seconds while the clients ran: {cpu_seconds}")
        if recorder.examples:
            log("bench: errors, e.g. " + "; ".join(recorder.examples))
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
        pages_per_second = _measured(recorder) / seconds
        static_per_second = _measured(baseline) / baseline_seconds
        report = {
            "requests": recorder.requests,
            "errors": recorder.errors,
            "clients": clients,
            "seconds": seconds,
            "think_seconds": args.think,
            "warmup_seconds": warmup,
            "server": server_options,
            "cpu_seconds": cpu_seconds,
            "machine": machine,
            "pages": {page: _summary(t) for page, t in sorted(recorder.times.items())},
            "requests_per_second": round(pages_per_second, 1),
            "baseline": {
                "page": STYLESHEET,
                "requests_per_second": round(static_per_second, 1),
                "errors": baseline.errors,
                **_summary(baseline.times.get("static_file", [0.0])),
            },
            # Pages served per static file served: steadier than either alone on a
            # machine whose speed varies from run to run.
            "requests_per_second_vs_baseline": (
                round(pages_per_second / static_per_second, 3) if static_per_second else 0.0
            ),
            # What a participant page costs against the static file, same clients.
            "participant_page_vs_baseline": {
                "p50": _ratio(recorder, baseline, 0.5),
                "p99": _ratio(recorder, baseline, 0.99),
            },
            "warmup_pages": {
                page: _summary(t) for page, t in sorted(recorder.warmup_times.items())
            },
            "publish_seconds": publish_seconds,
            "publish_detail": detail,
        }
        print(json.dumps(report))
        return 0
    finally:
        if server is not None:
            server.kill()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _postmaster(postgres: Postgres | None) -> list[int]:
    """The throwaway server's main process (none with --database-url)."""
    if postgres is None:
        return []
    try:
        return [int((postgres.dir / "data" / "postmaster.pid").read_text().split()[0])]
    except (OSError, ValueError, IndexError):
        return []


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
