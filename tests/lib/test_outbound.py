"""Outbound requests go only where the administrator allows: a chat server or webhook
on loopback (standing in for the intranet) receives nothing from any transport with the
default settings and gets the message once the setting allows it; the channel form
refuses local addresses; the organiser learns no more than "could not deliver"; a name
is resolved once and the connection pinned to the address that was checked."""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import ssl
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import trustme
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.jobs.queue import run_due
from kaffeeklatsch.lib import outbound
from kaffeeklatsch.reach.channels import TRANSPORTS, TransportError
from kaffeeklatsch.reach.channels import base as channel_base
from kaffeeklatsch.reach.models import ChatChannel
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.web import LOOPBACK_ALLOWED, login

LINES = ["Round 3 is out", "Anna & a participant", "and 2 more groups"]
PUBLIC = "93.184.215.14"
ANSWER = {
    "ok": True,
    "success": True,
    "result": "success",
    "id": "x1",
    "ts": "1",
    "event_id": "$e1",
    "channel": {"id": "D42"},
}


class FakeRound:
    pk = 41
    number = 3

    class programme:  # noqa: N801 - stands in for the model attribute
        name = "Kaffee im Haus"


def configs(base: str) -> dict[str, dict[str, str]]:
    """A configuration of every transport, every address (and token) on ``base``."""
    return {
        "webhook": {"url": f"{base}/receive", "secret": "a-shared-secret-of-some-length"},
        "slack": {"bot_token": "xoxb-secret", "channel": "C0123", "api_url": f"{base}/api"},
        "mattermost": {
            "webhook_url": f"{base}/hooks/xyz",
            "server_url": base,
            "bot_token": "mm-secret",
        },
        "zulip": {
            "site": base,
            "bot_email": "bot@example.org",
            "api_key": "zulip-secret",
            "stream": "coffee",
            "topic": "Kaffeeklatsch",
        },
        "rocketchat": {
            "server_url": base,
            "user_id": "bot",
            "auth_token": "rc-secret",
            "channel": "#coffee",
        },
        "teams": {"webhook_url": f"{base}/workflows/abc"},
        "matrix": {"homeserver": base, "access_token": "syt_secret", "room_id": "!c:example.org"},
    }


KINDS = sorted(configs(""))
DIRECT = ["slack", "mattermost", "zulip", "rocketchat"]


@pytest.fixture
def listener(httpserver: HTTPServer) -> HTTPServer:
    """A chat server on loopback that answers every request with success."""
    httpserver.expect_request(re.compile(".*")).respond_with_json(ANSWER)
    return httpserver


def base_of(server: HTTPServer, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{server.port}"


def received(server: HTTPServer) -> list[Request]:
    return [request for request, _response in server.log]


# ---------------------------------------------------------------------------
# Which addresses are public


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.1.2.3",
        "0.0.0.0",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "224.0.0.1",
        "239.255.255.250",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.2.1",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "fec0::1",
        "2001:db8::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",
        "2002:7f00:1::1",
        "2002:a00:1::1",
        "::127.0.0.1",
        "64:ff9b:1::1",
    ],
)
def test_local_special_and_embedded_local_addresses_are_not_public(address: str) -> None:
    assert not outbound.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [PUBLIC, "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"],
)
def test_public_unicast_addresses_are_public(address: str) -> None:
    assert outbound.is_public(ipaddress.ip_address(address))


