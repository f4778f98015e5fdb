"""Letters and phone lists for people reached by post or by phone, read back from the
PDF; the organiser enters their "Did you meet?" answers."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse
from pypdf import PdfReader

from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.rounds.models import Feedback
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.web import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def offline_round(programme: Any, make_participant: Any) -> Any:
    """Two pairs: Hilde (post, German) with Ben; Emil (phone, English) with Clara.

    Ben shares his phone only, Clara nothing but her name. Everyone meets on Tuesdays
    at 9 UTC, so the groups are fixed by language and a time is suggested."""
    slot = [[1, 9 * 60, 10 * 60]]
    hilde = make_participant(
        programme,
        "Hilde Brauer",
        email="",
        reached_by="post",
        language="de",
        languages=["de"],
        postal_address="Lindenweg 3\n53111 Bonn",
        availability=slot,
        interests=["Stricken"],
    )
    ben = make_participant(
        programme,
        "Ben Okafor",
        email="ben@example.org",
        shares="phone",
        phone="0228 1234",
        language="de",
        languages=["de"],
        availability=slot,
        interests=["Stricken"],
    )
    emil = make_participant(
        programme,
        "Emil Jones",
        email="",
        reached_by="phone",
        phone="+49 30 555",
        language="en",
        languages=["en"],
        availability=slot,
    )
    clara = make_participant(
        programme,
        "Clara Secret",
        email="clara@example.org",
        shares="name",
        phone="0170 999",
        language="en",
        languages=["en"],
        availability=slot,
    )
    rnd = publish_round(preview_round(programme))
    groups = {frozenset(m.name for m in g.members.all()) for g in rnd.groups.all()}
    assert groups == {
        frozenset({"Hilde Brauer", "Ben Okafor"}),
        frozenset({"Emil Jones", "Clara Secret"}),
    }
    return rnd, hilde, ben, emil, clara


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def font_sizes(data: bytes) -> set[float]:
    sizes: set[float] = set()
    for page in PdfReader(io.BytesIO(data)).pages:

        def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
            if text.strip():
                sizes.add(round(size * abs(tm[3]) * abs(cm[3]), 1))

        page.extract_text(visitor_text=visit)
    return sizes


def test_one_large_print_letter_per_offline_person_in_their_language(
    client: Any, organiser: Any, programme: Any, offline_round: Any
) -> None:
    rnd, *_ = offline_round
    login(client, organiser)
    response = client.get(reverse("reach:letters", args=[programme.pk, rnd.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content) if response.streaming else response.content
    pages = pdf_pages(data)
    assert len(pages) == 3  # the organiser's page with the day to post them, two letters
    hilde = next(p for p in pages if "Hilde Brauer" in p)
    emil = next(p for p in pages if "Emil Jones" in p)
    # Hilde's letter: German, her address for the envelope, Ben's phone (he shares it),
    # never Ben's e-mail; the suggested time and the opening question.
    assert "Lindenweg 3" in hilde and "53111 Bonn" in hilde
    assert "Ben Okafor" in hilde and "0228 1234" in hilde and "ben@example.org" not in hilde
    assert "Vorgeschlagene Zeit" in hilde and "Dienstag" in hilde
    assert "Stricken" in hilde  # the shared interest opens the conversation
    # Emil's letter: English; Clara shares nothing but her name.
    assert "Clara Secret" in emil and "0170 999" not in emil and "clara@" not in emil
    assert "has not shared contact details" in emil and "Suggested time" in emil
    assert "Tuesday" in emil and "A question to start with" in emil
    assert min(font_sizes(data)) >= 16


def test_a_partner_sharing_only_an_email_address_is_reached_by_email(
    client: Any, organiser: Any, programme: Any, offline_round: Any
) -> None:
    """Clara shares her e-mail address but no phone, and the programme names no contact
    person: Emil's letter gives her address without claiming she shared nothing."""
    rnd, hilde, ben, emil, clara = offline_round
    clara.shares = "email"
    clara.save(update_fields=["shares"])
    login(client, organiser)
    response = client.get(reverse("reach:letters", args=[programme.pk, rnd.pk]))
    data = b"".join(response.streaming_content) if response.streaming else response.content
    emil_letter = next(p for p in pdf_pages(data) if "Emil Jones" in p)
    text = " ".join(emil_letter.split())
    assert "clara@example.org" in text and "0170 999" not in text
    assert "has not shared a phone number; you can write by e-mail" in text
    assert "has not shared contact details" not in text


