"""Names and other one-line texts are clean at every door.

Hostile names (a line break that would add a header, a right-to-left override that
shows "gnp.exe" as "exe.png", NUL, a tab, a C1 control, a line separator, a bidi
isolate) are sent through every way a person's profile gets in: the organiser's
form, the join form, the person's own page, the REST API, the CSV import (as
Excel writes it too), SCIM and the claims of a single sign-on. The forms, the API
and the import refuse them with a translated message and change nothing; SCIM and
single sign-on, which cannot be asked again, store the text cleaned and log that
they did, without the name. Then a round is published and every introduction
reaches the SMTP server, also for names stored with controls before the check
existed.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import BadHeaderError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from kaffeeklatsch.matching.text import clean_one_line, describe, forbidden_characters
from kaffeeklatsch.notifications import transport
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.kinds import Question
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.api.test_api import api_client, make_token, patch, post, snapshot
from tests.participants.test_join import form_data, join_url
from tests.participants.test_participants import PERSON
from tests.scim.test_scim import ENTERPRISE, USER, Scim, connect
from tests.sso import test_sso
from tests.sso.test_sso import Browser, Provider, participant_sign_in
from tests.support.mail import ics_part, send_outbox
from tests.support.web import login, sign_in_participant

# The identity provider on loopback and the browser of the single sign-on tests.
idp_server, idp, new_browser, browser = (
    test_sso.idp_server,
    test_sso.idp,
    test_sso.new_browser,
    test_sso.browser,
)
olga, programmes = test_sso.olga, test_sso.programmes

HOSTILE = [
    "Eve\r\nBcc: x@y",
    "Mallory\u202egnp.exe",
    "Null\x00Byte",
    "Tab\tName",
    "C1\x85Name",
    "Line\u2028Separator",
    "Iso\u2066late\u2069",
]

# Names real people have: joiners of Persian and Indic scripts, an emoji sequence,
# accents, a non-breaking space and a soft hyphen.
KEPT = [
    "Mehr\u200cnaz",  # Persian with a zero width non-joiner
    "\u0915\u094d\u200d\u0937",  # Devanagari with a zero width joiner
    "Ana 👩\u200d💻",
    "Zoë O’Brien-Ñúñez",
    "Frau\u00a0Dr. Weiß",
    "Personal\u00adentwicklung",
]


def assert_refused(response: Any, field: str, text: str, lang: str = "en") -> None:
    """The page is shown again with the translated message at the field."""
    assert response.status_code == 200
    with translation.override(lang):
        assert [str(e) for e in response.context["form"].errors[field]] == [refusal(text, lang)]
    assert refusal(text, lang) in response.content.decode()


def refusal(text: str, lang: str = "en") -> str:
    """The message a form gives for ``text``, in ``lang``. NUL is refused by Django's
    own check of every text field, before any other."""
    with translation.override(lang):
        if "\x00" in text:
            return gettext("Null characters are not allowed.")
        return gettext(
            "Please write this on one line, without tabs, line breaks or invisible control "
            "characters (found: %(characters)s)."
        ) % {"characters": describe(forbidden_characters(text))}


def test_the_check_refuses_controls_and_keeps_what_names_need() -> None:
    for text in HOSTILE:
        assert forbidden_characters(text), text
        cleaned = clean_one_line(text)
        assert cleaned.removed >= 1 and not forbidden_characters(cleaned.text)
    assert clean_one_line("Eve\r\nBcc: x@y") == ("Eve Bcc: x@y", 2)
    assert clean_one_line("Mallory\u202egnp.exe") == ("Mallorygnp.exe", 1)
    for text in KEPT:
        assert forbidden_characters(text) == [] and clean_one_line(text) == (text, 0), text
    for code in [*range(0x20), *range(0x7F, 0xA0), 0x200E, 0x200F, 0x061C, 0x2028, 0x2029]:
        assert forbidden_characters(f"a{chr(code)}b") == [chr(code)], hex(code)
    for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200B, 0xFEFF]:
        assert forbidden_characters(chr(code)) == [chr(code)], hex(code)


# ---------------------------------------------------------------------------
# Doors that refuse


@pytest.mark.django_db
@pytest.mark.parametrize("name", HOSTILE)
def test_the_organisers_form_refuses_the_name_and_changes_nothing(
    client: Any, organiser: Any, programme: Any, name: str
) -> None:
    login(client, organiser)
    before = snapshot()
    response = client.post(
        reverse("participants:add", args=[programme.pk]), {**PERSON, "name": name}
    )
    assert_refused(response, "name", name)
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field", ["department", "organisation", "level", "phone_note", "interests_text"]
)
def test_the_organisers_form_refuses_every_one_line_text(
    client: Any, organiser: Any, programme: Any, make_participant: Any, field: str
) -> None:
    # The form has every profile field the programme asks: here all of them.
    programme.questions = list(Question.values)
    programme.save(update_fields=["questions"])
    person = make_participant(programme, "Ida", email="ida@example.org")
    login(client, organiser)
    before = snapshot()
    url = reverse("participants:edit", args=[programme.pk, person.pk])
    data = {**PERSON, "name": "Ida", "email": person.email, field: "Pflege\r\nBcc: x@y"}
    response = client.post(url, data)
    assert_refused(response, field, "\r\n")
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", HOSTILE)
def test_the_join_form_refuses_the_name_in_german(
    german_client: Client, programme: Any, name: str
) -> None:
    before = snapshot()
    response = german_client.post(join_url(programme), form_data(name=name))
    assert_refused(response, "name", name, "de")
    assert snapshot() == before


@pytest.mark.django_db
def test_the_step_after_joining_refuses_a_hostile_interest(
    client: Any, programme: Any, make_participant: Any
) -> None:
    """Interests are asked after joining, on the person's page, one step at a time."""
    anna = make_participant(programme, "Anna", email="anna@example.org", interests=[])
    sign_in_participant(client, anna)
    before = snapshot()
    response = client.post(
        reverse("participants:step"),
        {"question": "interests", "interests_text": "Jazz, Fu\u202eßball"},
    )
    assert response.status_code == 400
    errors = response.context["step_fields"].errors["interests_text"]
    with translation.override("en"):
        assert [str(e) for e in errors] == [refusal("\u202e")]
    assert refusal("\u202e") in response.content.decode()
    assert snapshot() == before
    anna.refresh_from_db()
    assert anna.interests == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", HOSTILE)
