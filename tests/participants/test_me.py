"""A participant's own page: profile, break, blocks, meetings, leaving, export, erasure."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.models import Feedback, Group
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.web import sign_in_participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def met(programme: Any, make_participant: Any) -> tuple[Participant, Participant]:
    anna = make_participant(programme, "Anna", email="anna@example.org", interests=["Jazz"])
    ben = make_participant(programme, "Ben", email="ben@example.org")
    publish_round(preview_round(programme), notify=False)
    return anna, ben


def test_without_a_link_the_page_asks_for_one(client: Any, db: Any) -> None:
    response = client.get(reverse("participants:me"))
    assert response.status_code == 302
    assert response["Location"] == reverse("participants:request_link")


def test_sign_in_link_works_once(client: Any, met: Any, settings: Any) -> None:
    from kaffeeklatsch.participants.tokens import sign_in_token

    anna, _ben = met
    token = sign_in_token(anna)
    url = reverse("participants:sign_in", args=[token])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 400


def test_page_shows_own_profile_and_meetings(client: Any, met: Any) -> None:
    anna, ben = met
    sign_in_participant(client, anna)
    html = client.get(reverse("participants:me")).content.decode()
    assert "Hello Anna!" in html
    assert "Round 1" in html and "Ben" in html


def test_the_page_shows_each_persons_break_and_choices_in_their_language(
    client: Any, met: Any
) -> None:
    anna, ben = met
    until = timezone.localdate() + dt.timedelta(days=30)
    Participant.objects.filter(pk=anna.pk).update(
        paused_until=until, mode="online", shares="phone", language="de"
    )
    Participant.objects.filter(pk=ben.pk).update(skip_next_round=True, mode="in_person")

    def page(person: Participant, language: str) -> str:
        browser = Client(headers={"accept-language": language})
        sign_in_participant(browser, person)
        return browser.get(reverse("participants:me")).content.decode()

    def pause_inputs(html: str) -> tuple[str, bool]:
        date = re.search(r'<input type="date" name="paused_until"[^>]*>', html)
        check = re.search(r'<input type="checkbox" name="skip_next_round"[^>]*>', html)
        assert date and check
        value = re.search(r'value="([^"]*)"', date.group(0))
        return (value.group(1) if value else "", "checked" in check.group(0))

    for _ in range(2):  # the second visits are drawn from what the first ones drew
        anna_page, ben_page = page(anna, "de"), page(ben, "en")
        assert pause_inputs(anna_page) == (until.isoformat(), False)
        assert pause_inputs(ben_page) == ("", True)
        assert "Pause bis" in anna_page and "Pause until" not in anna_page
        assert "Pause until" in ben_page
        assert "<dd>Online</dd>" in anna_page and ", meine Telefonnummer</dd>" in anna_page
        assert "<dd>In person</dd>" in ben_page and ", my e-mail address</dd>" in ben_page
    english_anna = page(anna, "en")
    # Anna's saved language wins over the browser's, as on every participant page.
    assert "Pause bis" in english_anna


def test_edit_profile(client: Any, met: Any) -> None:
    anna, _ = met
    sign_in_participant(client, anna)
    response = client.post(
        reverse("participants:edit_profile"),
        {
            "name": "Anna S.",
            "email": "anna@example.org",
            "department": "Beratung",
            "organisation": "",
            "level": "Leitung",
            "languages_text": "English, Polish",
            "place": "Köln",
            "mode": "in_person",
            "interests_text": "Chor",
            "language": "de",
            "times": ["weekday-midday"],
        },
    )
    assert response.status_code == 302
    anna.refresh_from_db()
    assert anna.name == "Anna S." and anna.department == "Beratung"
    assert anna.languages == ["en", "pl"] and anna.interests == ["Chor"]
    assert anna.latitude is not None and anna.mode == "in_person"
    assert sorted({window[0] for window in anna.availability}) == [0, 1, 2, 3, 4]
    # The page now speaks the chosen language.
    assert "Mein Profil" in client.get(reverse("participants:me")).content.decode()


def test_pause_and_skip(client: Any, met: Any) -> None:
    anna, _ = met
    sign_in_participant(client, anna)
    until = timezone.localdate() + dt.timedelta(days=30)
    client.post(reverse("participants:pause"), {"paused_until": until.isoformat()})
    anna.refresh_from_db()
    assert anna.paused_until == until and anna.is_paused
    assert anna not in Participant.objects.available_on(timezone.localdate())
    client.post(reverse("participants:pause"), {"paused_until": "", "skip_next_round": "on"})
    anna.refresh_from_db()
    assert anna.paused_until is None and anna.skip_next_round
    # A day in the past or no date at all is refused with a message and changes nothing.
    for bad in [(timezone.localdate() - dt.timedelta(days=1)).isoformat(), "31.02.2026"]:
        response = client.post(reverse("participants:pause"), {"paused_until": bad}, follow=True)
        assert 'role="alert"' in response.content.decode()
        anna.refresh_from_db()
        assert anna.paused_until is None and anna.skip_next_round
    Participant.objects.filter(pk=anna.pk).update(language="de")
    german = Client()
    sign_in_participant(german, anna)
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    page = german.post(reverse("participants:pause"), {"paused_until": yesterday}, follow=True)
    assert "Bitte wählen Sie heute oder einen späteren Tag." in page.content.decode()


def test_block_someone_met_but_not_a_stranger(
    client: Any, met: Any, programme: Any, make_participant: Any
) -> None:
    anna, ben = met
    stranger = make_participant(programme, "Stranger")
    sign_in_participant(client, anna)
    client.post(reverse("participants:block"), {"person": stranger.pk})
    assert not anna.blocked.exists()
    client.post(reverse("participants:block"), {"person": ben.pk})
    assert list(anna.blocked.all()) == [ben]
    client.post(reverse("participants:unblock", args=[ben.pk]))
    assert not anna.blocked.exists()


def test_leave_and_come_back(client: Any, met: Any) -> None:
    anna, _ = met
    sign_in_participant(client, anna)
    assert client.get(reverse("participants:leave")).status_code == 200
    client.post(reverse("participants:leave"))
    anna.refresh_from_db()
    assert anna.status == Participant.Status.LEFT
    client.post(reverse("participants:rejoin"))
    anna.refresh_from_db()
    assert anna.status == Participant.Status.ACTIVE


def test_export_contains_everything_about_me_and_nothing_about_others(
    client: Any, met: Any
) -> None:
    anna, ben = met
    Feedback.objects.create(group=Group.objects.get(), participant=anna, met=True)
    sign_in_participant(client, anna)
    response = client.get(reverse("participants:export"))
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["profile"]["email"] == "anna@example.org"
    assert data["profile"]["interests"] == ["Jazz"]
    assert data["meetings"] == [
        {
            "round": 1,
            "date": data["meetings"][0]["date"],
            "with": ["Ben"],
            "mode": data["meetings"][0]["mode"],
            "we_met": True,
        }
    ]
    assert "ben@example.org" not in response.content.decode()


def test_erase_removes_me_and_signs_me_out(client: Any, met: Any) -> None:
    anna, ben = met
    sign_in_participant(client, anna)
    assert client.get(reverse("participants:erase")).status_code == 200
    response = client.post(reverse("participants:erase"))
    assert response.status_code == 200
    assert not Participant.objects.filter(pk=anna.pk).exists()
    assert Participant.objects.filter(pk=ben.pk).exists()
    assert list(Group.objects.get().members.all()) == [ben]
    assert client.get(reverse("participants:me")).status_code == 302


def test_request_link_answers_the_same_for_unknown_addresses(
    client: Any, met: Any, smtp: Any
) -> None:
    from tests.support.mail import send_outbox

    known = client.post(reverse("participants:request_link"), {"email": "ANNA@example.org"})
    unknown = client.post(reverse("participants:request_link"), {"email": "who@example.org"})
    import re

    def page(response: Any) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())

    assert page(known) == page(unknown)
    send_outbox()
    assert [str(m["To"]) for m in smtp.messages] == ["anna@example.org"]


def test_sign_out(client: Any, met: Any) -> None:
    anna, _ = met
    sign_in_participant(client, anna)
    client.post(reverse("participants:sign_out"))
    assert client.get(reverse("participants:me")).status_code == 302


# Fields that say nothing about the person: the row's id, the programme (exported by
# name) and the counter that makes sign-in links single-use.
NOT_ABOUT_THE_PERSON = {"id", "programme", "link_generation"}


def test_export_holds_every_field_stored_about_me(client: Any, met: Any) -> None:
    """Every text field of a participant, also ones added later, is in the download."""
    from django.db import models

    from kaffeeklatsch.participants.models import Participant

    anna, _ben = met
    markers: dict[str, str] = {}
    for f in Participant._meta.concrete_fields:
        if f.name in NOT_ABOUT_THE_PERSON or not isinstance(
            f, (models.CharField, models.TextField)
        ):
            continue
        if isinstance(f, models.EmailField):
            value = f"marker-{f.name}@example.org"
        elif f.choices:
            value = str(f.choices[-1][0])
        else:
            value = f"marker-{f.name}"[: f.max_length]
        setattr(anna, f.name, value)
        markers[f.name] = value
    anna.save()
    sign_in_participant(client, anna)
    text = client.get(reverse("participants:export")).content.decode()
    data = json.loads(text)
    for name, value in markers.items():
        assert json.dumps(value) in text, f"the export lacks the participant's {name}"
    others = {
        f.name
        for f in Participant._meta.concrete_fields
        if f.name not in NOT_ABOUT_THE_PERSON
        and not isinstance(f, (models.CharField, models.TextField))
    }
    flat = json.dumps(data)
    exported_as = {
        "languages": "languages",
        "latitude": "latitude",
        "longitude": "longitude",
        "interests": "interests",
        "availability": "availability_utc",
        "named_in_channels": "named_in_chat_announcements",
        "reminders": "reminders",
        "paused_until": "paused_until",
        "skip_next_round": "skip_next_round",
        "added_by_organiser": "added_by_organiser",
        "created_at": "joined",
        "confirmed_at": "confirmed",
        "left_at": "left",
        "travel_km": "travel_km",
        "finished_steps": "profile_steps_done",
    }
    missing = others - set(exported_as)
    assert not missing, f"new fields {sorted(missing)}: export them and name them here"
    for key in exported_as.values():
        assert f'"{key}":' in flat, key


def _block_choices(response: Any) -> list[tuple[int, str]]:
    """The people the page offers to block, as (id, name), from its HTML."""
    html = response.content.decode()
    select = html.split('<select name="person"')[1].split("</select>")[0]
    return [
        (int(pk), unescape(name))
        for pk, name in re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', select)
    ]


def test_block_choices_are_the_people_met_and_not_yet_blocked(
    client: Any, programme: Any, make_participant: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kaffeeklatsch.participants.views import _met_people

    anna = make_participant(programme, "Anna", email="anna@example.org")
    others = [make_participant(programme, name) for name in ("Dora", "Ben", "Cleo")]
    stranger = make_participant(programme, "Zoe", email="zoe@example.org")
    sign_in_participant(client, anna)
    counts = []
    for number, partner in enumerate(others, start=1):
        rnd = preview_round(programme)
        rnd.groups.all().delete()
        group = Group.objects.create(round=rnd, mode="either", score=1.0, reasons=[])
        group.members.set([anna, partner])
        publish_round(rnd, notify=False)
        assert rnd.number == number
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("participants:me"))
        counts.append(len(queries))
        assert _block_choices(response) == _met_people(anna)
    # One more round on the page costs no more queries.
    assert counts[1] == counts[2]
    anna.blocked.add(others[1])
    response = client.get(reverse("participants:me"))
    people = _block_choices(response)
    assert [name for _pk, name in people] == ["Cleo", "Dora"]
    assert people == _met_people(anna)
    assert f'value="{stranger.pk}"' not in response.content.decode()


def test_the_block_field_is_drawn_as_djangos_form_draws_it(
    client: Any, programme: Any, make_participant: Any
) -> None:
    from kaffeeklatsch.participants.forms import BlockForm
    from kaffeeklatsch.participants.views import _met_people

    anna = make_participant(programme, "Anna", email="anna@example.org", language="de")
    ben = make_participant(programme, "O'Brien & <Söhne>")
    rnd = preview_round(programme)
    rnd.groups.all().delete()
    group = Group.objects.create(round=rnd, mode="either", score=1.0, reasons=[])
    group.members.set([anna, ben])
    publish_round(rnd, notify=False)
    sign_in_participant(client, anna)
    page = client.get(reverse("participants:me")).content.decode()
    with translation.override("de"):
        field = BlockForm(None, people=_met_people(anna))["person"]
        expected = f'<label for="{field.id_for_label}">{field.label}</label> {field}'
    assert expected in page
    assert "Nie wieder zusammenbringen mit" in expected and "O&#x27;Brien &amp; &lt;S" in expected


def test_meetings_newest_first_with_partners_and_answers(
    client: Any, programme: Any, make_participant: Any
) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org")
    partners = [make_participant(programme, name) for name in ("Ben", "Cleo")]
    groups = []
    for partner in partners:
        rnd = preview_round(programme)
        rnd.groups.all().delete()
        group = Group.objects.create(round=rnd, mode="either", score=1.0, reasons=[])
        group.members.set([anna, partner])
        publish_round(rnd, notify=False)
        groups.append(group)
    Feedback.objects.create(group=groups[0], participant=anna, met=False)
    Feedback.objects.create(group=groups[1], participant=partners[1], met=True)  # Cleo's
    sign_in_participant(client, anna)
    html = client.get(reverse("participants:me")).content.decode()
    meetings = html.split('id="h-meetings"')[1].split("</section>")[0]
    assert meetings.index("Round 2: Cleo") < meetings.index("Round 1: Ben")
    # Anna's own answer only: she did not meet Ben; Cleo's answer is not hers.
    assert meetings.count("we did not meet") == 1 and "we met" not in meetings
    assert meetings.split("Round 1: Ben")[1].count("we did not meet") == 1
