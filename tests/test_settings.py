"""Settings come from the environment with safe defaults."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

PRINT = (
    "import json; from django.conf import settings; print(json.dumps({"
    "'key': settings.SECRET_KEY, 'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS,"
    "'engine': settings.DATABASES['default']['ENGINE'],"
    "'name': str(settings.DATABASES['default']['NAME']),"
    "'video': settings.VIDEO_URL_TEMPLATE, 'email_host': settings.EMAIL_HOST,"
    "'email_port': settings.EMAIL_PORT, 'tls': settings.EMAIL_USE_TLS,"
    "'secure': getattr(settings, 'SESSION_COOKIE_SECURE', False)}))"
)


def settings_with(env: dict[str, str], tmp_path: Path) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "SECRET_KEY", "DEBUG", "EMAIL_", "KAFFEEKLATSCH_"))
    }
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "kaffeeklatsch.settings",
            "KAFFEEKLATSCH_DATA_DIR": str(tmp_path / "data"),
        }
    )
    clean.update(env)
    out = subprocess.run(
        [sys.executable, "-c", PRINT], env=clean, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_defaults_are_safe_and_the_key_is_generated_once(tmp_path: Path) -> None:
    first = settings_with({}, tmp_path)
    second = settings_with({}, tmp_path)
    assert first["key"] == second["key"] and len(first["key"]) >= 50
    key_file = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first["debug"] is False
    assert first["hosts"] == ["localhost", "127.0.0.1", "[::1]"]
    assert first["engine"] == "django.db.backends.sqlite3"
    assert first["name"] == str(tmp_path / "data" / "kaffeeklatsch.sqlite3")
    assert first["video"] == ""
    assert first["secure"] is False


def test_everything_can_be_set(tmp_path: Path) -> None:
    values = settings_with(
        {
            "SECRET_KEY": "given-key",
            "DATABASE_URL": "postgres://kk:pw@db.internal:5432/kaffeeklatsch",
            "ALLOWED_HOSTS": "kaffee.example.org",
            "EMAIL_HOST": "smtp.example.org",
            "EMAIL_PORT": "587",
            "EMAIL_USE_TLS": "true",
            "KAFFEEKLATSCH_VIDEO_URL_TEMPLATE": "https://meet.example.org/{room}",
            "KAFFEEKLATSCH_BASE_URL": "https://kaffee.example.org",
        },
        tmp_path,
    )
    assert values["key"] == "given-key"
    assert not (tmp_path / "data" / "secret_key").exists()
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "kaffeeklatsch"
    assert values["hosts"] == ["kaffee.example.org"]
    assert (values["email_host"], values["email_port"], values["tls"]) == (
        "smtp.example.org",
        587,
        True,
    )
    assert values["video"] == "https://meet.example.org/{room}"
    assert values["secure"] is True


@pytest.mark.parametrize("command", [["--version"], ["check"]])
def test_the_console_script_runs_django_commands(command: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "KAFFEEKLATSCH_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "kaffeeklatsch", *command],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
