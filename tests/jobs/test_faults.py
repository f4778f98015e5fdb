"""Faults with real processes: the worker SIGKILLed while publishing and while sending,
a mail server that refuses, times out and drops connections, a database that is
locked or cuts the worker off. Afterwards every person has one e-mail per round and
no round is half-stored.

The worker runs as ``kaffeeklatsch worker`` in its own process against the test
database, so these tests need PostgreSQL (the SQLite test database lives in the test
process's memory); the SQLite lock test gives the worker a database file of its own.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.rounds.models import Round
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.faults import (
    KAFFEEKLATSCH,
    DroppingProxy,
    FaultySink,
    Worker,
    eventually,
    worker_env,
)

pytestmark = pytest.mark.database

PEOPLE = 12
#: Longer than any test waits: what is sent before it runs out was given back.
LONG_LEASE = {"KAFFEEKLATSCH_EMAIL_LEASE_SECONDS": "600"}


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.fixture
def people(programme: Any, make_participant: Any) -> list[Any]:
    return [make_participant(programme) for _ in range(PEOPLE)]


def published_round(programme: Any) -> Round:
    rnd = publish_round(preview_round(programme))
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.INTRODUCTION).count() == PEOPLE
    return rnd


def introductions() -> Any:
    return OutboxMessage.objects.filter(kind=OutboxMessage.Kind.INTRODUCTION)


def all_sent() -> bool:
    return introductions().exclude(status=OutboxMessage.Status.SENT).count() == 0


def assert_one_each(sink: FaultySink, people: list[Any]) -> None:
    """Every person got the round's introduction exactly once."""
    got = sink.by_recipient()
    assert sorted(got) == sorted(p.email for p in people)
    assert all(len(ids) == 1 for ids in got.values()), got


