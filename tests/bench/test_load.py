"""The load benchmark's harness: arrivals on a schedule fixed in advance (open loop),
errors and a step given up counted, sign-in links used once each.

Against small HTTP servers on loopback; the whole benchmark (PostgreSQL, gunicorn)
runs with ``python bench/load.py --quick``."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_load", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = module
    spec.loader.exec_module(module)
    return module


bench = load_bench()


Answer = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def serve(answer: Answer, post: Answer | None = None) -> Iterator[int]:
    """A threaded HTTP server on loopback whose every GET calls ``answer(handler)``
    and every POST ``post(handler)``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            answer(self)

        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            self.rfile.read(int(self.headers["Content-Length"]))
            assert post is not None
            post(self)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def reply(handler: BaseHTTPRequestHandler, status: int = 200) -> None:
    body = b"body { color: black }"
    handler.send_response(status)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(body)


def world(port: int) -> object:
    return bench.World(port=port, programme=1, invite="x", answers=[], links=bench.SignInLinks([]))


def run(port: int, rate: float, seconds: float, **options: float) -> object:
    arrivals = bench.plan(rate, seconds, bench.STATIC, seed=1)
    return asyncio.run(bench.run_step(world(port), arrivals, bench.STATIC, 0.0, seconds, **options))


def test_the_plan_is_drawn_in_advance_with_the_mix() -> None:
    arrivals = bench.plan(100, 200, bench.MIX, seed=4)
    assert arrivals == bench.plan(100, 200, bench.MIX, seed=4)
    assert arrivals != bench.plan(100, 200, bench.MIX, seed=5)
    requests = bench.planned_requests(arrivals, bench.MIX)
    assert requests == pytest.approx(100 * 200, abs=3)
    shares = Counter(a.kind for a in arrivals)
    for kind, visit in bench.MIX.items():
        assert shares[kind] / len(arrivals) == pytest.approx(visit.share, abs=0.001)
    # In bursts, as people come: some seconds have far more arrivals than others.
    per_second = Counter(int(a.at) for a in arrivals)
    assert max(per_second.values()) > 1.2 * len(arrivals) / 200
    assert all(len(a.pauses) == len(bench.MIX[a.kind].pauses) for a in arrivals)
    assert [a.at for a in arrivals] == sorted(a.at for a in arrivals)


def test_every_request_starts_on_time_without_waiting_for_answers() -> None:
    """The server answers no request before all of them have arrived: a client that
    waited for answers before asking again would never get one."""
    arrivals = bench.plan(40, 1.0, bench.STATIC, seed=1)
    everybody = threading.Barrier(len(arrivals), timeout=20)

    def answer(handler: BaseHTTPRequestHandler) -> None:
        everybody.wait()
        reply(handler)

    with serve(answer) as port:
        step = asyncio.run(
            bench.run_step(world(port), arrivals, bench.STATIC, 0.0, 1.0, give_up=30)
        )
    summary = step.summary()
    assert step.started == step.planned == len(arrivals) == len(step.records)
    assert summary["errors"] == 0 and summary["not_started"] == 0
    assert summary["pages"]["static_file"]["n"] == len(arrivals)
    # Latencies run from the scheduled start, which the plan fixed.
    assert sorted(r.scheduled for r in step.records) == [a.at for a in arrivals]


def test_answers_other_than_the_expected_one_are_errors() -> None:
    with serve(lambda handler: reply(handler, 500)) as port:
        step = run(port, 20, 0.5)
    summary = step.summary()
    assert summary["errors"] == len(step.records) > 0
    assert summary["pages"]["static_file"]["errors"] == len(step.records)
    assert summary["passed"] is False
    assert step.examples[0] == "static_file: 500 (expected 200)"


def test_a_step_the_server_cannot_keep_up_with_is_given_up() -> None:
    released = threading.Event()

    def hang(handler: BaseHTTPRequestHandler) -> None:
        released.wait(20)

    with serve(hang) as port:
        step = run(port, 20, 3.0, give_up=0.5, timeout=20)
        released.set()
    summary = step.summary()
    assert summary["given_up"] is True
    assert summary["not_started"] > 0
    assert summary["errors"] == step.started > 0
    assert summary["passed"] is False


def test_a_sign_in_link_is_given_out_after_the_one_before_was_used() -> None:
    links = bench.SignInLinks([["a0", "a1"], ["b0"]])
    assert links.take() == (0, "a0")
    assert links.take() == (1, "b0")
    assert links.take() is None  # both busy
    links.give_back(0, used=False)
    assert links.take() == (0, "a0")
    links.give_back(0, used=True)
    links.give_back(1, used=None)  # perhaps used: never given out again
    assert links.take() == (0, "a1")
    links.give_back(0, used=True)
    assert links.take() is None


def sign_in_once(post_status: int) -> tuple[object, object]:
    links = bench.SignInLinks([["first", "second"]])
    arrivals = [bench.Arrival(0.0, "sign_in", (0.1,))]
    with serve(reply, lambda handler: reply(handler, post_status)) as port:
        place = bench.World(port=port, programme=1, invite="x", answers=[], links=links)
        step = asyncio.run(bench.run_step(place, arrivals, bench.MIX, 0.0, 1.0))
    return step, links


def test_a_used_sign_in_link_gives_way_to_the_next_one() -> None:
    step, links = sign_in_once(302)
    assert [r.page for r in step.records] == ["sign_in_page", "sign_in", "participant_page"]
    assert all(r.ok for r in step.records)
    assert links.take() == (0, "second")


def test_a_link_that_may_have_been_used_is_not_given_out_again() -> None:
    step, links = sign_in_once(400)
    assert [r.page for r in step.records] == ["sign_in_page", "sign_in"]
    assert step.summary()["errors"] == 1
    assert links.take() is None