def test_the_persons_own_page_refuses_the_name(
    client: Any, programme: Any, make_participant: Any, name: str
) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org")
    sign_in_participant(client, anna)
    before = snapshot()
    response = client.post(
        reverse("participants:edit_profile"),
        {
            "name": name,
            "email": "anna@example.org",
            "department": "Beratung",
            "languages_text": "English",
            "mode": "online",
            "language": "en",
        },
    )
    assert_refused(response, "name", name)
    assert snapshot() == before
    anna.refresh_from_db()
    assert anna.name == "Anna"


@pytest.mark.django_db
@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_api_answers_400_with_the_translated_message(
    programme: Any, organiser: Any, make_participant: Any, name: str, language: str
) -> None:
    person = make_participant(programme, "Ida", email="ida@example.org")
    writer = api_client(make_token(programme, "write", organiser)[1], language)
    before = snapshot()
    people = reverse("api:people", args=[programme.pk])
    added = post(writer, people, {"name": name, "email": "new@example.org"})
    assert added.status_code == 400
    assert added.json() == {"name": [refusal(name, language)]}
    changed = patch(writer, reverse("api:person", args=[programme.pk, person.pk]), {"level": name})
    assert changed.status_code == 400 and changed.json() == {"level": [refusal(name, language)]}
    listed = post(
        writer, people, {"name": "Ida Neu", "email": "neu@example.org", "interests": ["Jazz", name]}
    )
    assert listed.status_code == 400 and list(listed.json()) == ["interests"]
    assert snapshot() == before


def upload(client: Any, programme: Any, data: bytes) -> str:
    client.post(
        reverse("participants:import", args=[programme.pk]),
        {"file": SimpleUploadedFile("people.csv", data, content_type="text/csv")},
    )
    url = reverse("participants:import_preview", args=[programme.pk])
    return client.get(url).content.decode()


def confirm(client: Any, programme: Any, page: str) -> None:
    fingerprint = page.split('name="fingerprint" value="', 1)[1].split('"', 1)[0]
    url = reverse("participants:import_preview", args=[programme.pk])
    assert client.post(url, {"confirm": "1", "fingerprint": fingerprint}).status_code == 302