def start(tmp_path: Path, sink: FaultySink, port: int | None = None, **extra: str) -> Worker:
    return Worker(worker_env(database_url(), port or sink.port, tmp_path, **extra))


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_worker_killed_while_publishing_leaves_no_round_then_publishes_once(
    programme: Any, people: list[Any], tmp_path: Path
) -> None:
    today = timezone.localdate()
    programme.automatic, programme.cadence = True, "weekly"
    programme.weekday, programme.next_round_on = today.weekday(), today
    programme.save()
    with FaultySink() as sink:
        worker = start(tmp_path, sink, KAFFEEKLATSCH_TEST_PAUSE="automatic.published")
        try:
            worker.wait_for("paused at automatic.published")
            worker.kill()
        finally:
            worker.stop()
        # The transaction died with the process: no round, no preview, no e-mail.
        assert Round.objects.filter(programme=programme).count() == 0
        assert OutboxMessage.objects.count() == 0
        programme.refresh_from_db()
        assert programme.next_round_on == today

        worker = start(tmp_path, sink)
        try:
            eventually(lambda: len(sink.received()) == PEOPLE, "all introductions sent")
            eventually(all_sent, "all marked sent")
        finally:
            worker.stop()
    rounds = Round.objects.filter(programme=programme)
    assert [r.status for r in rounds] == [Round.Status.PUBLISHED]
    assert rounds[0].groups.count() >= PEOPLE // 4
    assert sorted(m.pk for g in rounds[0].groups.all() for m in g.members.all()) == sorted(
        p.pk for p in people
    )
    assert introductions().count() == PEOPLE
    assert_one_each(sink, people)
    programme.refresh_from_db()
    assert programme.next_round_on == today + dt.timedelta(days=7)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_worker_killed_between_two_messages_sends_the_rest_once(
    programme: Any, people: list[Any], tmp_path: Path
) -> None:
    published_round(programme)
    with FaultySink() as sink:
        worker = start(tmp_path, sink, KAFFEEKLATSCH_TEST_PAUSE="send.marked:5", **LONG_LEASE)
        try:
            worker.wait_for("paused at send.marked")
            worker.kill()
        finally:
            worker.stop()
        assert len(sink.received()) == 5
        states = sorted(introductions().values_list("status", flat=True))
        assert states.count(OutboxMessage.Status.SENT) == 5
        # The rest is still held by the dead worker, with a lease of ten minutes.
        assert states.count(OutboxMessage.Status.SENDING) == PEOPLE - 5

        # A worker that starts on the same machine gives it back at once.
        worker = start(tmp_path, sink, **LONG_LEASE)
        try:
            eventually(all_sent, "the dead worker's messages taken over and sent")
        finally:
            worker.stop()
    assert_one_each(sink, people)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_worker_killed_while_the_mail_server_has_the_message_unanswered(
    programme: Any, people: list[Any], tmp_path: Path
) -> None:
    """Killed during DATA, before the server said "250": the server does not keep the
    message, and the next worker sends it once."""
    published_round(programme)
    with FaultySink(["ok", "ok", "ok", "hang"]) as sink:
        worker = start(tmp_path, sink, EMAIL_TIMEOUT="600")
        try:
            assert sink.hanging.wait(60)
            worker.kill()
        finally:
            worker.stop()
        assert len(sink.received()) == 3
        worker = start(tmp_path, sink)
        try:
            eventually(all_sent, "everything sent after the restart")
        finally:
            worker.stop()
    assert_one_each(sink, people)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_worker_killed_after_the_server_accepted_repeats_that_message_with_its_id(
    programme: Any, people: list[Any], tmp_path: Path
) -> None:
    """The one window the README names: accepted by the mail server, the worker dies
    before it records that. The message goes out a second time with the same
    Message-ID; every other person still gets exactly one."""
    published_round(programme)
    with FaultySink() as sink:
        worker = start(tmp_path, sink, KAFFEEKLATSCH_TEST_PAUSE="send.accepted:3")
        try:
            worker.wait_for("paused at send.accepted")
            worker.kill()
        finally:
            worker.stop()
        worker = start(tmp_path, sink)
        try:
            eventually(all_sent, "everything sent after the restart")
        finally:
            worker.stop()
    got = sink.by_recipient()
    assert sorted(got) == sorted(p.email for p in people)
    twice = {to: ids for to, ids in got.items() if len(ids) > 1}
    assert len(twice) == 1
    (ids,) = twice.values()
    assert len(ids) == 2 and ids[0] == ids[1]
    assert len({i for ids in got.values() for i in ids}) == PEOPLE


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_refusals_are_retried_with_back_off_until_accepted(
    programme: Any, people: list[Any], tmp_path: Path
) -> None:
    published_round(programme)
    script = ["451 4.3.0 Try again later", "550 5.1.1 Mailbox unavailable"] * PEOPLE
    with FaultySink(script) as sink:
        worker = start(tmp_path, sink)
        try:
            eventually(all_sent, "sent after two refusals each")
        finally:
            worker.stop()
    assert_one_each(sink, people)
    assert sink.calls == 3 * PEOPLE
    rows = list(introductions())
    assert all(r.attempts == 3 and r.claimed_until is None and r.last_error == "" for r in rows)
    assert "e-mails sent" in worker.output() and "attempt 2 failed" in worker.output()
    assert not any(p.email in worker.output() for p in people)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_refusal_counts_against_its_message_only_and_the_batch_goes_on(
    programme: Any, people: list[Any], tmp_path: Path
) -> None:
    """A server answering 451 to some recipients: their messages wait and come again,
    the others go out over the same connection, each message once."""
    published_round(programme)
    refused = sorted(p.email for p in people)[::3]
    refuse = {to: ["451 4.7.1 Greylisted, try again later"] for to in refused}
    with FaultySink(refuse=refuse) as sink:
        worker = start(tmp_path, sink, **LONG_LEASE)
        try:
            eventually(all_sent, "everything sent, the refused ones after their wait")
        finally:
            worker.stop()
    assert_one_each(sink, people)
    first, *later = sink.sessions.values()
    # The first connection carried every message: no refusal ended the batch.
    assert sorted(first) == sorted(p.email for p in people)
    assert sorted(to for session in later for to in session) == refused
    for row in introductions():
        assert row.attempts == (2 if row.to in refused else 1), row.to
        assert row.status == OutboxMessage.Status.SENT and row.claimed_by == ""
    assert worker.output().count("attempt 1 failed (SMTPDataError 451)") == len(refused)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_database_away_after_the_server_accepted_sends_nothing_twice(
    programme: Any, people: list[Any], tmp_path: Path
) -> None:
    """PostgreSQL out of reach in the middle of a batch, just as the mail server
    accepts a message: the worker keeps that message in memory and records it when the
    database is back, then gives back the rest of its batch at once (its lease would
    last ten minutes). A second worker, meanwhile, takes nothing the first holds."""
    published_round(programme)
    s = connection.settings_dict
    proxy = DroppingProxy(int(s["PORT"]))
    via_proxy = f"postgres://{s['USER']}@127.0.0.1:{proxy.port}/{s['NAME']}"
    second = None
    with FaultySink(["ok", "ok", "ok", "wait"]) as sink:
        first = Worker(worker_env(via_proxy, sink.port, tmp_path, EMAIL_TIMEOUT="60", **LONG_LEASE))
        try:
            assert sink.waiting.wait(60), first.output()
            proxy.dropping.set()
            _terminate_others()
            second = start(tmp_path, sink, **LONG_LEASE)
            eventually(lambda: _backends() > 0, "the second worker connected")
            sink.go.set()  # the server accepts the fourth message
            first.wait_for("database unavailable", times=2)
            assert len(sink.received()) == 4
            states = sorted(introductions().values_list("status", flat=True))
            assert states.count(OutboxMessage.Status.SENT) == 3
            # Still held by the first worker: the second took none of them.
            assert states.count(OutboxMessage.Status.SENDING) == PEOPLE - 3
            proxy.dropping.clear()
            eventually(all_sent, "sent once the database is back")
            assert first.alive() and second.alive()
        finally:
            first.stop()
            if second is not None:
                second.stop()
            proxy.close()
    # No worker died: nobody got anything twice.
    assert_one_each(sink, people)
    assert sink.calls == PEOPLE


