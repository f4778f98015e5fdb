"""Pages in German and English, labelled forms, no cookies but session and CSRF."""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.support.web import login, sign_in_participant

pytestmark = pytest.mark.django_db


class FormAudit(HTMLParser):
    """Collects inputs and the ids that labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.in_label = 0
        self.wrapped: set[str] = set()
        self.html_lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.label_for.add(a["for"] or "")
        if tag in {"input", "select", "textarea"} and a.get("type") not in {"hidden", "submit"}:
            self.inputs.append(a)
            if self.in_label and a.get("id"):
                self.wrapped.add(a["id"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1

    def unlabelled(self) -> list[dict[str, str | None]]:
        return [
            i
            for i in self.inputs
            if i.get("id") not in self.label_for | self.wrapped and not i.get("aria-label")
        ]


def audit(html: str) -> FormAudit:
    parser = FormAudit()
    parser.feed(html)
    return parser


@pytest.fixture
def pages(organiser: Any, programme: Any, make_participant: Any) -> dict[str, Any]:
    person = make_participant(programme, "Anna")
    make_participant(programme, "Ben")
    return {"organiser": organiser, "programme": programme, "person": person}


def organiser_pages(programme: Any, person: Any) -> list[str]:
    p = programme.pk
    return [
        reverse("programmes:list"),
        reverse("programmes:create"),
        reverse("programmes:detail", args=[p]),
        reverse("programmes:edit", args=[p]),
        reverse("programmes:organisers", args=[p]),
        reverse("participants:list", args=[p]),
        reverse("participants:add", args=[p]),
        reverse("participants:edit", args=[p, person.pk]),
        reverse("participants:import", args=[p]),
        reverse("rounds:list", args=[p]),
        reverse("accounts:password_change"),
    ]


PUBLIC = ["/", "/privacy/", "/sign-in/", "/accounts/login/", "/accounts/reset/"]


def test_every_form_field_has_a_label(client: Any, pages: dict[str, Any]) -> None:
    programme, person = pages["programme"], pages["person"]
    urls = list(PUBLIC) + [reverse("participants:join", args=[programme.invite_token])]
    for url in urls:
        page = audit(client.get(url).content.decode())
        assert not page.unlabelled(), (url, page.unlabelled())
    login(client, pages["organiser"])
    for url in organiser_pages(programme, person):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not audit(response.content.decode()).unlabelled(), url
    participant = Client(headers={"accept-language": "en"})
    sign_in_participant(participant, person)
    for url in [reverse("participants:me"), reverse("participants:edit_profile")]:
        assert not audit(participant.get(url).content.decode()).unlabelled(), url


def test_language_follows_the_browser_and_can_be_switched(pages: dict[str, Any]) -> None:
    german = Client(headers={"accept-language": "de-DE,de;q=0.9,en;q=0.5"})
    page = german.get("/")
    assert audit(page.content.decode()).html_lang == "de"
    assert "Kaffee trinken – ganz systematisch." in page.content.decode()
    english = Client(headers={"accept-language": "en-GB,en;q=0.8"})
    assert "Coffee, quite systematically." in english.get("/").content.decode()
    assert audit(english.get("/").content.decode()).html_lang == "en"
    response = english.post(reverse("front:set_language"), {"language": "de", "next": "/privacy/"})
    assert response["Location"] == "/privacy/"
    assert "Datenschutz" in english.get("/privacy/").content.decode()
    unsafe = english.post(
        reverse("front:set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert unsafe["Location"] == "/"


def test_participant_language_comes_from_the_profile(pages: dict[str, Any]) -> None:
    person = pages["person"]
    person.language = "de"
    person.save()
    browser = Client(headers={"accept-language": "en"})
    sign_in_participant(browser, person)
    assert "Mein Profil" in browser.get(reverse("participants:me")).content.decode()


def test_no_cookies_but_session_and_csrf(client: Any, pages: dict[str, Any]) -> None:
    seen: set[str] = set()
    programme = pages["programme"]
    for url in PUBLIC + [reverse("participants:join", args=[programme.invite_token])]:
        seen |= set(client.get(url).cookies.keys())
    seen |= set(client.post(reverse("front:set_language"), {"language": "de"}).cookies.keys())
    response = client.post(
        reverse("accounts:login"), {"username": "olga", "password": "a-long-organiser-password-7"}
    )
    seen |= set(response.cookies.keys())
    for url in organiser_pages(programme, pages["person"]):
        seen |= set(client.get(url).cookies.keys())
    preview = client.post(reverse("rounds:preview", args=[programme.pk]))
    seen |= set(preview.cookies.keys())
    seen |= set(client.get(preview["Location"]).cookies.keys())
    # A participant, from the link in an e-mail through every page of their own.
    from kaffeeklatsch.participants.tokens import sign_in_token

    participant = Client(headers={"accept-language": "de"})
    link = reverse("participants:sign_in", args=[sign_in_token(pages["person"])])
    for response in (participant.get(link), participant.post(link)):
        seen |= set(response.cookies.keys())
    for url in [
        reverse("participants:me"),
        reverse("participants:edit_profile"),
        reverse("participants:leave"),
        reverse("participants:erase"),
        reverse("participants:export"),
    ]:
        response = participant.get(url)
        assert response.status_code == 200, url
        seen |= set(response.cookies.keys())
    seen |= set(participant.post(reverse("participants:pause"), {}).cookies.keys())
    seen |= set(participant.post(reverse("participants:sign_out")).cookies.keys())
    assert seen <= {"sessionid", "csrftoken"}, seen
    assert seen == {"sessionid", "csrftoken"}


def test_no_external_resources(client: Any, pages: dict[str, Any]) -> None:
    for url in PUBLIC:
        html = client.get(url).content.decode()
        for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not ref.startswith(("http://", "https://", "//")), (url, ref)


def test_the_stylesheet_is_served(client: Any, db: Any) -> None:
    response = client.get("/static/kaffeeklatsch/style.css")
    assert response.status_code == 200
    assert b"--accent" in b"".join(response.streaming_content)


def _po_entries(text: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) of the singular entries of a .po file."""
    entries = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            if line.startswith(("msgid ", "msgstr ", "msgid_plural ", "msgstr[")):
                current, _, rest = line.partition(" ")
                fields[current] = ast.literal_eval(rest)
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if fields.get("msgid") and "msgid_plural" not in fields:
            entries.append((fields["msgid"], fields.get("msgstr", "")))
    return entries