def test_phone_list_for_volunteers_as_csv_and_pdf(
    client: Any, organiser: Any, programme: Any, offline_round: Any
) -> None:
    rnd, hilde, ben, emil, clara = offline_round
    login(client, organiser)
    csv_text = b"".join(
        client.get(reverse("reach:phone_list_csv", args=[programme.pk, rnd.pk])).streaming_content
    ).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(csv_text)))
    assert header[:4] == ["Name", "Phone", "Language", "Meets"]
    assert [r[0] for r in rows] == ["Emil Jones"]  # Hilde gets a letter, not a call
    assert rows[0][1] == "'+49 30 555"  # a leading + would run as a spreadsheet formula
    assert rows[0][3] == "Clara Secret" and "0170" not in csv_text
    pdf = client.get(reverse("reach:phone_list", args=[programme.pk, rnd.pk]))
    text = "\n".join(pdf_pages(pdf.content))
    assert "Emil Jones" in text and "+49 30 555" in text and "Hilde" not in text


def test_offline_people_get_no_email_even_with_an_address(
    programme: Any, make_participant: Any
) -> None:
    post = make_participant(
        programme,
        "Paula Post",
        email="paula@example.org",
        reached_by="post",
        postal_address="Weg 1",
    )
    make_participant(programme, "Otto Online", email="otto@example.org")
    publish_round(preview_round(programme))
    assert not OutboxMessage.objects.filter(to=post.email).exists()
    assert OutboxMessage.objects.filter(to="otto@example.org").count() == 1


def test_the_organiser_enters_did_you_meet_for_offline_people(
    client: Any, organiser: Any, programme: Any, offline_round: Any, make_participant: Any
) -> None:
    rnd, hilde, *_ = offline_round
    login(client, organiser)
    page = client.get(reverse("rounds:detail", args=[programme.pk, rnd.pk])).content.decode()
    assert reverse("reach:letters", args=[programme.pk, rnd.pk]) in page
    url = reverse("reach:answer", args=[programme.pk, rnd.pk])
    client.post(url, {"participant": hilde.pk, "met": "yes"})
    assert Feedback.objects.get(participant=hilde).met is True
    client.post(url, {"participant": hilde.pk, "met": "no"})
    assert Feedback.objects.get(participant=hilde).met is False
    # Someone outside the round, or a nonsense answer, changes nothing.
    outsider = make_participant(programme, "Not In Round")
    response = client.post(url, {"participant": outsider.pk, "met": "yes"}, follow=True)
    assert "Please choose a person of this round" in response.content.decode()
    assert not Feedback.objects.filter(participant=outsider).exists()
    client.post(url, {"participant": hilde.pk, "met": "maybe"})
    assert Feedback.objects.get(participant=hilde).met is False


def test_only_the_programmes_organisers_download_letters(
    client: Any, programme: Any, offline_round: Any, make_organiser: Any, make_programme: Any
) -> None:
    rnd, *_ = offline_round
    stranger = make_organiser("stranger")
    make_programme(stranger, name="Other")
    urls = [
        reverse(name, args=[programme.pk, rnd.pk])
        for name in ("reach:letters", "reach:phone_list", "reach:phone_list_csv")
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous: to the login
    login(client, stranger)
    for url in urls:
        assert client.get(url).status_code == 404