def _terminate_others() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_timeouts_and_dropped_connections_are_retried(
    programme: Any, people: list[Any], tmp_path: Path
) -> None:
    published_round(programme)
    with FaultySink(["hang", "drop", "ok", "drop", "hang"]) as sink:
        proxy = DroppingProxy(sink.port)
        proxy.dropping.set()  # the mail server is away when the worker starts
        worker = start(tmp_path, sink, port=proxy.port, EMAIL_TIMEOUT="1")
        try:
            eventually(lambda: proxy.dropped >= 3, "the worker kept trying the absent server")
            assert introductions().filter(status=OutboxMessage.Status.SENT).count() == 0
            eventually(
                lambda: (
                    introductions()
                    .filter(status=OutboxMessage.Status.PENDING, attempts__gt=0)
                    .exists()
                ),
                "a failed attempt recorded",
            )
            row = (
                introductions().filter(status=OutboxMessage.Status.PENDING, attempts__gt=0).first()
            )
            assert row is not None and row.next_attempt_at > row.created_at
            assert "SMTPServerDisconnected" in row.last_error or "Connection" in row.last_error
            proxy.dropping.clear()
            eventually(all_sent, "sent once the server answers")
        finally:
            worker.stop()
            proxy.close()
    assert_one_each(sink, people)
    assert "timed out" in worker.output() or "TimeoutError" in worker.output()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_worker_survives_its_database_connection_being_terminated(
    programme: Any, people: list[Any], tmp_path: Path
) -> None:
    with FaultySink() as sink:
        worker = start(tmp_path, sink)
        try:
            eventually(lambda: _backends() > 0, "the worker connected to the database", timeout=60)

            def cut_until_noticed() -> bool:
                # On a busy machine a cut can come before the worker's own connection
                # is in use (seen once among parallel test runs): it is repeated until
                # the worker notices one.
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                deadline = time.monotonic() + 2
                while time.monotonic() < deadline:
                    if "database unavailable" in worker.output():
                        return True
                    time.sleep(0.1)
                return False

            eventually(cut_until_noticed, "the worker noticed its connection cut", timeout=120)
            assert worker.alive()
            published_round(programme)
            eventually(all_sent, "sent after the worker reconnected")
            assert worker.alive()
        finally:
            worker.stop()
    assert_one_each(sink, people)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_worker_waits_while_the_database_is_unreachable_then_goes_on(
    programme: Any, people: list[Any], tmp_path: Path
) -> None:
    """The database server away for a while: the worker's connection is cut and new
    ones are refused (a proxy in front of PostgreSQL drops them) until it is back."""
    s = connection.settings_dict
    proxy = DroppingProxy(int(s["PORT"]))
    via_proxy = f"postgres://{s['USER']}@127.0.0.1:{proxy.port}/{s['NAME']}"
    with FaultySink() as sink:
        worker = Worker(worker_env(via_proxy, sink.port, tmp_path))
        try:
            eventually(lambda: _backends() > 0, "the worker connected to the database")
            proxy.dropping.set()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            worker.wait_for("database unavailable", times=3)
            assert proxy.dropped >= 2 and worker.alive()
            published_round(programme)  # written while the worker cannot reach it
            proxy.dropping.clear()
            eventually(all_sent, "sent once the database is back")
            assert worker.alive()
        finally:
            worker.stop()
            proxy.close()
    assert_one_each(sink, people)


