"""Letters and phone lists that work on paper, read back from the PDFs: large print,
a way to reach the partner without e-mail, a real place, a way to answer "Did you
meet?", the day to post the letters, and no word broken inside a table cell."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from pypdf import PdfReader

from kaffeeklatsch.reach.letters import letters_pdf, phone_header, phone_list_pdf
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from kaffeeklatsch.rounds.schedule import letters_post_by
from tests.support.web import login, press

pytestmark = pytest.mark.django_db

SLOT = [[1, 9 * 60, 11 * 60], [3, 14 * 60, 16 * 60]]


@pytest.fixture
def paper_preview(programme: Any, make_participant: Any) -> Any:
    """Gertrud (post, German) meets Anna, who shares her phone; Walter (phone,
    German) meets Karl, who shares nothing. The programme lists a café and has a
    contact person."""
    programme.language = "de"
    programme.mode = "in_person"
    programme.contact_name = "Frau Yilmaz"
    programme.contact_phone = "0228 777 100"
    programme.meeting_places = "Café Südstadt, Marktplatz 3"
    programme.save()
    common = {"language": "de", "languages": ["de"], "mode": "in_person", "availability": SLOT}
    gertrud = make_participant(
        programme,
        "Gertrud Sommerfeld",
        email="",
        reached_by="post",
        postal_address="Lindenweg 3\n53111 Bonn",
        interests=["Gartenarbeit"],
        **common,
    )
    anna = make_participant(
        programme,
        "Anna Lindqvist",
        email="anna@example.org",
        shares="phone",
        phone="0228 1234",
        interests=["Gartenarbeit"],
        **common,
    )
    walter = make_participant(
        programme,
        "Walter Schmidt-Rüdesheimer",
        email="",
        reached_by="phone",
        phone="0228 98765",
        **common,
    )
    karl = make_participant(
        programme, "Karl Ohnenummer", email="karl@example.org", shares="name", **common
    )
    rnd = preview_round(programme)
    groups = {frozenset(m.name for m in g.members.all()) for g in rnd.groups.all()}
    if frozenset({gertrud.name, anna.name}) not in groups:
        pytest.fail(f"unexpected groups {groups}")
    return rnd, gertrud, anna, walter, karl


@pytest.fixture
def paper_round(paper_preview: Any) -> Any:
    rnd, *people = paper_preview
    return publish_round(rnd), *people


def pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def font_sizes(data: bytes) -> dict[float, set[str]]:
    """The sizes (points) of the text drawn, with the fonts drawn in each size."""
    sizes: dict[float, set[str]] = {}
    for page in PdfReader(io.BytesIO(data)).pages:

        def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
            if text.strip():
                size = round(size * abs(tm[3]) * abs(cm[3]), 1)
                sizes.setdefault(size, set()).add(str(font["/BaseFont"]))

        page.extract_text(visitor_text=visit)
    return sizes


def test_letters_are_large_print_sans_serif_and_say_how_to_reach_the_partner(
    paper_round: Any,
) -> None:
    rnd, gertrud, anna, walter, karl = paper_round
    data = letters_pdf(rnd)
    sizes = font_sizes(data)
    assert min(sizes) >= 14
    fonts = set().union(*sizes.values())
    assert fonts and all("Sans" in name or "Vera" in name for name in fonts), fonts
    texts = pages(data)
    flat = [re.sub(r"\s+", " ", t) for t in texts]
    gertruds = next(t for t in flat if "Lindenweg 3" in t)
    walters = next(t for t in flat if "Karl Ohnenummer" in t)
    # Anna shares her phone: Gertrud can call her.
    assert "Anna Lindqvist" in gertruds and "0228 1234" in gertruds
    assert "anna@example.org" not in gertruds
    # Karl shares nothing: the contact person connects them.
    assert "Karl Ohnenummer" in walters and "Frau Yilmaz" in walters
    assert "0228 777 100" in walters
    # A real place, and how to answer without e-mail: call, or the reply slip.
    for letter in (gertruds, walters):
        assert "Café Südstadt, Marktplatz 3" in letter
        assert "Antwortzettel" in letter and "Ja, wir haben uns getroffen" in letter
        assert "Frau Yilmaz" in letter
    # The organiser's first page says by when to post them.
    deadline = letters_post_by(rnd)
    assert deadline is not None
    assert "spätestens" in flat[0]
    assert str(deadline.year) in flat[0]
    # One page per letter, behind the organiser's page.
    assert len(texts) == 3


def test_the_letters_go_out_before_the_meeting_can_be_reached_by_post(paper_round: Any) -> None:
    rnd, gertrud, *_ = paper_round
    group = rnd.groups.get(members=gertrud)
    deadline = letters_post_by(rnd)
    assert deadline is not None and group.suggested_start is not None
    assert deadline >= rnd.published_at.date()


def test_phone_list_breaks_no_word(paper_round: Any) -> None:
    rnd, *_ = paper_round
    data = phone_list_pdf(rnd)
    text = "\n".join(pages(data))
    words = set(re.findall(r"\w[\w-]*", text))
    for expected in ("Sprache", "Walter", "Schmidt-Rüdesheimer", "Ohnenummer", "Südstadt"):
        assert expected in words, expected
    for heading in phone_header():
        for word in heading.split():
            assert word.strip("?") in text, word
    # No piece of a longer word stands on its own.
    for broken in ("Sprac", "getroffe", "Rüdeshei", "Ohnenum", "Schmidt-"):
        assert broken not in words, broken


def test_phone_list_in_german_keeps_its_long_words(
    german_client: Any, organiser: Any, programme: Any, paper_round: Any
) -> None:
    rnd, *_ = paper_round
    login(german_client, organiser)
    response = german_client.get(reverse("reach:phone_list", args=[programme.pk, rnd.pk]))
    assert response.status_code == 200
    words = set(re.findall(r"\w[\w-]*", "\n".join(pages(response.content))))
    assert {"Sprache", "getroffen", "Einstieg"} <= words
    for broken in ("Sprac", "getroffe", "g", "etroffe"):
        assert broken not in words, broken


def test_publishing_says_when_the_letters_must_be_posted(
    client: Any, organiser: Any, programme: Any, paper_preview: Any
) -> None:
    rnd, *_ = paper_preview
    login(client, organiser)
    page = press(client, reverse("rounds:publish", args=[programme.pk, rnd.pk]))
    rnd.refresh_from_db()
    assert rnd.status == "published"
    html = page.content.decode()
    deadline = letters_post_by(rnd)
    assert deadline is not None
    assert 'id="post-by"' in html
    assert "Letters must be posted by" in html
    with translation.override("en"):
        assert f"{date_format(deadline, 'l')}, {date_format(deadline)}" in html