def test_german_catalogue_is_complete_and_compiled() -> None:
    locale = Path(__file__).parents[2] / "kaffeeklatsch/locale"
    for lang in ("de", "en"):
        assert (locale / lang / "LC_MESSAGES/django.mo").exists()
    po = (locale / "de/LC_MESSAGES/django.po").read_text()
    entries = _po_entries(po)
    assert len(entries) > 300
    untranslated = [msgid for msgid, msgstr in entries if not msgstr]
    assert not untranslated, untranslated[:3]
    with open(locale / "de/LC_MESSAGES/django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [msgid for msgid, msgstr in entries if compiled.gettext(msgid) != msgstr]
    assert not stale, stale[:3]


def _po_translated(text: str) -> dict[str, bool]:
    """Each msgid of a .po file (singular or plural, not obsolete) and whether it has
    a translation."""
    found = {}
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            if line.startswith(("msgid ", "msgstr ", "msgid_plural ", "msgstr[0] ")):
                current, _, rest = line.partition(" ")
                fields[current] = ast.literal_eval(rest)
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if fields.get("msgid"):
            found[fields["msgid"]] = bool(fields.get("msgstr") or fields.get("msgstr[0]"))
    return found


def test_every_text_of_the_code_is_in_the_german_catalogue(tmp_path: Path) -> None:
    """The texts gettext finds in the code now (as ``scripts/messages.sh`` extracts
    them, into a copy) are all in the committed catalogue, translated."""
    package = Path(__file__).parents[2] / "kaffeeklatsch"
    copy = tmp_path / "kaffeeklatsch"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "var"))
    env = {**os.environ, "KAFFEEKLATSCH_DATA_DIR": str(tmp_path / "data")}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "de", "--no-location"]
        + ["--ignore", "matching/*", "--settings", "kaffeeklatsch.settings"],
        cwd=copy,
        env={**env, "PYTHONPATH": str(tmp_path)},
        check=True,
        capture_output=True,
    )
    extracted = _po_translated((copy / "locale/de/LC_MESSAGES/django.po").read_text())
    committed = _po_translated((package / "locale/de/LC_MESSAGES/django.po").read_text())
    missing = sorted(m for m in extracted if not committed.get(m))
    assert not missing, missing[:5]
