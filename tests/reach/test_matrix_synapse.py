"""The Matrix channel against a real Synapse homeserver on loopback (one per session),
checked as the receiving people see it through the client-server API. A second one
keeps Synapse's default rate limits and runs on a faster clock (see tests/support/synapse.py);
the jobs' times are moved back by what its clock ran ahead, so that both agree on how
much time has passed."""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection, connections
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.jobs.queue import WINDOW, run_due, run_one
from kaffeeklatsch.notifications.transport import MAX_ATTEMPTS as EMAIL_ATTEMPTS
from kaffeeklatsch.reach.channels import TRANSPORTS, TransportError
from kaffeeklatsch.reach.channels import base as channel_base
from kaffeeklatsch.reach.jobs import CHAT_KINDS
from kaffeeklatsch.reach.models import ChatChannel, ChatHandle
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support import synapse
from tests.support.web import login

# The homeservers listen on loopback, which outbound requests may reach only when allowed.
pytestmark = pytest.mark.usefixtures("allow_loopback")

#: The clock of the homeserver with default limits runs this many times faster.
SPEED = 20

LINES = ["Round 3 is out", "Anna <script>alert(1)</script> & a participant", "Have fun"]


class Round:
    pk = 41
    number = 3

    class programme:  # noqa: N801 - stands in for the model attribute
        name = "Kaffee im Haus"


@pytest.fixture(scope="session")
def homeserver() -> Iterator[synapse.Synapse]:
    with tempfile.TemporaryDirectory(prefix="synapse-") as directory:
        server = synapse.start(Path(directory))
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def default_homeserver() -> Iterator[synapse.Synapse]:
    with tempfile.TemporaryDirectory(prefix="synapse-") as directory:
        server = synapse.start(Path(directory), default_limits=True, speed=SPEED)
        try:
            yield server
        finally:
            server.stop()


def advance(seconds: float) -> None:
    """Time passes for the waiting chat jobs: their times move back by ``seconds``."""
    shift = dt.timedelta(seconds=seconds)
    chat_jobs().filter(status=Job.Status.PENDING).update(
        run_at=F("run_at") - shift,
        created_at=F("created_at") - shift,
        retry_until=F("retry_until") - shift,
    )


def drain(speed: float = 1, limit: int = 2000) -> Counter[int]:
    """Runs the chat jobs until none waits, waiting each time until the next is due, as
    measured on a server whose clock runs ``speed`` times faster. Returns how often each
    job was put back."""
    put_back: Counter[int] = Counter()
    for _round in range(limit):
        run_due()
        pending = chat_jobs().filter(status=Job.Status.PENDING)
        if not pending.exists():
            return put_back
        put_back.update(pending.values_list("pk", flat=True))
        wait = max((min(job.run_at for job in pending) - timezone.now()).total_seconds(), 0)
        time.sleep(wait / speed)
        advance(wait - wait / speed)
    raise AssertionError(f"chat jobs still waiting after {limit} rounds")


def two_workers() -> None:
    """Two workers run the queue at the same time until no job waits; a job deferred
    while the other worker held the bot's lock is due again at once."""
    barrier = threading.Barrier(2)

    def worker() -> None:
        barrier.wait()
        try:
            for _round in range(1000):
                if not run_one():
                    pending = Job.objects.filter(status=Job.Status.PENDING)
                    if not pending.exists():
                        return
                    pending.update(run_at=timezone.now())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def matrix(server: synapse.Synapse, bot: synapse.User, room_id: str) -> Any:
    cls = TRANSPORTS["matrix"]
    return cls(
        cls.validate({"homeserver": server.url, "access_token": bot.token, "room_id": room_id})
    )


def channel_of(programme: Any, server: synapse.Synapse, bot: synapse.User, room: str) -> Any:
    return ChatChannel.objects.create(
        programme=programme,
        kind="matrix",
        config={"homeserver": server.url, "access_token": bot.token, "room_id": room},
    )


def people(programme: Any, make_participant: Any, server: synapse.Synapse, channel: Any, n: int):
    users = []
    for i in range(n):
        user = server.register()
        server.unlimited(user)
        person = make_participant(programme, f"Person {i}")
        ChatHandle.objects.create(participant=person, channel=channel, handle=user.user_id)
        users.append(user)
    return users


def chat_jobs() -> Any:
    return Job.objects.filter(kind__in=CHAT_KINDS)


