"""HTTP requests to addresses that people typed, sent only where the administrator allows.

An organiser types the address of a chat server or a webhook, and the worker sends to
it, with a bot token, for a day of retries. Unchecked, that lets anyone who may organise
make the server talk to itself (``127.0.0.1``), to a cloud's metadata service
(``169.254.169.254``) or to the organisation's intranet. So every such request goes
through :func:`request`, which

- resolves the host itself, once, and keeps only the addresses that are public unicast
  (:func:`is_public`) or that the administrator allows (``KAFFEEKLATSCH_OUTBOUND_ALLOW``:
  host names and CIDR ranges, see :class:`AllowList`);
- connects to exactly those checked addresses (:class:`PinnedConnection`): there is no
  second lookup between check and connect, so a name that changes its answer in
  between (DNS rebinding) cannot slip through. For HTTPS the certificate is verified
  for the host name that was typed, which is also sent as SNI;
- never follows a redirect: the caller gets the 3xx answer, so a token in the request
  reaches the checked host only.

Failures are :class:`Refused` (no address the server may send to), :class:`NotFound`
(the name does not resolve) and :class:`Unreachable` (no connection, TLS or protocol
failure, timeout). Their messages name no address, so callers may log them as they are.
Proxies from the environment (``HTTPS_PROXY``) are not used: a proxy would resolve the
name again, after the check.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import logging
import re
import socket
import ssl
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: A resolved address as ``socket.connect`` takes it: the family and the socket address.
SocketAddress = tuple[int, tuple[Any, ...]]

#: NAT64's well-known prefix (RFC 6052): such an address reaches the IPv4 address in
#: its last 32 bits.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class OutboundError(Exception):
    """A request could not be sent; the message names no address."""


class Refused(OutboundError):
    """The address is not one the server may send to."""


class Malformed(Refused):
    """Not an ``http(s)://`` address with a valid host name and port."""


class Unreachable(OutboundError):
    """No answer: no connection, a TLS or protocol failure, or a timeout."""


class NotFound(Unreachable):
    """The host name does not resolve."""


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address that an IPv6 address stands for and reaches: IPv4-mapped
    (``::ffff:a.b.c.d``), 6to4 (``2002::/16``) and NAT64 (``64:ff9b::/96``)."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is public unicast: globally routed, and neither loopback,
    private (RFC 1918, ``fc00::/7``), shared (``100.64.0.0/10``), link-local, multicast,
    unspecified, reserved nor for documentation. An IPv6 address that embeds an IPv4
    address (see :func:`embedded_ipv4`) is judged by the address it reaches."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return is_public(inner)
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or site_local
    )


def host_name(value: str) -> str | None:
    """``value`` as a host name to compare (lower case, ASCII, no final dot), or None
    if it is no valid host name."""
    name = value.strip().rstrip(".").lower()
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return name if _HOST_NAME.match(name) else None


@dataclass(frozen=True)
class AllowList:
    """What the administrator allows beyond public addresses: host names (whatever
    they resolve to) and ranges of addresses."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Host names and CIDR ranges (a single address counts as its own range);
        raises ``ValueError`` naming the first entry that is neither."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            try:
                bare = re.sub(r"^\[([^\]]*)\]", r"\1", entry)  # "[fd00::]/8" as "fd00::/8"
                networks.append(ipaddress.ip_network(bare, strict=False))
                continue
            except ValueError:
                pass
            name = host_name(entry)
            if name is None or "/" in entry:
                raise ValueError(f"neither a host name nor a CIDR range: {entry!r}")
            hosts.add(name)
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, host: str, address: IPAddress) -> bool:
        """Whether the administrator allows ``address``, resolved from ``host``."""
        if host in self.hosts:
            return True
        candidates = [address, embedded_ipv4(address)]
        return any(
            candidate in network
            for candidate in candidates
            if candidate is not None
            for network in self.networks
            if network.version == candidate.version
        )


@functools.lru_cache(maxsize=8)
def _parsed(entries: tuple[str, ...]) -> AllowList:
    try:
        return AllowList.parse(entries)
    except ValueError as exc:
        raise ImproperlyConfigured(f"KAFFEEKLATSCH_OUTBOUND_ALLOW: {exc}") from None


def allow_list() -> AllowList:
    """The administrator's allow-list, the setting ``OUTBOUND_ALLOW``; an entry that is
    neither a host name nor a CIDR range raises ``ImproperlyConfigured``."""
    return _parsed(tuple(settings.OUTBOUND_ALLOW))


def check_allow_list(**kwargs: Any) -> list[checks.CheckMessage]:
    """A system check, so that a wrong entry stops the server and the worker at start
    instead of failing the first request."""
    try:
        allow_list()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="kaffeeklatsch.E001")]
    return []


def may_send_to(host: str, address: IPAddress, allow: AllowList) -> bool:
    return is_public(address) or allow.allows(host, address)


@dataclass(frozen=True)
class Target:
    """Where a request to a URL goes: the host as typed (for the ``Host`` header, SNI
    and the certificate), and the addresses it resolved to that were checked."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[SocketAddress, ...]