def test_the_allow_list_takes_host_names_and_ranges() -> None:
    allow = outbound.AllowList.parse(
        [" Matrix.Intern.Example. ", "10.0.0.0/8", "127.0.0.1", "[fd00::]/8", ""]
    )
    assert allow.hosts == {"matrix.intern.example"}
    assert allow.allows("matrix.intern.example", ipaddress.ip_address("192.168.5.5"))
    assert allow.allows("other.example", ipaddress.ip_address("10.9.8.7"))
    assert allow.allows("other.example", ipaddress.ip_address("::ffff:10.9.8.7"))
    assert allow.allows("other.example", ipaddress.ip_address("127.0.0.1"))
    assert not allow.allows("other.example", ipaddress.ip_address("127.0.0.2"))
    assert not allow.allows("other.example", ipaddress.ip_address("192.168.5.5"))
    assert not allow.allows("other.example", ipaddress.ip_address("::1"))
    assert outbound.AllowList.parse([]) == outbound.AllowList()


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "not a host", "http://x.org", "-x.org", "a/b"])
def test_a_wrong_allow_list_entry_is_named(entry: str, settings: Any) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(entry.strip()))):
        outbound.AllowList.parse([entry])
    settings.OUTBOUND_ALLOW = ["10.0.0.0/8", entry]
    with pytest.raises(ImproperlyConfigured, match="KAFFEEKLATSCH_OUTBOUND_ALLOW"):
        outbound.allow_list()


def test_a_wrong_allow_list_stops_the_server_at_start(settings: Any) -> None:
    settings.OUTBOUND_ALLOW = ["10.0.0.0/8"]
    call_command("check")
    settings.OUTBOUND_ALLOW = ["intranet/8"]
    with pytest.raises(SystemCheckError, match="'intranet/8'"):
        call_command("check")


def test_the_setting_is_strict_by_default() -> None:
    assert django_settings.OUTBOUND_ALLOW == []
    assert outbound.allow_list() == outbound.AllowList()


# ---------------------------------------------------------------------------
# Every transport, default settings and allowed


@pytest.mark.parametrize("kind", KINDS)
def test_a_loopback_server_receives_nothing_by_default(kind: str, listener: HTTPServer) -> None:
    for host in ("127.0.0.1", "localhost", "[::1]"):
        transport = TRANSPORTS[kind](configs(base_of(listener, host))[kind])
        with pytest.raises(TransportError) as caught:
            transport.announce(FakeRound, LINES)
        assert caught.value.message == "connection failed" and not caught.value.permanent
        if kind in DIRECT or kind == "matrix":
            with pytest.raises(TransportError) as caught:
                transport.direct_message("@anna:example.org", "Hello")
            assert caught.value.message == "connection failed"
    assert received(listener) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_loopback_server_receives_the_message_when_allowed(
    kind: str, listener: HTTPServer, settings: Any
) -> None:
    settings.OUTBOUND_ALLOW = ["127.0.0.1/32"]
    TRANSPORTS[kind](configs(base_of(listener))[kind]).announce(FakeRound, LINES)
    requests = received(listener)
    assert len(requests) == 1
    assert "Round 3 is out" in urllib.parse.unquote_plus(requests[0].get_data(as_text=True))