def direct_messages(user: synapse.User) -> dict[str, list[dict[str, Any]]]:
    """Accepts the user's invitations, as a person would, and reads each room."""
    for room_id in user.invites():
        user.join(room_id)
    return {room: user.messages(room) for room in user.joined_rooms()}


def test_rooms_of_every_room_version_are_accepted_joined_and_get_formatted_messages(
    homeserver: synapse.Synapse,
) -> None:
    versions = homeserver.room_versions()
    assert "12" in versions and "1" in versions
    organiser = homeserver.register()
    homeserver.unlimited(organiser)
    bot = homeserver.register()
    homeserver.unlimited(bot)
    for version in versions:
        room_id = organiser.create_room(room_version=version, invite=[bot.user_id])
        if version == "12":
            assert ":" not in room_id  # no server part any more
        # The channel form accepts the id, and the bot joins the room it was invited to.
        matrix(homeserver, bot, room_id).announce(Round, LINES)
        assert organiser.members(room_id)[bot.user_id] == "join"
        [message] = organiser.messages(room_id)
        content = message["content"]
        assert message["sender"] == bot.user_id
        assert content["body"] == "\n".join([LINES[0], *(f"- {line}" for line in LINES[1:])])
        assert content["format"] == "org.matrix.custom.html"
        assert content["formatted_body"].startswith("<p><strong>Round 3 is out</strong></p>")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content["formatted_body"]
        assert "<script>" not in content["formatted_body"]


def test_names_reach_people_as_text_and_notify_nobody(homeserver: synapse.Synapse) -> None:
    """A name with ``@room``, the reader's own name, HTML and a link: the reader sees it
    as text, and neither the room nor the reader is notified; a message that says
    ``@room`` itself does notify, so the check can fail."""
    organiser = homeserver.register()
    reader = homeserver.register()
    bot = homeserver.register()
    for user in (organiser, reader, bot):
        homeserver.unlimited(user)
    # The bot may notify the room (power level 50), so only the message decides.
    room_id = organiser.create_room(
        invite=[bot.user_id, reader.user_id],
        power_level_content_override={"users": {bot.user_id: 50}},
    )
    reader.join(room_id)
    name = (
        f"Eve @room {reader.user_id} <b>bold</b> "
        '<a href="https://evil.example/reset">Reset your password</a> http://evil.example'
    )
    matrix(homeserver, bot, room_id).announce(Round, ["Round 3 is out", f"{name} & Ben"])
    [message] = reader.messages(room_id)
    content = message["content"]
    assert content["m.mentions"] == {}
    body, formatted = content["body"], content["formatted_body"]
    assert "@room" not in body and "@room" not in formatted
    assert "http://" not in body and "http://" not in formatted
    assert "<b>" not in formatted and "<a" not in formatted
    assert "&lt;b&gt;bold&lt;/b&gt;" in formatted
    assert "Reset your password" in body and "Eve @\u2060room" in body
    assert formatted.startswith("<p><strong>Round 3 is out</strong></p><ul><li>Eve ")

    def highlights() -> list[str]:
        reply = reader.call("GET", "/_matrix/client/v3/notifications?only=highlight")
        return [n["event"]["event_id"] for n in reply["notifications"]]

    assert message["event_id"] not in highlights()
    loud = bot.call(
        "PUT",
        f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/send/m.room.message/loud",
        {"msgtype": "m.text", "body": "@room hello"},
    )
    assert loud["event_id"] in highlights()


def test_a_room_the_bot_is_not_invited_to_is_a_permanent_failure(
    homeserver: synapse.Synapse,
) -> None:
    organiser = homeserver.register()
    bot = homeserver.register()
    room_id = organiser.create_room(preset="private_chat")
    with pytest.raises(TransportError) as failure:
        matrix(homeserver, bot, room_id).announce(Round, LINES)
    assert failure.value.permanent
    assert [m["content"]["body"] for m in organiser.messages(room_id)] == []


