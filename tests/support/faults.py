"""Tools for the fault tests: a worker in its own process, a mail server on loopback
that fails on command, and a TCP proxy that drops connections.

Nothing here waits a fixed time to let something happen: tests wait for a line the
worker writes, for an event the mail server sets, or poll the state they expect with
a generous upper bound.
"""

from __future__ import annotations

import asyncio
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

KAFFEEKLATSCH = str(Path(sys.executable).with_name("kaffeeklatsch"))
#: The worker with a point to stop at (``KAFFEEKLATSCH_TEST_PAUSE``), see pausing.py.
PAUSING = [sys.executable, str(Path(__file__).with_name("pausing.py"))]
WAIT = 90.0


def eventually(check: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Polls ``check`` until it holds; fails with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout:.0f} s: {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FaultySink:
    """An aiosmtpd handler that keeps what it accepts and fails as scripted.

    ``script`` is consumed one entry per DATA command: ``"ok"``, an SMTP reply such as
    ``"451 Try again later"`` or ``"550 No such user"``, ``"hang"`` (never answers; a
    client that gives up or dies closes the connection, and aiosmtpd then cancels the
    handler, so the message is not accepted), ``"drop"`` (closes the connection
    after the message arrived, without an answer) or ``"wait"`` (sets ``waiting``, then
    accepts the message once the test sets ``go``). After the script: ``"ok"``.
    ``refuse`` maps a recipient to the replies its messages get first, before the script.
    ``sessions`` lists, per SMTP connection, the recipients of the messages it carried.
    """

    def __init__(
        self, script: list[str] | None = None, refuse: dict[str, list[str]] | None = None
    ) -> None:
        self.script = list(script or [])
        self.refuse = {to: list(replies) for to, replies in (refuse or {}).items()}
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.hanging = threading.Event()
        self.waiting = threading.Event()
        self.go = threading.Event()
        self.calls = 0
        self.sessions: dict[int, list[str]] = {}
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    def __enter__(self) -> FaultySink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.port

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.calls += 1
            self.sessions.setdefault(id(session), []).extend(envelope.rcpt_tos)
            (to,) = envelope.rcpt_tos
            if self.refuse.get(to):
                action = self.refuse[to].pop(0)
            else:
                action = self.script.pop(0) if self.script else "ok"
        if action == "wait":
            self.waiting.set()
            while not self.go.is_set():
                await asyncio.sleep(0.05)
            action = "ok"
        if action == "hang":
            self.hanging.set()
            await asyncio.sleep(3600)
        if action == "drop":
            server.transport.close()
            await asyncio.sleep(3600)
        if action != "ok":
            return action
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def received(self) -> list[EmailMessage]:
        with self.lock:
            return list(self.messages)

    def by_recipient(self) -> dict[str, list[str]]:
        """Recipient address → the Message-IDs delivered to it, one per delivery."""
        found: dict[str, list[str]] = {}
        for message in self.received():
            found.setdefault(str(message["To"]), []).append(str(message["Message-ID"]))
        return found


class DroppingProxy:
    """A TCP proxy on loopback in front of a server: while ``dropping`` it closes every
    new connection at once (a mail server that went away or a broken network), else it
    passes the bytes through."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.dropping = threading.Event()
        self.dropped = 0
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(32)
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.dropping.is_set():
                self.dropped += 1
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.closed = True
        self.listener.close()


class Worker:
    """``kaffeeklatsch worker`` in its own process, with its standard error collected."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        full_env = {**os.environ, **env}
        command = PAUSING if "KAFFEEKLATSCH_TEST_PAUSE" in env else [KAFFEEKLATSCH]
        self.process = subprocess.Popen(
            [*command, "worker", "--interval", "0.1", *args],
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()

    def output(self) -> str:
        with self.changed:
            return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = WAIT, times: int = 1) -> None:
        """Waits until the worker wrote a line containing ``text`` ``times`` times."""

        def seen() -> int:
            return sum(text in line for line in self.lines)

        with self.changed:
            self.changed.wait_for(
                lambda: seen() >= times or self.process.poll() is not None, timeout=timeout
            )
            found = seen() >= times
        if not found:
            raise AssertionError(f"the worker never wrote {text!r}; it wrote:\n{self.output()}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up, no rollback by the process itself."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def worker_env(database_url: str, smtp_port: int, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "KAFFEEKLATSCH_DATA_DIR": str(data_dir),
        "SECRET_KEY": "fault-tests-secret-key-with-enough-length-to-be-used-here",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "",
        "EMAIL_USE_SSL": "",
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_TIMEOUT": "2",
        "KAFFEEKLATSCH_EMAIL_RETRY_SECONDS": "0.2",
        "KAFFEEKLATSCH_EMAIL_LEASE_SECONDS": "3",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("KAFFEEKLATSCH_TEST_PAUSE", None)
    env.update(extra)
    return env
