"""Each chat transport against a local HTTP server on loopback that checks the request
the way the platform documents it; then the whole path from publishing a round through
the job queue to the channel, with retries and consent for names."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.jobs.queue import run_due
from kaffeeklatsch.reach.channels import TRANSPORTS, TransportError
from kaffeeklatsch.reach.models import ChatChannel, ChatHandle
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.web import login, sign_in_participant

# The chat servers of these tests listen on loopback, which the default refuses.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback", "public_dns")]

LINES = ["Round 3 is out", "Anna & a participant", "and 2 more groups"]
DIRECT = ["You meet", "Ben"]


class Recorder:
    """Answers every request to one path and keeps it for the test to inspect."""

    def __init__(self, server: HTTPServer, path: str, reply: Any = None, status: int = 200):
        self.requests: list[dict[str, Any]] = []
        self.reply = reply if reply is not None else {}
        self.status = status

        def handle(request: Request) -> Response:
            self.requests.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "headers": dict(request.headers),
                    "body": request.get_data(),
                    "form": request.form.to_dict(flat=False) if request.form else {},
                    "auth": request.authorization,
                }
            )
            return Response(json.dumps(self.reply), self.status, content_type="application/json")

        server.expect_request(path).respond_with_handler(handle)

    def json(self, i: int = 0) -> Any:
        return json.loads(self.requests[i]["body"])


class FakeRound:
    pk = 41
    number = 3

    class programme:  # noqa: N801 - stands in for the model attribute
        name = "Kaffee im Haus"


def transport(kind: str, **config: str) -> Any:
    cls = TRANSPORTS[kind]
    return cls(cls.validate(config))


def test_mattermost_webhook_and_api_v4_direct_message(httpserver: HTTPServer) -> None:
    base = httpserver.url_for("").rstrip("/")
    hook = Recorder(httpserver, "/hooks/xyz", reply={})
    me = Recorder(httpserver, "/api/v4/users/me", {"id": "bot1"})
    user = Recorder(httpserver, "/api/v4/users/username/anna.schmidt", {"id": "user7"})
    direct = Recorder(httpserver, "/api/v4/channels/direct", {"id": "dm9"})
    post = Recorder(httpserver, "/api/v4/posts", {"id": "post1"}, status=201)
    t = transport(
        "mattermost", webhook_url=f"{base}/hooks/xyz", server_url=base, bot_token="mm-token"
    )
    t.announce(FakeRound, LINES)
    assert hook.requests[0]["method"] == "POST"
    assert hook.json() == {
        "text": "**Round 3 is out**\n- Anna & a participant\n- and 2 more groups"
    }
    t.direct_message("anna.schmidt", DIRECT)
    assert me.requests[0]["method"] == "GET" and user.requests[0]["method"] == "GET"
    for r in (me, user, direct, post):
        assert r.requests[0]["headers"]["Authorization"] == "Bearer mm-token"
    assert direct.requests[0]["method"] == "POST" and direct.json() == ["bot1", "user7"]
    assert post.json() == {"channel_id": "dm9", "message": "**You meet**\n- Ben"}


def test_slack_bot_token_webhook_and_direct_message(httpserver: HTTPServer) -> None:
    base = httpserver.url_for("").rstrip("/")
    post = Recorder(httpserver, "/api/chat.postMessage", {"ok": True, "ts": "1"})
    opened = Recorder(httpserver, "/api/conversations.open", {"ok": True, "channel": {"id": "D42"}})
    t = transport("slack", bot_token="xoxb-1", channel="C0123", api_url=f"{base}/api")
    t.announce(FakeRound, LINES)
    req = post.requests[0]
    assert req["method"] == "POST" and req["headers"]["Authorization"] == "Bearer xoxb-1"
    assert req["headers"]["Content-Type"].startswith("application/json")
    quiet = {"parse": "none", "link_names": False, "unfurl_links": False, "unfurl_media": False}
    assert post.json() == {
        "channel": "C0123",
        "text": "*Round 3 is out*\n• Anna &amp; a participant\n• and 2 more groups",
        **quiet,
    }
    t.direct_message("U0ANNA", DIRECT)
    assert opened.json() == {"users": "U0ANNA"}
    assert post.json(1) == {"channel": "D42", "text": "*You meet*\n• Ben", **quiet}

    hook = Recorder(httpserver, "/services/T/B/X", reply={})
    transport("slack", webhook_url=f"{base}/services/T/B/X").announce(FakeRound, LINES)
    assert hook.json()["text"].startswith("*Round 3 is out*")
    assert hook.json()["parse"] == "none" and hook.json()["link_names"] is False


def test_slack_reports_ok_false_and_does_not_retry_bad_tokens(httpserver: HTTPServer) -> None:
    base = httpserver.url_for("").rstrip("/")
    Recorder(httpserver, "/api/chat.postMessage", {"ok": False, "error": "invalid_auth"})
    t = transport("slack", bot_token="xoxb-1", channel="C0123", api_url=f"{base}/api")
    with pytest.raises(TransportError) as caught:
        t.announce(FakeRound, LINES)
    assert caught.value.permanent and "invalid_auth" in caught.value.message


def test_rocketchat_post_message_with_token_headers(httpserver: HTTPServer) -> None:
    base = httpserver.url_for("").rstrip("/")
    post = Recorder(httpserver, "/api/v1/chat.postMessage", {"success": True})
    t = transport(
        "rocketchat", server_url=base, user_id="uid1", auth_token="tok1", channel="coffee"
    )
    t.announce(FakeRound, LINES)
    t.direct_message("anna", DIRECT)
    for req in post.requests:
        assert req["method"] == "POST"
        assert req["headers"]["X-Auth-Token"] == "tok1" and req["headers"]["X-User-Id"] == "uid1"
    assert post.json(0)["channel"] == "#coffee"
    assert post.json(1) == {"channel": "@anna", "text": "**You meet**\n- Ben"}


def test_zulip_form_encoded_with_basic_auth(httpserver: HTTPServer) -> None:
    base = httpserver.url_for("").rstrip("/")
    post = Recorder(httpserver, "/api/v1/messages", {"result": "success", "id": 1})
    t = transport(
        "zulip", site=base, bot_email="bot@zulip.example.org", api_key="zkey", stream="social"
    )
    t.announce(FakeRound, LINES)
    t.direct_message("anna@example.org", DIRECT)
    first, second = post.requests
    for req in (first, second):
        assert req["method"] == "POST"
        assert req["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
        assert req["auth"].username == "bot@zulip.example.org" and req["auth"].password == "zkey"
    assert first["form"] == {
        "type": ["stream"],
        "to": ["social"],
        "topic": ["Kaffeeklatsch"],
        "content": ["**Round 3 is out**\n- Anna & a participant\n- and 2 more groups"],
    }
    assert second["form"]["type"] == ["private"]
    assert json.loads(second["form"]["to"][0]) == ["anna@example.org"]
    assert second["form"]["content"] == ["**You meet**\n- Ben"]


def test_teams_posts_an_adaptive_card(httpserver: HTTPServer) -> None:
    base = httpserver.url_for("").rstrip("/")
    hook = Recorder(httpserver, "/workflows/abc", reply={})
    t = transport("teams", webhook_url=f"{base}/workflows/abc")
    t.announce(FakeRound, LINES)
    body = hook.json()
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"]
    texts = ["".join(run["text"] for run in block["inlines"]) for block in card["body"]]
    assert texts == [LINES[0], *(f"• {line}" for line in LINES[1:])]
    assert {block["type"] for block in card["body"]} == {"RichTextBlock"}
    assert card["body"][0]["inlines"][0]["weight"] == "bolder"
    assert card["fallbackText"] == "Round 3 is out\n- Anna & a participant\n- and 2 more groups"
    assert not t.can_send_direct()
    with pytest.raises(TransportError):
        t.direct_message("anyone", DIRECT)


def test_webhook_body_is_signed_with_the_shared_secret(httpserver: HTTPServer) -> None:
    base = httpserver.url_for("").rstrip("/")
    hook = Recorder(httpserver, "/receive", reply={})
    secret = "a-shared-secret-of-some-length"
    transport("webhook", url=f"{base}/receive", secret=secret).announce(FakeRound, LINES)
    req = hook.requests[0]
    timestamp = req["headers"]["X-Kaffeeklatsch-Timestamp"]
    assert abs(int(timestamp) - timezone.now().timestamp()) < 3600
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + req["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(req["headers"]["X-Kaffeeklatsch-Signature"], "sha256=" + expected)
    wrong = hmac.new(
        b"another-secret-entirely", timestamp.encode() + b"." + req["body"], hashlib.sha256
    ).hexdigest()
    assert req["headers"]["X-Kaffeeklatsch-Signature"] != "sha256=" + wrong
    payload = json.loads(req["body"])
    assert payload["event"] == "round.published" and payload["round"] == 3
    assert payload["title"] == LINES[0] and payload["lines"] == LINES[1:]


@pytest.mark.parametrize(
    ("kind", "config", "field"),
    [
        ("matrix", {"homeserver": "ftp://x", "access_token": "t", "room_id": "!a:b"}, "homeserver"),
        (
            "matrix",
            {"homeserver": "https://m.example.org", "access_token": "t", "room_id": "#a"},
            "room_id",
        ),
        ("webhook", {"url": "https://x.example.org/h", "secret": "short"}, "secret"),
        (
            "zulip",
            {"site": "https://z.example.org", "bot_email": "no", "api_key": "k", "stream": "s"},
            "bot_email",
        ),
        ("slack", {"bot_token": "xoxb-1"}, "channel"),
    ],
)
def test_bad_settings_are_refused_per_field(kind: str, config: dict, field: str) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        TRANSPORTS[kind].validate(config)
    assert field in caught.value.error_dict


# ---------------------------------------------------------------------------
# Connecting a channel in the browser


def test_connecting_a_channel_keeps_secrets_hidden(
    client: Any, organiser: Any, programme: Any, httpserver: HTTPServer
) -> None:
    base = httpserver.url_for("").rstrip("/")
    login(client, organiser)
    url = reverse("reach:channel_add", args=[programme.pk, "matrix"])
    bad = client.post(url, {"homeserver": "not a url", "access_token": "", "room_id": "!a:b"})
    assert bad.status_code == 200 and not ChatChannel.objects.exists()
    assert "Please enter an address starting with https://." in bad.content.decode()
    secret = "syt_very_secret_token_1234"
    response = client.post(
        url,
        {
            "name": "Kaffee-Raum",
            "homeserver": base,
            "access_token": secret,
            "room_id": "!coffee:example.org",
        },
    )
    assert response.status_code == 302
    channel = ChatChannel.objects.get()
    assert channel.config["access_token"] == secret
    edit = reverse("reach:channel_edit", args=[programme.pk, channel.pk])
    page = client.get(edit).content.decode()
    assert secret not in page and "••••1234" in page
    assert secret not in client.get(reverse("reach:settings", args=[programme.pk])).content.decode()
    # Saving with the secret left empty keeps it.
    client.post(
        edit,
        {"name": "Raum", "homeserver": base, "access_token": "", "room_id": "!other:example.org"},
    )
    channel.refresh_from_db()
    assert (
        channel.config["access_token"] == secret
        and channel.config["room_id"] == "!other:example.org"
    )
    client.post(reverse("reach:channel_remove", args=[programme.pk, channel.pk]))
    assert not ChatChannel.objects.exists()


# ---------------------------------------------------------------------------
# From publishing to the channel, through the job queue


@pytest.fixture
def four(programme: Any, make_participant: Any) -> list[Any]:
    return [
        make_participant(programme, "Anna Named", named_in_channels=True),
        make_participant(programme, "Ben Private"),
        make_participant(programme, "Carla Private"),
        make_participant(programme, "Dora Private"),
    ]


def matrix_channel(programme: Any, base: str) -> ChatChannel:
    return ChatChannel.objects.create(
        programme=programme,
        kind="matrix",
        config={
            "homeserver": base,
            "access_token": "syt_secret_token",
            "room_id": "!c:example.org",
        },
    )


def test_publishing_announces_through_the_queue_with_names_only_by_consent(
    programme: Any, four: list[Any], httpserver: HTTPServer
) -> None:
    base = httpserver.url_for("").rstrip("/")
    channel = matrix_channel(programme, base)
    rnd = publish_round(preview_round(programme))
    # Publishing only wrote a job: nothing was sent yet.
    assert Job.objects.filter(
        kind="reach_announce", payload={"channel": channel.pk, "round": rnd.pk}
    ).exists()
    send = Recorder(
        httpserver,
        f"/_matrix/client/v3/rooms/!c:example.org/send/m.room.message/kaffeeklatsch-round-{rnd.pk}",
    )
    run_due()
    [req] = send.requests
    text = json.loads(req["body"])["body"]
    assert "4 people meet in 2 groups" in text
    assert "Anna Named & a participant" in text
    assert "and 1 more group" in text
    for private in ("Ben Private", "Carla Private", "Dora Private"):
        assert private not in text
    channel.refresh_from_db()
    assert channel.last_sent_at is not None and channel.last_error == ""


def test_a_failing_server_is_retried_with_back_off_and_never_blocks_publishing(
    programme: Any, four: list[Any], httpserver: HTTPServer, caplog: Any
) -> None:
    base = httpserver.url_for("").rstrip("/")
    matrix_channel(programme, base)
    import re

    httpserver.expect_request(re.compile("^/_matrix/.*")).respond_with_data("down", status=503)
    rnd = publish_round(preview_round(programme))
    assert rnd.status == "published"
    with caplog.at_level(logging.WARNING):
        run_due()
    job = Job.objects.get(kind="reach_announce")
    assert job.status == Job.Status.PENDING and job.attempts == 1
    # The e-mail outbox's back-off: half of the first wait fixed, half random.
    assert job.run_at > timezone.now() + dt.timedelta(seconds=25)
    assert "HTTP 503" in job.last_error
    assert "syt_secret_token" not in caplog.text and "syt_secret_token" not in job.last_error
    # Later the server is back: the retry delivers.
    httpserver.clear()
    delivered = Recorder(httpserver, re.compile("^/_matrix/.*"))
    Job.objects.filter(pk=job.pk).update(run_at=timezone.now())
    run_due()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and len(delivered.requests) == 1


def test_a_wrong_token_is_shown_to_the_organiser_instead_of_retried(
    programme: Any, four: list[Any], httpserver: HTTPServer, client: Any, organiser: Any
) -> None:
    import re

    base = httpserver.url_for("").rstrip("/")
    channel = matrix_channel(programme, base)
    httpserver.expect_request(re.compile("^/_matrix/.*")).respond_with_json(
        {"errcode": "M_UNKNOWN_TOKEN"}, status=401
    )
    publish_round(preview_round(programme))
    run_due()
    job = Job.objects.get(kind="reach_announce")
    assert job.status == Job.Status.FAILED and job.attempts == 1
    channel.refresh_from_db()
    assert channel.last_error == "HTTP 401"
    login(client, organiser)
    page = client.get(reverse("reach:settings", args=[programme.pk])).content.decode()
    assert "Last delivery failed: HTTP 401" in page
    assert "The chat server refused access (HTTP 401)." in page
    assert reverse("reach:send_again", args=[programme.pk, job.pk]) in page


def test_people_opt_in_to_their_match_by_direct_message(
    client: Any, programme: Any, make_participant: Any, httpserver: HTTPServer
) -> None:

    base = httpserver.url_for("").rstrip("/")
    channel = matrix_channel(programme, base)
    anna = make_participant(programme, "Anna", language="de", shares="name")
    make_participant(programme, "Ben", email="ben@example.org", shares="email")
    sign_in_participant(client, anna)
    page = client.get(reverse("reach:chat")).content.decode()
    assert "Matrix-ID" in page  # Anna reads German
    bad = client.post(reverse("reach:chat"), {f"handle_{channel.pk}": "anna"})
    assert bad.status_code == 200 and not ChatHandle.objects.exists()
    client.post(reverse("reach:chat"), {f"handle_{channel.pk}": "@anna:example.org"})
    assert ChatHandle.objects.get().handle == "@anna:example.org"
    exported = json.loads(client.get(reverse("participants:export")).content)
    assert exported["chat_handles"] == [{"channel": "Matrix", "handle": "@anna:example.org"}]

    # Opting out again removes the handle.
    client.post(reverse("reach:chat"), {f"handle_{channel.pk}": ""})
    assert not ChatHandle.objects.exists()


@pytest.mark.parametrize("kind", sorted(TRANSPORTS))
def test_every_platform_has_a_settings_form_in_both_languages(
    kind: str, client: Any, german_client: Any, organiser: Any, programme: Any
) -> None:
    url = reverse("reach:channel_add", args=[programme.pk, kind])
    for browser, word in ((client, "Save"), (german_client, "Speichern")):
        login(browser, organiser)
        page = browser.get(url)
        assert page.status_code == 200 and word in page.content.decode()
    # Sending the empty form is refused and stores nothing.
    assert client.post(url, {}).status_code == 200
    assert not ChatChannel.objects.exists()


def test_direct_messages_are_offered_only_where_the_platform_allows_them(
    client: Any, programme: Any, make_participant: Any
) -> None:
    ChatChannel.objects.create(
        programme=programme, kind="teams", name="Teams", config={"webhook_url": "https://t.example"}
    )
    ChatChannel.objects.create(
        programme=programme,
        kind="mattermost",
        name="MM without bot",
        config={"webhook_url": "https://mm.example/hooks/1"},
    )
    with_bot = ChatChannel.objects.create(
        programme=programme,
        kind="mattermost",
        name="MM with bot",
        config={
            "webhook_url": "https://mm.example/hooks/1",
            "server_url": "https://mm.example",
            "bot_token": "tok",
        },
    )
    anna = make_participant(programme, "Anna")
    sign_in_participant(client, anna)
    page = client.get(reverse("reach:chat")).content.decode()
    assert "MM with bot" in page and "MM without bot" not in page and "Teams" not in page
    client.post(reverse("reach:chat"), {f"handle_{with_bot.pk}": "@anna.s"})
    assert ChatHandle.objects.get().handle == "anna.s"


def test_a_round_where_nobody_agreed_to_be_named_is_only_counted(
    programme: Any, make_participant: Any
) -> None:
    from kaffeeklatsch.reach.services import announcement_lines

    for n in range(4):
        make_participant(programme, f"Private {n}")
    rnd = publish_round(preview_round(programme), notify=False)
    lines = announcement_lines(rnd)
    text = "\n".join(lines)
    assert "4 people meet in 2 groups" in lines[0]
    assert "Private" not in text and len(lines) == 2


def test_the_admin_does_not_show_channel_secrets(client: Any, programme: Any) -> None:
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root-12345")
    channel = ChatChannel.objects.create(
        programme=programme,
        kind="webhook",
        config={"url": "https://hooks.example.org/secret-path", "secret": "s3cret-s3cret-s3cret"},
    )
    client.force_login(admin)
    for url in ("/admin/reach/chatchannel/", f"/admin/reach/chatchannel/{channel.pk}/change/"):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "s3cret" not in html and "secret-path" not in html


def test_redirects_are_not_followed_with_the_token(httpserver: HTTPServer) -> None:
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/hooks/moved").respond_with_data(
        "", status=302, headers={"Location": f"{base}/elsewhere"}
    )
    elsewhere = Recorder(httpserver, "/elsewhere")
    with pytest.raises(TransportError) as caught:
        transport("teams", webhook_url=f"{base}/hooks/moved").announce(FakeRound, LINES)
    assert caught.value.message == "HTTP 302" and caught.value.permanent
    assert elsewhere.requests == []


def test_the_people_list_shows_how_people_are_reached(
    client: Any, organiser: Any, programme: Any, make_participant: Any
) -> None:
    make_participant(programme, "Hilde", email="", reached_by="post", postal_address="Weg 1")
    make_participant(programme, "Emil", email="", reached_by="phone", phone="0228")
    login(client, organiser)
    page = client.get(reverse("participants:list", args=[programme.pk])).content.decode()
    assert 'Hilde</a> <span class="badge">by post</span>' in page
    assert 'Emil</a> <span class="badge">by phone</span>' in page


def test_organisers_send_a_test_message_through_the_queue(
    client: Any, organiser: Any, programme: Any, httpserver: HTTPServer
) -> None:
    base = httpserver.url_for("").rstrip("/")
    hook = Recorder(httpserver, "/receive")
    channel = ChatChannel.objects.create(
        programme=programme,
        kind="webhook",
        config={"url": f"{base}/receive", "secret": "a-shared-secret-of-some-length"},
    )
    login(client, organiser)
    client.post(reverse("reach:channel_test", args=[programme.pk, channel.pk]))
    assert hook.requests == []  # the page does not wait for the chat server
    run_due()
    payload = hook.json()
    assert payload["event"] == "test" and "Kaffee im Haus" in payload["title"]
    channel.refresh_from_db()
    assert channel.last_sent_at is not None