def test_an_allowed_host_name_may_resolve_to_the_local_network(
    listener: HTTPServer, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        return real(
            "127.0.0.1" if host.endswith(".intern.example") else host, port, *args, **kwargs
        )

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    teams = TRANSPORTS["teams"]
    settings.OUTBOUND_ALLOW = ["matrix.intern.example"]
    with pytest.raises(TransportError):
        teams({"webhook_url": f"http://chat.intern.example:{listener.port}/w"}).announce(
            FakeRound, LINES
        )
    assert received(listener) == []
    teams({"webhook_url": f"http://matrix.intern.example:{listener.port}/w"}).announce(
        FakeRound, LINES
    )
    assert len(received(listener)) == 1
    assert received(listener)[0].headers["Host"] == f"matrix.intern.example:{listener.port}"


@pytest.fixture
def four(programme: Any, make_participant: Any) -> list[Any]:
    return [make_participant(programme, f"Person {n}") for n in range(4)]


@pytest.mark.django_db
def test_every_retry_of_a_queued_message_is_checked_and_the_page_says_only_could_not_deliver(
    programme: Any,
    four: list[Any],
    listener: HTTPServer,
    settings: Any,
    client: Any,
    organiser: Any,
) -> None:
    channel = ChatChannel.objects.create(
        programme=programme, kind="mattermost", config=configs(base_of(listener))["mattermost"]
    )
    publish_round(preview_round(programme))
    for _attempt in range(2):
        Job.objects.filter(kind="reach_announce").update(run_at=timezone.now())
        run_due()
    job = Job.objects.get(kind="reach_announce")
    assert job.status == Job.Status.PENDING and job.attempts == 2
    assert received(listener) == []
    channel.refresh_from_db()
    assert channel.last_error == "connection failed"
    login(client, organiser)
    page = client.get(reverse("reach:settings", args=[programme.pk])).content.decode()
    assert "Last delivery failed: connection failed" in page
    # The administrator allows the intranet: the next try delivers.
    settings.OUTBOUND_ALLOW = LOOPBACK_ALLOWED
    Job.objects.filter(pk=job.pk).update(run_at=timezone.now())
    run_due()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and len(received(listener)) == 1


# ---------------------------------------------------------------------------
# The channel form


LOCAL = [
    "http://127.0.0.1:8008",
    "http://localhost:8065",
    "https://[::1]/",
    "https://10.1.2.3/hooks/x",
    "https://192.168.178.1/",
    "http://169.254.169.254/latest/meta-data/",
    "https://100.64.0.7/",
    "https://[fc00::1]/",
    "https://[::ffff:127.0.0.1]/",
    "http://0.0.0.0:8000/",
    "http://2130706433/",
    "https://loopback.example.org/",
]


@pytest.fixture
def loopback_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """``loopback.example.org`` resolves to 127.0.0.1, as a hostile DNS entry would."""
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == "loopback.example.org" else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.django_db
@pytest.mark.usefixtures("loopback_name")
@pytest.mark.parametrize("url", LOCAL)
def test_the_form_refuses_local_addresses_in_both_languages(
    url: str, client: Any, german_client: Any, organiser: Any, programme: Any, caplog: Any
) -> None:
    data = {"url": url, "secret": "a-shared-secret-of-some-length"}
    add = reverse("reach:channel_add", args=[programme.pk, "webhook"])
    login(client, organiser)
    answer = client.post(add, data)
    assert answer.status_code == 200 and not ChatChannel.objects.exists()
    assert (
        "Kaffeeklatsch may not send to addresses in the local network. Your administrator "
        "can allow it (KAFFEEKLATSCH_OUTBOUND_ALLOW)." in answer.content.decode()
    )
    login(german_client, organiser)
    answer = german_client.post(add, data)
    assert "Kaffeeklatsch darf nicht an Adressen im lokalen Netz senden." in (
        answer.content.decode()
    )
    assert not ChatChannel.objects.exists()
    assert "a-shared-secret" not in caplog.text and "/hooks/" not in caplog.text


@pytest.mark.django_db
@pytest.mark.usefixtures("public_dns")
@pytest.mark.parametrize(
    "kind", ["matrix", "mattermost", "slack", "zulip", "rocketchat", "teams", "webhook"]
)
def test_every_address_field_of_every_platform_is_checked(
    kind: str, client: Any, organiser: Any, programme: Any
) -> None:
    local = configs("http://10.0.0.1")[kind]
    login(client, organiser)
    answer = client.post(reverse("reach:channel_add", args=[programme.pk, kind]), local)
    assert answer.status_code == 200 and not ChatChannel.objects.exists()
    assert "may not send to addresses in the local network" in answer.content.decode()
    public = configs("https://chat.example.org")[kind]
    answer = client.post(reverse("reach:channel_add", args=[programme.pk, kind]), public)
    assert answer.status_code == 302
    assert ChatChannel.objects.get().config.items() >= public.items()


@pytest.mark.django_db
def test_the_form_accepts_what_the_administrator_allows(
    client: Any, organiser: Any, programme: Any, settings: Any
) -> None:
    settings.OUTBOUND_ALLOW = ["127.0.0.1/32"]
    login(client, organiser)
    answer = client.post(
        reverse("reach:channel_add", args=[programme.pk, "teams"]),
        {"webhook_url": "http://127.0.0.1:8065/hooks/x"},
    )
    assert answer.status_code == 302 and ChatChannel.objects.exists()


@pytest.mark.django_db
def test_a_name_that_does_not_resolve_is_a_form_error(
    client: Any, organiser: Any, programme: Any
) -> None:
    login(client, organiser)
    answer = client.post(
        reverse("reach:channel_add", args=[programme.pk, "teams"]),
        {"webhook_url": "https://no-such-host.invalid/hooks/x"},
    )
    assert answer.status_code == 200 and not ChatChannel.objects.exists()
    assert "No server was found at this address." in answer.content.decode()


# ---------------------------------------------------------------------------
# What the organiser learns of a failure


def test_refused_unresolvable_closed_and_silent_addresses_fail_alike(
    settings: Any, monkeypatch: pytest.MonkeyPatch, listener: HTTPServer
) -> None:
    monkeypatch.setattr(channel_base, "TIMEOUT_SECONDS", 0.2)
    teams = TRANSPORTS["teams"]

    def failure(url: str) -> tuple[str, bool, int | None]:
        with pytest.raises(TransportError) as caught:
            teams({"webhook_url": url}).announce(FakeRound, LINES)
        return caught.value.message, caught.value.permanent, caught.value.status

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        closed_port = closed.getsockname()[1]
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.OUTBOUND_ALLOW = []
        refused = failure(f"http://127.0.0.1:{listener.port}/w")
        unresolvable = failure("https://no-such-host.invalid/w")
        settings.OUTBOUND_ALLOW = LOOPBACK_ALLOWED
        closed_answer = failure(f"http://127.0.0.1:{closed_port}/w")
        silent_answer = failure(f"http://127.0.0.1:{silent.getsockname()[1]}/w")
    assert refused == unresolvable == closed_answer == silent_answer
    assert refused == ("connection failed", False, None)
    assert received(listener) == []


def test_a_redirect_is_not_followed_and_the_token_stays_with_the_checked_host(
    settings: Any, httpserver: HTTPServer
) -> None:
    settings.OUTBOUND_ALLOW = LOOPBACK_ALLOWED
    elsewhere = HTTPServer(host="127.0.0.1")
    elsewhere.expect_request(re.compile(".*")).respond_with_json(ANSWER)
    elsewhere.start()
    try:
        httpserver.expect_request(re.compile(".*")).respond_with_data(
            "", status=307, headers={"Location": f"http://127.0.0.1:{elsewhere.port}/api/x"}
        )
        slack = TRANSPORTS["slack"](configs(base_of(httpserver))["slack"])
        with pytest.raises(TransportError) as caught:
            slack.announce(FakeRound, LINES)
        assert caught.value.message == "HTTP 307" and caught.value.permanent
        assert received(elsewhere) == []
        assert [r.headers["Authorization"] for r in received(httpserver)] == ["Bearer xoxb-secret"]
    finally:
        elsewhere.clear()
        if elsewhere.is_running():
            elsewhere.stop()


# ---------------------------------------------------------------------------
# Pinned: checked once, connected to what was checked


class Rebinding:
    """A resolver that answers a public address first and loopback afterwards, as a
    hostile name server does to slip past a check; connections are recorded and those
    to the public address led to the test's server instead."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, server: HTTPServer) -> None:
        self.lookups: list[str] = []
        self.connects: list[str] = []
        real_lookup = socket.getaddrinfo
        real_connect = outbound.connect

        def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host != "chat.example.org":
                return real_lookup(host, port, *args, **kwargs)
            self.lookups.append(host)
            answer = PUBLIC if len(self.lookups) == 1 else "127.0.0.1"
            return real_lookup(answer, port, *args, **kwargs)

        def connect(family: int, sockaddr: tuple[Any, ...], timeout: float | None) -> Any:
            self.connects.append(sockaddr[0])
            if sockaddr[0] == PUBLIC:
                return real_connect(socket.AF_INET, ("127.0.0.1", server.port), timeout)
            return real_connect(family, sockaddr, timeout)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(outbound, "connect", connect)


def test_the_connection_goes_to_the_address_checked_and_is_not_looked_up_again(
    listener: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    dns = Rebinding(monkeypatch, listener)
    url = f"http://chat.example.org:{listener.port}/hooks/xyz"
    reply = outbound.request("POST", url, body=b"{}", timeout=5, max_bytes=1000)
    assert reply.status == 200 and json.loads(reply.body) == ANSWER
    assert dns.lookups == ["chat.example.org"] and dns.connects == [PUBLIC]
    assert received(listener)[0].headers["Host"] == f"chat.example.org:{listener.port}"
    # The name now answers loopback: refused before any connection.
    with pytest.raises(outbound.Refused):
        outbound.request("POST", url, body=b"{}", timeout=5, max_bytes=1000)
    assert dns.lookups == ["chat.example.org"] * 2 and dns.connects == [PUBLIC]
    assert len(received(listener)) == 1


@pytest.mark.django_db
def test_a_name_checked_by_the_form_is_checked_again_at_every_send(
    listener: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    client: Any,
    organiser: Any,
    programme: Any,
) -> None:
    dns = Rebinding(monkeypatch, listener)
    login(client, organiser)
    url = f"http://chat.example.org:{listener.port}/workflows/abc"
    answer = client.post(
        reverse("reach:channel_add", args=[programme.pk, "teams"]), {"webhook_url": url}
    )
    assert answer.status_code == 302 and dns.connects == []
    channel = ChatChannel.objects.get()
    with pytest.raises(TransportError):
        channel.transport().announce(FakeRound, LINES)
    assert dns.lookups == ["chat.example.org"] * 2 and dns.connects == []
    assert received(listener) == []


# ---------------------------------------------------------------------------
# HTTPS: the certificate is checked for the name typed, sent as SNI


@pytest.fixture
def tls_server(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, list]]:
    """An HTTPS server on loopback with a certificate for ``chat.example.org``, which
    (like ``other.example.org``) resolves to it; the names asked for by SNI are kept."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("chat.example.org").configure_cert(server_context)
    names: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _context: names.append(name)
    server = HTTPServer(host="127.0.0.1", ssl_context=server_context)
    server.expect_request(re.compile(".*")).respond_with_handler(
        lambda request: Response(json.dumps(ANSWER), 200, content_type="application/json")
    )
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        local = host in ("chat.example.org", "other.example.org")
        return real("127.0.0.1" if local else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    settings.OUTBOUND_ALLOW = LOOPBACK_ALLOWED
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    server.start()
    try:
        yield server, names, client_context
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def test_https_verifies_the_certificate_for_the_name_typed(tls_server: Any) -> None:
    server, names, trust = tls_server
    reply = outbound.request(
        "GET", f"https://chat.example.org:{server.port}/x", timeout=5, max_bytes=1000, tls=trust
    )
    assert reply.status == 200 and names == ["chat.example.org"]
    with pytest.raises(outbound.Unreachable):
        outbound.request(
            "GET",
            f"https://other.example.org:{server.port}/x",
            timeout=5,
            max_bytes=1000,
            tls=trust,
        )
    # Without the test's certificate authority the system's trust decides: refused.
    with pytest.raises(outbound.Unreachable):
        outbound.request(
            "GET", f"https://chat.example.org:{server.port}/x", timeout=5, max_bytes=1000
        )
    assert len(server.log) == 1