@pytest.mark.django_db
def test_direct_rooms_and_a_person_who_left_gets_a_new_one(
    homeserver: synapse.Synapse, programme: Any, make_participant: Any
) -> None:
    bot = homeserver.register()
    homeserver.unlimited(bot)
    room = homeserver.register().create_room(invite=[bot.user_id])
    channel = channel_of(programme, homeserver, bot, room)
    users = people(programme, make_participant, homeserver, channel, 4)
    publish_round(preview_round(programme))
    run_due()
    assert list(chat_jobs().exclude(status="done").values("kind", "last_error")) == []
    first = {}
    for user in users:
        [(room_id, [message])] = direct_messages(user).items()
        assert "round 1" in message["content"]["body"]
        assert message["content"]["format"] == "org.matrix.custom.html"
        assert "<ul><li>" in message["content"]["formatted_body"]
        assert set(user.members(room_id)) == {user.user_id, bot.user_id}
        first[user.user_id] = room_id
    assert {k: v[-1] for k, v in bot.direct().items()} == first

    # The next round reuses the rooms; the one person who left gets a new room.
    leaver = users[0]
    leaver.leave(first[leaver.user_id])
    publish_round(preview_round(programme))
    run_due()
    for user in users[1:]:
        rooms = direct_messages(user)
        assert list(rooms) == [first[user.user_id]]
        assert "round 2" in rooms[first[user.user_id]][-1]["content"]["body"]
    [(new_room, [message])] = direct_messages(leaver).items()
    assert new_room != first[leaver.user_id] and "round 2" in message["content"]["body"]
    assert bot.direct()[leaver.user_id][-1] == new_room
    # Nothing went into the room the person had left.
    round_two = [m for m in bot.messages(first[leaver.user_id]) if "round 2" in str(m)]
    assert round_two == []
    assert ChatHandle.objects.filter(last_error="", last_sent_at__isnull=False).count() == 4