def _csv_rows(delimiter: str) -> str:
    """A header, a good person, and a person with each hostile name (but NUL, which
    makes a file no text file) in a quoted cell."""
    lines = [delimiter.join(["id", "name", "email", "department"])]
    lines.append(delimiter.join(["1", "Anna Gut", "anna@example.org", "Pflege"]))
    for number, name in enumerate((n for n in HOSTILE if "\x00" not in n), start=2):
        quoted = '"' + name + '"'
        lines.append(delimiter.join([str(number), quoted, f"p{number}@example.org", "IT"]))
    lines.append(delimiter.join(["99", "Ben Gut", "ben@example.org", '"Fu\u202eßball"']))
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    # A CSV file in UTF-8, and Excel's "Unicode text": UTF-16 with tabs between cells.
    [("utf-8", ","), ("utf-16", "\t")],
    ids=["csv", "excel-unicode-text"],
)
def test_the_import_refuses_each_hostile_row_and_imports_the_others(
    client: Any, organiser: Any, programme: Any, encoding: str, delimiter: str
) -> None:
    login(client, organiser)
    page = upload(client, programme, _csv_rows(delimiter).encode(encoding))
    assert "1 people will be added" in page or "1 person will be added" in page
    # Lines as a spreadsheet numbers them: a quoted line break makes a row two lines.
    line = 3
    for name in (n for n in HOSTILE if "\x00" not in n):
        characters = describe(forbidden_characters(name))
        assert (
            f"Line {line}, column “name”: the cell holds a line break, a tab or an invisible "
            f"control character ({characters}); write it on one line without them."
        ) in page
        line += 1 + name.count("\n")
    assert f"Line {line}, column “department”" in page
    assert Participant.objects.count() == 0
    confirm(client, programme, page)
    assert list(Participant.objects.values_list("name", flat=True)) == ["Anna Gut"]


@pytest.mark.django_db
def test_the_import_preview_is_german_for_a_german_organiser(
    german_client: Client, organiser: Any, programme: Any
) -> None:
    login(german_client, organiser)
    page = upload(german_client, programme, _csv_rows(";").encode("utf-8"))
    assert (
        "Zeile 3, Spalte „name“: die Zelle enthält einen Zeilenumbruch, einen Tabulator oder "
        "ein unsichtbares Steuerzeichen (U+000D, U+000A)"
    ) in page


@pytest.mark.django_db
def test_a_file_with_nul_is_refused_as_a_whole(client: Any, organiser: Any, programme: Any) -> None:
    login(client, organiser)
    page = upload(client, programme, b"id,name\r\n1,Anna\r\n2,Null\x00Byte\r\n")
    assert "The file is not a text file (CSV)" in page and "Add these people" not in page
    assert Participant.objects.count() == 0


# ---------------------------------------------------------------------------
# Doors that clean, and the round afterwards


def hostile_user(user_name: str, email: str, name: str, department: str) -> dict[str, Any]:
    return {
        "schemas": [USER, ENTERPRISE],
        "userName": user_name,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": email}],
        "displayName": name,
        "title": "Team\tLead",
        ENTERPRISE: {"department": department, "organization": "Diakonie\u202eNord"},
    }


def provision(scim: Scim, number: int, name: str) -> Participant:
    email = f"scim{number}@example.org"
    body = hostile_user(email, email, name, "Pf\x85lege")
    response = scim("POST", "/Users", body)
    assert response.status_code == 201, response.content
    return Participant.objects.get(email=email)


@pytest.mark.django_db
def test_scim_stores_cleaned_texts_and_logs_without_the_name(
    programme: Any, caplog: pytest.LogCaptureFixture
) -> None:
    scim = connect(programme, confirm_new_people=False)
    with caplog.at_level(logging.WARNING, logger="kaffeeklatsch.scim"):
        eve = provision(scim, 1, "Eve\r\nBcc: x@y")
    assert (eve.name, eve.level, eve.department, eve.organisation) == (
        "Eve Bcc: x@y",
        "Team Lead",
        "Pf lege",
        "DiakonieNord",
    )
    assert "removed 2 control characters from displayName of a SCIM user" in caplog.text
    assert "removed 1 control characters from title of a SCIM user" in caplog.text
    assert "Eve" not in caplog.text and "Diakonie" not in caplog.text

    user_id = scim("GET", '/Users?filter=userName eq "scim1@example.org"').json()["Resources"][0]
    replaced = scim(
        "PUT",
        f"/Users/{user_id['id']}",
        {**hostile_user("scim1@example.org", "scim1@example.org", "Mallory\u202egnp.exe", "IT")},
    )
    assert replaced.status_code == 200, replaced.content
    eve.refresh_from_db()
    assert eve.name == "Mallorygnp.exe" and eve.department == "IT"


def delivered_to(smtp: Any, people: list[Participant]) -> dict[str, Any]:
    found = {}
    for person in people:
        [message] = smtp.to(person.email)
        found[person.email] = message
    return found


def assert_clean(message: Any) -> None:
    subject = str(message["Subject"])
    assert not forbidden_characters(subject), repr(subject)
    assert message["Bcc"] is None
    ics = ics_part(message)
    if ics is not None:
        for line in ics.split("\r\n"):
            assert not forbidden_characters(line), repr(line)