def resolve(host: str, port: int) -> list[SocketAddress]:
    """The TCP addresses of ``host``, from one lookup; an address literal as it is."""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        if literal.version == 6:
            return [(socket.AF_INET6, (host, port, 0, 0))]
        return [(socket.AF_INET, (host, port))]
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise NotFound("the host name does not resolve") from None
    addresses: list[SocketAddress] = []
    for family, _type, _proto, _name, sockaddr in found:
        if family in (socket.AF_INET, socket.AF_INET6) and (family, sockaddr) not in addresses:
            addresses.append((family, sockaddr))
    if not addresses:
        raise NotFound("the host name does not resolve")
    return addresses


def target(url: str, allow: AllowList | None = None) -> Target:
    """Checks ``url`` and resolves its host once: the addresses the server may connect
    to. Raises :class:`Malformed` for what is no ``http(s)://`` address, :class:`Refused`
    when no address of the host is one the server may send to, :class:`NotFound` for a
    name that does not resolve."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise Malformed("not an http or https address")
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
        if not 0 < port < 65536:
            raise ValueError(port)
    except ValueError:
        raise Malformed("not a valid port") from None
    try:
        ipaddress.ip_address(parts.hostname)
        host: str | None = parts.hostname
    except ValueError:
        host = host_name(parts.hostname)
    if host is None:
        raise Malformed("not a valid host name")
    allowed = allow if allow is not None else allow_list()
    addresses = resolve(host, port)
    checked = tuple(
        (family, sockaddr)
        for family, sockaddr in addresses
        if may_send_to(host, ipaddress.ip_address(sockaddr[0]), allowed)
    )
    if not checked:
        # For the administrator: the address, never the URL (it may hold a token).
        log.warning(
            "outbound request refused: %s is not a public address and not in "
            "KAFFEEKLATSCH_OUTBOUND_ALLOW",
            addresses[0][1][0],
        )
        raise Refused("the address is not allowed")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, host, port, path, checked)


def connect(family: int, sockaddr: tuple[Any, ...], timeout: float | None) -> socket.socket:
    """A TCP connection to one checked address; the only place that opens a socket."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


@functools.cache
def default_tls() -> ssl.SSLContext:
    """The system's trusted certificates, certificates and host names verified."""
    return ssl.create_default_context()


class PinnedConnection(http.client.HTTPConnection):
    """An HTTP or HTTPS connection to the checked addresses of a :class:`Target` and no
    other: :meth:`connect` never resolves ``host``, which only serves for the ``Host``
    header, SNI and the certificate's name."""

    def __init__(
        self, where: Target, timeout: float | None, tls: ssl.SSLContext | None = None
    ) -> None:
        super().__init__(where.host, where.port, timeout=timeout)
        self.target = where
        self.tls = (tls or default_tls()) if where.scheme == "https" else None
        self.default_port = _DEFAULT_PORTS[where.scheme]

    def connect(self) -> None:
        sock: socket.socket | None = None
        for family, sockaddr in self.target.addresses:
            try:
                sock = connect(family, sockaddr, self.timeout)
                break
            except OSError:
                continue
        if sock is None:
            raise Unreachable("no connection")
        if self.tls is not None:
            try:
                sock = self.tls.wrap_socket(sock, server_hostname=self.target.host)
            except BaseException:
                sock.close()
                raise
        self.sock = sock


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Message
    body: bytes


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float,
    max_bytes: int,
    allow: AllowList | None = None,
    tls: ssl.SSLContext | None = None,
) -> Reply:
    """One request to ``url``, pinned to the addresses checked by :func:`target`; every
    answer is returned as it came, a redirect too (it is not followed), with at most
    ``max_bytes`` of its body. Raises :class:`Refused`, :class:`NotFound` or
    :class:`Unreachable`."""
    where = target(url, allow)
    connection = PinnedConnection(where, timeout, tls)
    try:
        connection.request(
            method, where.path, body=body, headers={**(headers or {}), "Connection": "close"}
        )
        answer = connection.getresponse()
        return Reply(answer.status, answer.headers, answer.read(max_bytes))
    except (OSError, http.client.HTTPException):
        raise Unreachable("no answer") from None
    finally:
        connection.close()
