"""Kaffeeklatsch served as in production, for tests of many requests at once:
gunicorn with several worker processes of several threads each, against its own
SQLite file or the PostgreSQL test database, seeded by a process of its own.

``python -m tests.support.site PEOPLE`` (with ``DATABASE_URL`` set) seeds an organiser, a
programme with a write token and ``PEOPLE`` people, and prints as JSON what a client
needs: the token, each person's sign-in link and the data their two forms (their own
profile and the organiser's person form) send unchanged.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.faults import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ORGANISER = "olga"
PASSWORD = "a-long-organiser-password-7"


def site_env(database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFFEEKLATSCH_DATA_DIR": str(data_dir),
        "SECRET_KEY": "concurrency-tests-secret-key-with-enough-length-to-be-used",
        "DJANGO_SETTINGS_MODULE": "kaffeeklatsch.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONPATH": str(ROOT),
    }


class Site:
    """gunicorn serving ``kaffeeklatsch.wsgi``: ``workers`` processes of ``threads``
    threads, so requests really run at the same time."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2, threads: int = 16) -> None:
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        # Its output goes to a file: a pipe nobody reads would block the server once full.
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "kaffeeklatsch.wsgi", "--bind", f"127.0.0.1:{self.port}",
                 "--workers", str(workers), "--threads", str(threads),
                 "--worker-class", "gthread", "--log-level", "warning"],
                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self._wait()

    def _wait(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/accounts/login/")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"gunicorn did not start:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [str(BIN / "kaffeeklatsch"), "migrate", "--no-input"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def seed(env: dict[str, str], people: int) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, "-m", "tests.support.site", str(people)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(run.stdout)


def _seed(people: int) -> dict[str, Any]:
    """Runs in the seeding process, with Django set up."""
    # Imported here: the models need Django set up, which only the seeding process does.
    from django.contrib.auth import get_user_model

    from kaffeeklatsch.api.forms import current_data
    from kaffeeklatsch.api.models import ApiToken
    from kaffeeklatsch.participants.forms import OrganiserParticipantForm, ProfileForm
    from kaffeeklatsch.participants.models import Participant
    from kaffeeklatsch.participants.tokens import sign_in_token
    from kaffeeklatsch.programmes.models import Organiser, Programme

    user = get_user_model().objects.create_user(
        username=ORGANISER, email="olga@example.org", password=PASSWORD
    )
    programme = Programme.objects.create(name="Kaffee im Haus", language="en")
    Organiser.objects.create(programme=programme, user=user, role=Organiser.Role.OWNER)
    token = ApiToken(programme=programme, name="HR system", scope="write", created_by=user)
    secret = token.issue()
    token.save()
    found = []
    for n in range(people):
        person = Participant.objects.create(
            programme=programme,
            name=f"Person {n}",
            email=f"person{n}@example.org",
            department="Care",
            level="staff",
            languages=["de", "en"],
            language="en",
            status=Participant.Status.ACTIVE,
        )
        found.append(
            {
                "id": person.pk,
                "sign_in": f"/sign-in/{sign_in_token(person)}/",
                "profile": current_data(ProfileForm(instance=person, programme=programme)),
                "organiser_form": current_data(
                    OrganiserParticipantForm(instance=person, programme=programme)
                ),
            }
        )
    return {"programme": programme.pk, "token": secret, "people": found}


if __name__ == "__main__":
    import django  # only the seeding process sets Django up

    django.setup()
    print(json.dumps(_seed(int(sys.argv[1])), default=str))