@pytest.mark.django_db
def test_rate_limits_are_waited_out_and_no_message_is_lost(
    homeserver: synapse.Synapse,
    programme: Any,
    make_participant: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bot = homeserver.register()  # keeps Synapse's low message rate limit
    room = homeserver.register().create_room(invite=[bot.user_id])
    channel = channel_of(programme, homeserver, bot, room)
    users = people(programme, make_participant, homeserver, channel, 5)
    statuses: list[int | None] = []
    request = channel_base._request

    def counted(*args: Any) -> Any:
        try:
            return request(*args)
        except TransportError as exc:
            statuses.append(exc.status)
            raise

    monkeypatch.setattr(channel_base, "_request", counted)
    publish_round(preview_round(programme))
    drain()
    assert 429 in statuses  # Synapse did limit the bot
    # The waits Synapse asked for used up no attempt.
    assert {(job.attempts, job.status) for job in chat_jobs()} == {(1, "done")}
    for user in users:
        [(_room, [message])] = direct_messages(user).items()
        assert "round 1" in message["content"]["body"]


def outage(
    programme: Any, make_participant: Any, server: synapse.Synapse
) -> tuple[synapse.User, synapse.User, str, Any]:
    """A channel with one person whose homeserver's address answers nothing."""
    bot = server.register()
    server.unlimited(bot)
    organiser = server.register()
    room = organiser.create_room(invite=[bot.user_id])
    channel = channel_of(programme, server, bot, room)
    [user] = people(programme, make_participant, server, channel, 1)
    make_participant(programme, "Without chat")
    channel.config = {**channel.config, "homeserver": f"http://127.0.0.1:{synapse._free_port()}"}
    channel.save()
    return organiser, user, room, channel


def wait_out(hours: float) -> tuple[dt.timedelta, int]:
    """Tries the chat jobs again and again, each time after the wait the queue chose,
    while less than ``hours`` have passed or until they are no longer waiting; returns
    how long that was and how often they were tried."""
    waited, tries = dt.timedelta(), 0
    while waited < dt.timedelta(hours=hours):
        run_due()
        tries += 1
        pending = list(chat_jobs().filter(status=Job.Status.PENDING))
        if not pending:
            break
        wait = min(job.run_at for job in pending) - timezone.now()
        advance(wait.total_seconds())
        waited += wait
    return waited, tries


@pytest.mark.django_db
def test_an_outage_of_hours_is_survived(
    homeserver: synapse.Synapse, programme: Any, make_participant: Any
) -> None:
    organiser, user, room, channel = outage(programme, make_participant, homeserver)
    publish_round(preview_round(programme))
    waited, tries = wait_out(hours=20)
    assert {job.status for job in chat_jobs()} == {Job.Status.PENDING}
    assert waited >= dt.timedelta(hours=20)
    assert tries > EMAIL_ATTEMPTS  # bounded by time, not by e-mail's number of attempts
    assert "connection failed" in ChatChannel.objects.get().last_error
    # Back after 20 hours: the next attempt delivers both messages.
    ChatChannel.objects.filter(pk=channel.pk).update(
        config={**channel.config, "homeserver": homeserver.url}
    )
    advance(max((job.run_at - timezone.now()).total_seconds() for job in chat_jobs()))
    run_due()
    assert set(chat_jobs().values_list("status", flat=True)) == {Job.Status.DONE}
    assert "round 1" in organiser.messages(room)[0]["content"]["body"]
    [(_room, [message])] = direct_messages(user).items()
    assert "round 1" in message["content"]["body"]
    assert ChatChannel.objects.get().last_error == ""
    assert ChatHandle.objects.get().last_error == ""


@pytest.mark.django_db
def test_an_outage_longer_than_the_window_ends_as_failed_and_is_shown(
    homeserver: synapse.Synapse,
    programme: Any,
    make_participant: Any,
    client: Any,
    organiser: Any,
) -> None:
    outage(programme, make_participant, homeserver)
    publish_round(preview_round(programme))
    waited, _tries = wait_out(hours=48)
    # Tried until the end of the window (a last try at its end), then given up.
    assert set(chat_jobs().values_list("status", flat=True)) == {Job.Status.FAILED}
    assert WINDOW - dt.timedelta(minutes=1) <= waited <= WINDOW
    login(client, organiser)
    page = client.get(reverse("reach:settings", args=[programme.pk])).content.decode()
    assert "The chat server could not be reached." in page
    assert page.count("Send again") >= 2


@pytest.mark.django_db
def test_a_matrix_id_on_an_unreachable_server_is_retried_then_refused_shown_and_tried_again(
    homeserver: synapse.Synapse,
    programme: Any,
    make_participant: Any,
    client: Any,
    organiser: Any,
) -> None:
    bot = homeserver.register()
    homeserver.unlimited(bot)
    room = homeserver.register().create_room(invite=[bot.user_id])
    channel = channel_of(programme, homeserver, bot, room)
    [user] = people(programme, make_participant, homeserver, channel, 1)
    far = make_participant(programme, "Far Away")
    for name in ("Carla", "Dora"):
        make_participant(programme, name)
    ChatHandle.objects.create(participant=far, channel=channel, handle="@far:unreachable.invalid")
    publish_round(preview_round(programme))
    run_due()
    # Synapse answers 502, as a passing federation problem does: tried again, not refused.
    job = Job.objects.get(kind="reach_direct", payload__handle=far.chat_handles.get().pk)
    assert job.status == Job.Status.PENDING and job.attempts == 1
    handle = ChatHandle.objects.get(participant=far)
    assert not handle.refused and "cannot be reached" in handle.last_error
    # No empty room is left behind: the bot is in the channel and the direct room only.
    assert set(bot.joined_rooms()) == {room, *bot.direct()[user.user_id]}
    assert "@far:unreachable.invalid" not in bot.direct()
    # The announcement's success does not hide the direct message's failure.
    assert ChatChannel.objects.get().last_error == ""
    # Unreachable for the whole window: given up, and the handle remembered as refused.
    wait_out(hours=48)
    job.refresh_from_db()
    handle.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.attempts > 1
    assert handle.refused
    assert set(bot.joined_rooms()) == {room, *bot.direct()[user.user_id]}
    login(client, organiser)
    page = client.get(reverse("reach:settings", args=[programme.pk])).content.decode()
    assert "The Matrix ID cannot be reached on its server." in page
    assert "Direct message of round 1 to Far Away" in page
    assert "Chat handles skipped" in page and "@far:unreachable.invalid" in page
    # Remembered: the next round, with Far Away in it again, does not try again.
    second = publish_round(preview_round(programme))
    assert second.groups.filter(members=far).exists()
    assert Job.objects.filter(kind="reach_direct", payload__handle=handle.pk).count() == 1
    rooms = set(bot.joined_rooms())
    run_due()
    assert set(bot.joined_rooms()) == rooms
    # The organiser tries the handle again: its failed message is queued afresh and the
    # next round sends to it too.
    url = reverse("reach:handle_try_again", args=[programme.pk, handle.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    handle.refresh_from_db()
    job.refresh_from_db()
    assert not handle.refused
    assert job.status == Job.Status.PENDING and job.attempts == 0
    page = client.get(reverse("reach:settings", args=[programme.pk])).content.decode()
    assert "Chat handles skipped" not in page
    publish_round(preview_round(programme))
    assert Job.objects.filter(kind="reach_direct", payload__handle=handle.pk).count() == 2
    # A handle that is not refused (or of another programme) cannot be "tried again".
    assert client.post(url).status_code == 404


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_keep_every_direct_room_and_open_no_second_one(
    homeserver: synapse.Synapse, organiser: Any, make_programme: Any, make_participant: Any
) -> None:
    assert connection.vendor == "postgresql"
    programme = make_programme(organiser, language="en")
    bot = homeserver.register()
    homeserver.unlimited(bot)
    room = homeserver.register().create_room(invite=[bot.user_id])
    channel = channel_of(programme, homeserver, bot, room)
    users = people(programme, make_participant, homeserver, channel, 6)
    publish_round(preview_round(programme))
    # Each person's message twice in a row (as after a "send again"), so that the two
    # workers take the same person at the same time.
    jobs = list(Job.objects.filter(kind="reach_direct"))
    Job.objects.filter(kind="reach_direct").delete()
    for job in jobs:
        for _twice in range(2):
            Job.objects.create(kind=job.kind, payload=job.payload, run_at=job.run_at)
    two_workers()
    assert set(chat_jobs().values_list("status", flat=True)) == {Job.Status.DONE}
    direct = bot.direct()
    assert sorted(direct) == sorted(u.user_id for u in users)
    for user in users:
        assert len(direct[user.user_id]) == 1  # no second room
        assert list(direct_messages(user)) == direct[user.user_id]


@pytest.mark.django_db
def test_a_large_first_round_on_synapse_default_limits_delivers_every_direct_message(
    default_homeserver: synapse.Synapse,
    programme: Any,
    make_participant: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = default_homeserver
    bot = server.register()  # Synapse's default limits: about one new room a minute
    room = server.register().create_room(invite=[bot.user_id])
    channel = channel_of(programme, server, bot, room)
    users = people(programme, make_participant, server, channel, 30)
    asked: list[float] = []
    request = channel_base._request

    def counted(*args: Any) -> Any:
        try:
            return request(*args)
        except TransportError as exc:
            if exc.status == 429 and exc.retry_after is not None:
                asked.append(exc.retry_after)
            raise

    monkeypatch.setattr(channel_base, "_request", counted)
    assert channel_base.MAX_INLINE_WAIT == 30
    # On the server's faster clock a wait waited out in the request would last SPEED
    # times too long: every wait goes back to the queue, whose time is simulated.
    monkeypatch.setattr(channel_base, "MAX_INLINE_WAIT", 0)
    publish_round(preview_round(programme))
    put_back = drain(speed=SPEED)
    # Synapse asked for waits far longer than a request waits (a room a minute), and
    # some message waited more often than e-mail's number of attempts.
    assert max(asked) > 30  # the longest wait a request waits out by default
    assert max(put_back.values()) > EMAIL_ATTEMPTS
    assert {(job.attempts, job.status) for job in chat_jobs()} == {(1, "done")}
    direct = bot.direct()
    assert sorted(direct) == sorted(u.user_id for u in users)
    for user in users:
        [(room_id, [message])] = direct_messages(user).items()
        assert direct[user.user_id] == [room_id]
        assert "round 1" in message["content"]["body"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_programmes_sharing_a_bot_and_two_workers_keep_one_room_per_person(
    homeserver: synapse.Synapse, organiser: Any, make_programme: Any, make_participant: Any
) -> None:
    assert connection.vendor == "postgresql"
    bot = homeserver.register()
    homeserver.unlimited(bot)
    both = [homeserver.register() for _ in range(4)]
    only: dict[int, list[synapse.User]] = {}
    for i in range(2):
        programme = make_programme(organiser, name=f"Haus {i}", language="en")
        room = homeserver.register().create_room(invite=[bot.user_id])
        channel = channel_of(programme, homeserver, bot, room)
        only[i] = people(programme, make_participant, homeserver, channel, 3)
        for j, user in enumerate(both):
            person = make_participant(programme, f"Both {j}")
            ChatHandle.objects.create(participant=person, channel=channel, handle=user.user_id)
        publish_round(preview_round(programme))
    assert Job.objects.filter(kind="reach_direct").count() == 2 * (3 + 4)
    two_workers()
    assert set(chat_jobs().values_list("status", "attempts")) == {(Job.Status.DONE, 1)}
    direct = bot.direct()
    everyone = [*both, *only[0], *only[1]]
    assert sorted(direct) == sorted(u.user_id for u in everyone)
    for user in everyone:
        assert len(direct[user.user_id]) == 1  # no second room, no lost entry
        rooms = direct_messages(user)
        assert list(rooms) == direct[user.user_id]
        # People in both programmes got both programmes' messages in their one room.
        expected = 2 if user in both else 1
        assert len(rooms[direct[user.user_id][0]]) == expected
