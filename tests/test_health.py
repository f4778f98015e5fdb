"""``kaffeeklatsch health web|worker``: the containers' health checks, against the real
site on a live server, a real HTTP listener that answers with an error, and the
heartbeat file a real worker pass touches."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from kaffeeklatsch import health
from kaffeeklatsch.cli import main


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("KAFFEEKLATSCH_LANGUAGE", "en")
    health._catalogue.cache_clear()
    yield
    health._catalogue.cache_clear()


def _address(url: str) -> str:
    return url.removeprefix("http://").rstrip("/")


@pytest.mark.django_db(transaction=True)
def test_web_is_healthy_when_the_site_answers_its_home_page(
    live_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    settings.ALLOWED_HOSTS = ["kaffee.example.org"]
    # The public name and scheme, as behind the reverse proxy: the check is answered
    # only with the site's own host name, and not redirected to HTTPS.
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    monkeypatch.setenv("KAFFEEKLATSCH_BASE_URL", "https://kaffee.example.org")
    assert main(["health", "web", "--address", _address(live_server.url)]) == 0
    assert capsys.readouterr().out.strip() == "The web process answers."


@pytest.mark.django_db(transaction=True)
def test_web_is_unhealthy_when_the_site_refuses_the_host(
    live_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    settings.ALLOWED_HOSTS = ["kaffee.example.org"]
    monkeypatch.setenv("KAFFEEKLATSCH_BASE_URL", "http://elsewhere.example.org")
    assert main(["health", "web", "--address", _address(live_server.url)]) == 1
    assert "status 400" in capsys.readouterr().err


def test_web_is_unhealthy_on_a_server_error(httpserver: Any, capsys: Any) -> None:
    httpserver.expect_request("/").respond_with_data("broken", status=500)
    address = f"{httpserver.host}:{httpserver.port}"
    assert main(["health", "web", "--address", address]) == 1
    assert "status 500" in capsys.readouterr().err


def test_web_is_unhealthy_when_nothing_listens(capsys: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["health", "web", "--address", f"127.0.0.1:{port}", "--timeout", "5"]) == 1
    assert "does not answer" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_a_worker_pass_touches_the_heartbeat_the_check_reads(tmp_path: Path, capsys: Any) -> None:
    heartbeat = tmp_path / "heartbeat"
    assert main(["health", "worker", "--heartbeat", str(heartbeat)]) == 1
    assert "not finished a pass yet" in capsys.readouterr().err

    call_command("worker", "--once", "--heartbeat", str(heartbeat))
    assert main(["health", "worker", "--heartbeat", str(heartbeat)]) == 0
    assert capsys.readouterr().out.strip() == "The worker is alive."

    an_hour_ago = time.time() - 3600
    os.utime(heartbeat, (an_hour_ago, an_hour_ago))
    assert main(["health", "worker", "--heartbeat", str(heartbeat), "--max-age", "600"]) == 1
    assert "for 3600 seconds" in capsys.readouterr().err


def test_the_messages_are_in_the_sites_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("KAFFEEKLATSCH_LANGUAGE", "de")
    health._catalogue.cache_clear()
    assert main(["health", "worker", "--heartbeat", str(tmp_path / "none")]) == 1
    message = capsys.readouterr().err.strip()
    assert message == "Der Hintergrunddienst hat noch keinen Durchgang beendet."


def test_the_check_loads_no_django(tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    heartbeat.touch()
    program = (
        "import sys\n"
        "from kaffeeklatsch.cli import main\n"
        f"code = main(['health', 'worker', '--heartbeat', {str(heartbeat)!r}])\n"
        "assert 'django' not in sys.modules, 'Django was loaded'\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