def _backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.sqlite_only
def test_worker_survives_a_locked_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "kaffeeklatsch.sqlite3"
    url = f"sqlite:///{path}"
    with FaultySink() as sink:
        env = worker_env(url, sink.port, tmp_path)
        subprocess.run(
            [KAFFEEKLATSCH, "migrate", "--no-input"],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        db = sqlite3.connect(path, isolation_level=None)
        now = timezone.now().strftime("%Y-%m-%d %H:%M:%S.%f")  # as Django stores it
        for n in range(3):
            db.execute(
                'INSERT INTO notifications_outboxmessage (kind, "to", reply_to, subject, '
                "body_text, body_html, ics, status, attempts, next_attempt_at, created_at, "
                "last_error) VALUES ('link', ?, '[]', 'Hello', 'Text', '', '', 'pending', 0, "
                "?, ?, '')",
                (f"p{n}@example.org", now, now),
            )
        db.execute("BEGIN EXCLUSIVE")  # another process holds the database
        worker = Worker(env)
        try:
            worker.wait_for("database unavailable")
            assert worker.alive()
            db.execute("COMMIT")
            eventually(lambda: len(sink.received()) == 3, "sent once the lock is gone")
            eventually(
                lambda: (
                    db.execute(
                        "SELECT count(*) FROM notifications_outboxmessage WHERE status = 'sent'"
                    ).fetchone()[0]
                    == 3
                ),
                "marked sent",
            )
        finally:
            worker.stop()
            db.close()
    assert sorted(sink.by_recipient()) == [f"p{n}@example.org" for n in range(3)]


def test_back_off_doubles_with_jitter_up_to_six_hours(settings: Any) -> None:
    import random

    from kaffeeklatsch.notifications.transport import MAX_DELAY, backoff

    settings.EMAIL_RETRY_SECONDS = 60
    rng = random.Random(5)
    for attempts in range(1, 16):
        full = min(60 * 2 ** (attempts - 1), MAX_DELAY.total_seconds())
        waits = {backoff(attempts, rng).total_seconds() for _ in range(20)}
        assert all(full / 2 <= w <= full for w in waits)
        assert len(waits) > 1  # spread out, not all at the same moment