@pytest.mark.django_db
def test_after_every_door_every_introduction_is_delivered(
    client: Any,
    organiser: Any,
    programme: Any,
    make_participant: Any,
    smtp: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The doors that refuse keep the hostile names out; the people come in as they
    # then correct themselves, and through SCIM with the hostile names cleaned.
    login(client, organiser)
    for number, name in enumerate(HOSTILE):
        data = {**PERSON, "name": name, "email": f"form{number}@example.org", "phone_note": ""}
        response = client.post(reverse("participants:add", args=[programme.pk]), data)
        assert response.status_code == 200
        client.post(
            reverse("participants:add", args=[programme.pk]), {**data, "name": f"Form {number}"}
        )
    scim = connect(programme, confirm_new_people=False)
    provisioned = [provision(scim, number, name) for number, name in enumerate(HOSTILE)]
    assert all(not forbidden_characters(p.name) for p in provisioned)
    people = list(Participant.objects.filter(programme=programme, status="active"))
    assert len(people) == 2 * len(HOSTILE)

    OutboxMessage.objects.all().delete()  # the welcomes
    smtp.clear()
    with caplog.at_level(logging.INFO):
        publish_round(preview_round(programme))
        while send_outbox():
            pass
    introductions = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.INTRODUCTION)
    assert introductions.count() == len(people)
    assert set(introductions.values_list("status", flat=True)) == {OutboxMessage.Status.SENT}
    for message in delivered_to(smtp, people).values():
        assert_clean(message)
    assert "Bcc: x@y" not in caplog.text


@pytest.mark.django_db
def test_names_stored_before_the_check_still_give_delivered_clean_emails(
    programme: Any, make_participant: Any, smtp: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # PostgreSQL cannot store NUL in a text at all: there, no such name can exist.
    stored = [n for n in HOSTILE if connection.vendor != "postgresql" or "\x00" not in n]
    people = [make_participant(programme, f"Person {n}") for n in range(len(stored))]
    for person, name in zip(people, stored, strict=True):
        # Written around every check, as a name stored before them would be.
        Participant.objects.filter(pk=person.pk).update(name=name, department=name)
    Participant.objects.filter(pk=people[0].pk).update(interests=["Jazz\r\nBcc: y@z"])
    with caplog.at_level(logging.INFO):
        publish_round(preview_round(programme))
        while send_outbox():
            pass
    introductions = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.INTRODUCTION)
    assert introductions.count() == len(people)
    assert set(introductions.values_list("status", flat=True)) == {OutboxMessage.Status.SENT}
    assert set(introductions.values_list("last_error", flat=True)) == {""}
    received = delivered_to(smtp, people)
    for message in received.values():
        assert_clean(message)
    partners = " ".join(str(m["Subject"]) for m in received.values())
    assert "Eve Bcc: x@y" in partners and "Mallorygnp.exe" in partners
    for name in stored:
        assert name.split()[0][:3] not in caplog.text


@pytest.mark.django_db
def test_a_refused_header_is_logged_without_the_name(caplog: pytest.LogCaptureFixture) -> None:
    message = OutboxMessage(pk=1, attempts=1)
    with caplog.at_level(logging.WARNING, logger="kaffeeklatsch.notifications.transport"):
        transport._mark_failed(
            [message], BadHeaderError("Header values can't contain newlines (got 'Eve\\r\\nBcc')")
        )
    assert "BadHeaderError" in caplog.text and "Eve" not in caplog.text


def test_a_sign_in_stores_cleaned_claims_and_the_introduction_is_delivered(
    idp: Provider,
    browser: Browser,
    programmes: Any,
    smtp: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with_sso, _without = programmes
    paula = Participant.objects.create(
        programme=with_sso, name="Paula", email="paula@example.org", language="en", status="active"
    )
    Participant.objects.create(
        programme=with_sso, name="Ben", email="ben@example.org", language="en", status="active"
    )
    idp.user(
        "paula-1",
        email="paula@example.org",
        email_verified=True,
        name="Eve\r\nBcc: x@y",
        department="Kita\u202eati",
        level="team\x85lead",
    )
    with caplog.at_level(logging.WARNING, logger="kaffeeklatsch.sso"):
        done = participant_sign_in(browser, "paula-1")
    assert done.status_code == 200 and done.url.endswith("/me/")
    paula.refresh_from_db()
    assert (paula.name, paula.department, paula.level) == ("Eve Bcc: x@y", "Kitaati", "team lead")
    assert "removed 2 control characters from the claim name at single sign-on" in caplog.text
    assert "Eve" not in caplog.text and "Kita" not in caplog.text

    publish_round(preview_round(with_sso))
    while send_outbox():
        pass
    [to_ben] = smtp.to("ben@example.org")
    assert str(to_ben["Subject"]).endswith("you meet Eve Bcc: x@y")
    assert_clean(to_ben)
    assert len(smtp.to("paula@example.org")) == 1
