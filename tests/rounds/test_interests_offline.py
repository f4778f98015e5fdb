"""Interests by meaning never reach the network: the whole path of a round (the
language model loaded afresh, the preview through the worker, the publication and its
checks, the e-mails to a loopback SMTP server, the round page) runs with every socket
to anything but loopback refused, and the test fails if anything tries one."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest
from django.urls import reverse

from kaffeeklatsch.matching import meaning
from kaffeeklatsch.notifications.transport import send_due
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Round, TermVector
from tests.rounds.test_interests_by_meaning import HIKERS, card_of, people
from tests.support.web import login, press

pytestmark = pytest.mark.django_db


def _loopback(host: Any) -> bool:
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class Network:
    """Refuses every connection, datagram and name lookup that leaves the machine,
    and remembers each one tried."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tried: list[str] = []
        connect, connect_ex, sendto = (
            socket.socket.connect,
            socket.socket.connect_ex,
            socket.socket.sendto,
        )
        create_connection, getaddrinfo = socket.create_connection, socket.getaddrinfo

        def check(what: str, address: Any) -> None:
            # Only addresses of the internet families name a host; a Unix socket
            # stays on the machine.
            if isinstance(address, tuple) and not _loopback(address[0]):
                self.tried.append(f"{what} {address[0]}")
                raise OSError(f"network refused in this test: {what}")

        def guarded_connect(sock: socket.socket, address: Any) -> None:
            check("connect", address)
            connect(sock, address)

        def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
            check("connect_ex", address)
            return connect_ex(sock, address)

        def guarded_sendto(sock: socket.socket, data: Any, *args: Any) -> int:
            check("sendto", args[-1])
            return sendto(sock, data, *args)

        def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
            check("create_connection", address)
            return create_connection(address, *args, **kwargs)

        def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if host is not None and not _loopback(host):
                self.tried.append(f"getaddrinfo {host}")
                raise socket.gaierror(f"name lookup refused in this test: {host}")
            return getaddrinfo(host, *args, **kwargs)

        monkeypatch.setattr(socket.socket, "connect", guarded_connect)
        monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
        monkeypatch.setattr(socket.socket, "sendto", guarded_sendto)
        monkeypatch.setattr(socket, "create_connection", guarded_create_connection)
        monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


def test_the_whole_round_runs_with_the_network_refused(
    client: Any,
    german_client: Any,
    organiser: Any,
    programme: Programme,
    make_participant: Any,
    smtp: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    network = Network(monkeypatch)
    # The guard works: a connection out is refused and noticed.
    with pytest.raises(OSError):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    with pytest.raises(OSError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(("192.0.2.1", 80))
    with pytest.raises(OSError):
        socket.getaddrinfo("example.org", 443)
    assert len(network.tried) == 3
    network.tried.clear()

    # The language model is loaded afresh, with the network refused.
    monkeypatch.setattr(meaning, "_model", None)
    found = people(programme, make_participant)
    login(client, organiser)
    press(client, reverse("rounds:preview", args=[programme.pk]))
    rnd = programme.rounds.get(status=Round.Status.PREVIEW)
    assert TermVector.objects.exists()
    press(client, reverse("rounds:publish", args=[programme.pk, rnd.pk]))
    rnd.refresh_from_db()
    assert rnd.status == Round.Status.PUBLISHED
    assert send_due() >= len(found)
    assert {m["To"].addresses[0].addr_spec for m in smtp.messages} == {
        p.email for p in found.values()
    }

    url = reverse("rounds:detail", args=[programme.pk, rnd.pk])
    login(german_client, organiser)
    for reader, badge in ((client, "by meaning"), (german_client, "nach Bedeutung")):
        card = card_of(reader.get(url).content.decode(), "Anna")
        assert badge in card and all(term in card for term in HIKERS)
    assert network.tried == []
