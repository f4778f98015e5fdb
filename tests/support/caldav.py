"""A real CalDAV server (Radicale) on loopback, and a small client that stores the
calendar entries of received e-mails the way calendar programs do (RFC 6047): an
entry whose UID the calendar holds replaces it if its SEQUENCE is not older, a
cancellation removes it, a stale message is ignored."""

from __future__ import annotations

import base64
import http.client
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree

import icalendar

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def radicale(folder: Path) -> Iterator[int]:
    """Runs Radicale on a free loopback port with its storage in ``folder``."""
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--storage-filesystem-folder",
            str(folder),
            "--auth-type",
            "none",
            "--rights-type",
            "authenticated",
            "--logging-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(200):
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode() if process.stderr else "")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("Radicale did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


class Calendar:
    """One calendar collection on the server, used by a CalDAV client."""

    def __init__(self, port: int, path: str, user: str = "team") -> None:
        self.port = port
        self.path = path.rstrip("/") + "/"
        self.auth = "Basic " + base64.b64encode(f"{user}:x".encode()).decode()

    def request(
        self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(
                method,
                path,
                body=body.encode("utf-8"),
                headers={"Authorization": self.auth, **(headers or {})},
            )
            response = connection.getresponse()
            return (
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read().decode("utf-8"),
            )
        finally:
            connection.close()

    def create(self) -> None:
        status, _, text = self.request("MKCALENDAR", self.path)
        assert status == 201, (status, text)

    def put(self, href: str, text: str, headers: dict[str, str]) -> int:
        status, _, _ = self.request(
            "PUT", href, text, {"Content-Type": "text/calendar; charset=utf-8", **headers}
        )
        return status

    def entries(self, uid: str | None = None) -> dict[str, str]:
        """href -> calendar data of the entries (of one UID), by a calendar-query."""
        match = (
            '<C:prop-filter name="UID"><C:text-match collation="i;octet">'
            f"{uid}</C:text-match></C:prop-filter>"
            if uid
            else ""
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
            '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
            f"{match}</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
        )
        status, _, text = self.request(
            "REPORT", self.path, body, {"Depth": "1", "Content-Type": "application/xml"}
        )
        assert status == 207, (status, text)
        found = {}
        for response in ElementTree.fromstring(text).iter(f"{DAV}response"):
            href = response.findtext(f"{DAV}href")
            data = response.find(f".//{CALDAV}calendar-data")
            if href and data is not None and data.text:
                found[href] = data.text
        return found

    def receive(self, itip: str) -> str:
        """Applies an e-mail's calendar part as a calendar program does; returns what
        it did: "added", "updated", "removed" or "ignored"."""
        message = icalendar.Calendar.from_ical(itip)
        method = str(message["METHOD"])
        [event] = message.walk("VEVENT")
        uid, sequence = str(event["UID"]), int(event.get("SEQUENCE", 0))
        held = self.entries(uid)
        assert len(held) <= 1
        if held:
            [(href, data)] = held.items()
            [stored] = icalendar.Calendar.from_ical(data).walk("VEVENT")
            if sequence < int(stored.get("SEQUENCE", 0)):
                return "ignored"
            if method == "CANCEL":
                status, _, _ = self.request("DELETE", href)
                assert status in (200, 204), status
                return "removed"
            status = self.put(href, resource(itip), {})
            assert status in (201, 204), status
            return "updated"
        if method == "CANCEL":
            return "ignored"
        status = self.put(f"{self.path}{uuid.uuid4()}.ics", resource(itip), {"If-None-Match": "*"})
        assert status == 201, status
        return "added"


def resource(itip: str) -> str:
    """A calendar object resource from an iTIP message: without METHOD (RFC 4791
    §4.1 forbids it in a stored calendar)."""
    calendar = icalendar.Calendar.from_ical(itip)
    del calendar["METHOD"]
    return calendar.to_ical().decode("utf-8")
