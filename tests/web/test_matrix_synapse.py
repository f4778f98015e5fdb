"""The Matrix channel against a real Synapse homeserver on loopback (one per session),
checked as the receiving people see it through the client-server API."""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.jobs.queue import run_due, run_one
from kaffeeklatsch.reach.channels import TRANSPORTS, TransportError
from kaffeeklatsch.reach.channels import base as channel_base
from kaffeeklatsch.reach.jobs import CHAT_KINDS
from kaffeeklatsch.reach.models import ChatChannel, ChatHandle
from kaffeeklatsch.rounds.services import preview_round, publish_round
from tests.web import synapse
from tests.web.conftest import login

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
        assert content["body"] == "\n".join(LINES)
        assert content["format"] == "org.matrix.custom.html"
        assert content["formatted_body"].startswith("<p><strong>Round 3 is out</strong></p>")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content["formatted_body"]
        assert "<script>" not in content["formatted_body"]


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
    run_due()
    assert 429 in statuses  # Synapse did limit the bot
    assert {(job.attempts, job.status) for job in chat_jobs()} == {(1, "done")}
    for user in users:
        [(_room, [message])] = direct_messages(user).items()
        assert "round 1" in message["content"]["body"]


@pytest.mark.django_db
def test_an_outage_of_hours_is_survived(
    homeserver: synapse.Synapse, programme: Any, make_participant: Any
) -> None:
    bot = homeserver.register()
    homeserver.unlimited(bot)
    organiser = homeserver.register()
    room = organiser.create_room(invite=[bot.user_id])
    channel = channel_of(programme, homeserver, bot, room)
    [user] = people(programme, make_participant, homeserver, channel, 1)
    make_participant(programme, "Without chat")
    # The homeserver is away: its address answers nothing.
    channel.config = {**channel.config, "homeserver": f"http://127.0.0.1:{synapse._free_port()}"}
    channel.save()
    publish_round(preview_round(programme))
    waited = dt.timedelta()
    for _attempt in range(7):
        before = timezone.now()
        run_due()
        jobs = list(chat_jobs())
        assert {job.status for job in jobs} == {Job.Status.PENDING}
        waited += min(job.run_at - before for job in jobs)
        chat_jobs().update(run_at=timezone.now())  # time passes
    assert waited > dt.timedelta(hours=1)
    page_channel = ChatChannel.objects.get()
    assert "connection failed" in page_channel.last_error
    # Back after hours: the last attempt delivers both messages.
    ChatChannel.objects.filter(pk=channel.pk).update(
        config={**channel.config, "homeserver": homeserver.url}
    )
    run_due()
    assert set(chat_jobs().values_list("status", "attempts")) == {(Job.Status.DONE, 8)}
    assert "round 1" in organiser.messages(room)[0]["content"]["body"]
    [(_room, [message])] = direct_messages(user).items()
    assert "round 1" in message["content"]["body"]
    assert ChatChannel.objects.get().last_error == ""
    assert ChatHandle.objects.get().last_error == ""


@pytest.mark.django_db
def test_a_matrix_id_on_an_unreachable_server_is_refused_once_and_remembered(
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
    job = Job.objects.get(kind="reach_direct", payload__handle=far.chat_handles.get().pk)
    assert job.status == Job.Status.FAILED and job.attempts == 1
    handle = ChatHandle.objects.get(participant=far)
    assert handle.refused and "cannot be invited" in handle.last_error
    # No empty room is left behind: the bot is in the channel and the direct room only.
    assert set(bot.joined_rooms()) == {room, *bot.direct()[user.user_id]}
    assert "@far:unreachable.invalid" not in bot.direct()
    # The announcement's success does not hide the direct message's failure.
    assert ChatChannel.objects.get().last_error == ""
    login(client, organiser)
    page = client.get(reverse("reach:settings", args=[programme.pk])).content.decode()
    assert "The Matrix ID cannot be reached on its server." in page
    assert "Direct message of round 1 to Far Away" in page
    # Remembered: the next round, with Far Away in it again, does not try again.
    second = publish_round(preview_round(programme))
    assert second.groups.filter(members=far).exists()
    assert Job.objects.filter(kind="reach_direct", payload__handle=handle.pk).count() == 1
    rooms = set(bot.joined_rooms())
    run_due()
    assert set(bot.joined_rooms()) == rooms


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
    barrier = threading.Barrier(2)

    def worker() -> None:
        barrier.wait()
        try:
            while run_one():
                pass
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(chat_jobs().values_list("status", flat=True)) == {Job.Status.DONE}
    direct = bot.direct()
    assert sorted(direct) == sorted(u.user_id for u in users)
    for user in users:
        assert len(direct[user.user_id]) == 1  # no second room
        assert list(direct_messages(user)) == direct[user.user_id]
