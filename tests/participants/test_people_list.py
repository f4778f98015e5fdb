"""The organiser's list of people: pages of 100, search, status filter, a constant number
of queries whatever the size of the programme, German and English."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kaffeeklatsch.participants.forms import SEARCH_MAX_LENGTH
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.views import PEOPLE_PER_PAGE
from tests.site.test_accessibility import _audit_page
from tests.support.web import PASSWORD, login

pytestmark = pytest.mark.database

ROW = re.compile(r'<tr><td><a href="/programmes/\d+/people/(\d+)/">([^<]+)</a>')
NAV = re.compile(r'<nav class="pages" aria-label="([^"]+)">(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"([^>]*)>(.*?)</a>', re.S)


def add_people(
    programme: Any, count: int, start: int = 0, name: str = "", **fields: Any
) -> list[Participant]:
    """Many people at once, created out of alphabetical order ("Person 0000" ...)."""
    numbers = list(range(start, start + count))
    numbers = numbers[1::2] + numbers[::2]
    return Participant.objects.bulk_create(
        Participant(
            programme=programme,
            name=name or f"Person {n:04d}",
            **{"email": f"person{n}@example.org", "status": Participant.Status.ACTIVE, **fields},
        )
        for n in numbers
    )


def rows(page: str) -> list[tuple[int, str]]:
    return [(int(pk), html.unescape(name)) for pk, name in ROW.findall(page)]


def nav_links(page: str) -> dict[str, str]:
    """The page links of the navigation by their text (without the hidden 'Page')."""
    found = NAV.search(page)
    assert found is not None, "no page navigation"
    links = {}
    for href, attributes, text in LINK.findall(found.group(2)):
        text = re.sub(r"<[^>]+>", "", text).replace("Page ", "").replace("Seite ", "")
        links[html.unescape(text).strip()] = html.unescape(href)
        if 'aria-current="page"' in attributes:
            links["current"] = text.strip()
    return links


def params(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


@pytest.fixture
def organiser_client(client: Any, organiser: Any) -> Any:
    login(client, organiser)
    return client


def get(client: Any, programme: Any, query: str | dict[str, str] = "") -> str:
    url = reverse("participants:list", args=[programme.pk])
    if isinstance(query, str):
        response = client.get(url + query)
    else:
        response = client.get(url, query)
    assert response.status_code == 200
    return response.content.decode()


def test_pages_of_a_hundred_people_ordered_by_name(organiser_client: Any, programme: Any) -> None:
    add_people(programme, 250)
    assert PEOPLE_PER_PAGE == 100

    first = get(organiser_client, programme)
    assert "250 people" in first and "Page 1 of 3" in first
    assert [name for _, name in rows(first)] == [f"Person {n:04d}" for n in range(100)]
    links = nav_links(first)
    assert links["current"] == "1"
    assert set(links) == {"1", "2", "3", "current", "Next page", "Last page"}
    assert params(links["Next page"]) == {"page": ["2"]}
    assert params(links["Last page"]) == {"page": ["3"]}

    last = get(organiser_client, programme, links["Last page"])
    assert "Page 3 of 3" in last
    assert [name for _, name in rows(last)] == [f"Person {n:04d}" for n in range(200, 250)]
    links = nav_links(last)
    assert links["current"] == "3"
    assert params(links["First page"]) == {"page": ["1"]}
    assert params(links["Previous page"]) == {"page": ["2"]}
    assert "Next page" not in links and "Last page" not in links


def test_people_with_the_same_name_keep_their_place_across_pages(
    organiser_client: Any, programme: Any
) -> None:
    # 210 people called the same: the order of the pages comes from their ids alone.
    people = add_people(programme, 210, name="Maria Schmidt")
    seen = []
    for number in (1, 2, 3):
        seen += rows(get(organiser_client, programme, {"page": str(number)}))
    assert [pk for pk, _ in seen] == sorted(p.pk for p in people)


def test_search_matches_name_email_department_and_place_ignoring_case(
    organiser_client: Any, programme: Any, make_participant: Any
) -> None:
    make_participant(programme, "Hildegard Ernst", department="Care", place="Bonn")
    make_participant(programme, "Emil", email="emil@kita-sonnenschein.de", department="Admin")
    make_participant(programme, "Fatma", department="Jugendhilfe", place="Köln")
    make_participant(programme, "Gustav", department="Admin", place="Siegburg")
    searches = {
        "HILDE": ["Hildegard Ernst"],
        "Sonnenschein": ["Emil"],
        "jugend": ["Fatma"],
        "siegBURG": ["Gustav"],
        "admin": ["Emil", "Gustav"],
        "%": [],
        "_": [],
    }
    for term, names in searches.items():
        page = get(organiser_client, programme, {"q": term})
        assert [name for _, name in rows(page)] == names, term
        if not names:
            assert "Nobody matches this search." in page
            assert "Nobody yet" not in page


def test_search_and_status_filter_together_and_kept_in_the_page_links(
    organiser_client: Any, programme: Any
) -> None:
    add_people(programme, 130, department="Kita Sonnenschein", status="pending")
    add_people(programme, 120, start=1000, department="Kita Sonnenschein")
    add_people(programme, 90, start=2000, department="Verwaltung", status="pending")

    page = get(organiser_client, programme, {"q": "  kita ", "status": "pending"})
    assert "130 people" in page and "Page 1 of 2" in page
    assert 'value="  kita "' in page and '<option value="pending" selected>' in page
    first = rows(page)
    assert len(first) == PEOPLE_PER_PAGE
    links = nav_links(page)
    assert params(links["Next page"]) == {"status": ["pending"], "q": ["kita"], "page": ["2"]}
    assert params(links["2"]) == params(links["Next page"])

    second = get(organiser_client, programme, links["Next page"])
    assert "Page 2 of 2" in second
    links = nav_links(second)
    assert params(links["Previous page"]) == {"status": ["pending"], "q": ["kita"], "page": ["1"]}
    everyone = rows(second) + first
    assert len(everyone) == 130
    chosen = Participant.objects.filter(pk__in=[pk for pk, _ in everyone])
    assert {(p.status, p.department) for p in chosen} == {("pending", "Kita Sonnenschein")}


def test_the_filter_alone_and_the_way_back_to_everyone(
    organiser_client: Any, programme: Any, make_participant: Any
) -> None:
    make_participant(programme, "Active Anna")
    page = get(organiser_client, programme, {"status": "left"})
    assert rows(page) == [] and "0 people" in page
    assert "Nobody matches this search." in page
    back = reverse("participants:list", args=[programme.pk])
    assert f'<a href="{back}">Show everyone</a>' in page
    assert "Show everyone" not in get(organiser_client, programme)


def test_an_empty_programme_says_nobody_yet(organiser_client: Any, programme: Any) -> None:
    page = get(organiser_client, programme)
    assert "Nobody yet." in page and "Nobody matches" not in page
    assert "0 people" in page
    assert '<nav class="pages"' not in page


@pytest.mark.parametrize(
    ("page", "shown"),
    [
        ("abc", 1),
        ("", 1),
        ("0", 1),
        ("-4", 1),
        ("2.5", 1),
        ("1e3", 1),
        ("\x00", 1),
        ("9" * 5000, 3),
        ("4", 3),
        ("99999999999999999999", 3),
        (" 2 ", 2),
    ],
)
def test_bad_page_numbers_show_the_nearest_page(
    organiser_client: Any, programme: Any, page: str, shown: int
) -> None:
    add_people(programme, 201)
    html_page = get(organiser_client, programme, {"page": page})
    assert f"Page {shown} of 3" in html_page
    assert nav_links(html_page)["current"] == str(shown)


def test_a_page_number_past_the_end_of_a_search_shows_its_last_page(
    organiser_client: Any, programme: Any
) -> None:
    add_people(programme, 150)
    page = get(organiser_client, programme, {"q": "person", "page": "7"})
    assert "Page 2 of 2" in page and len(rows(page)) == 50
    nothing = get(organiser_client, programme, {"q": "nobody", "page": "7"})
    assert rows(nothing) == [] and "Nobody matches this search." in nothing


def test_an_overlong_search_term_is_refused_with_a_message(
    organiser_client: Any, programme: Any
) -> None:
    add_people(programme, 3)
    longest = "person " + "x" * (SEARCH_MAX_LENGTH - 7)
    page = get(organiser_client, programme, {"q": longest})
    assert "Nobody matches this search." in page and 'class="error"' not in page

    page = get(organiser_client, programme, {"q": longest + "x", "status": "active"})
    assert f"at most {SEARCH_MAX_LENGTH} characters" in page
    assert 'aria-invalid="true"' in page and 'id="id_q_error"' in page
    # The search is left out; the valid filter still holds.
    assert len(rows(page)) == 3 and '<option value="active" selected>' in page

    huge = get(organiser_client, programme, {"q": "ü" * 5000})
    assert "at most 200 characters" in huge and len(rows(huge)) == 3


def test_unusable_search_input_is_refused_with_a_message(
    organiser_client: Any, programme: Any
) -> None:
    add_people(programme, 2)
    page = get(organiser_client, programme, {"q": "per\x00son"})
    assert "Null characters are not allowed." in page and len(rows(page)) == 2
    page = get(organiser_client, programme, {"status": "<script>"})
    assert "Select a valid choice." in page and "&lt;script&gt;" in page
    assert len(rows(page)) == 2


def _queries(client: Any, programme: Any, query: dict[str, str]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        get(client, programme, query)
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("query", [{}, {"page": "2"}, {"q": "person", "status": "active"}])
def test_the_number_of_queries_does_not_grow_with_the_programme(
    organiser_client: Any, programme: Any, query: dict[str, str]
) -> None:
    add_people(programme, 120)
    get(organiser_client, programme, query)  # sessions and caches are warm
    small = _queries(organiser_client, programme, query)
    add_people(programme, 280, start=120)
    large = _queries(organiser_client, programme, query)
    assert len(small) == len(large)
    people = [sql for sql in large if 'FROM "participants_participant"' in sql]
    assert len(people) == 2
    assert "COUNT(" in people[0]
    assert "LIMIT 100" in people[1]
    # The JSON fields are not read for the list.
    assert '"interests"' not in people[1] and '"availability"' not in people[1]


def test_the_list_speaks_german(german_client: Any, organiser: Any, programme: Any) -> None:
    add_people(programme, 150, department="Pflege")
    login(german_client, organiser)
    url = reverse("participants:list", args=[programme.pk])
    page = german_client.get(url, {"q": "pflege", "page": "2"}).content.decode()
    assert "150 Personen" in page and "Seite 2 von 2" in page
    assert 'aria-label="Seiten der Liste"' in page and 'aria-label="Personen suchen"' in page
    assert "Erste Seite" in page and "Vorherige Seite" in page
    assert ">Suchen</button>" in page and "Alle zeigen" in page
    assert "Ein Teil eines Namens, einer E-Mail-Adresse" in page
    nothing = german_client.get(url, {"q": "niemand"}).content.decode()
    assert "Niemand passt zu dieser Suche." in nothing
    one = german_client.get(url, {"q": "person 0001"}).content.decode()
    assert "1 Person<" in one


def test_the_list_speaks_english(client: Any, organiser: Any, programme: Any) -> None:
    add_people(programme, 150, department="Care")
    login(client, organiser)
    url = reverse("participants:list", args=[programme.pk])
    page = client.get(url).content.decode()
    assert "150 people" in page and "Page 1 of 2" in page
    assert 'aria-label="Pages of the list"' in page and 'aria-label="Search people"' in page
    assert "Next page" in page and "Last page" in page and ">Search</button>" in page
    assert '<label for="id_q">Search</label>' in page
    assert '<label for="id_status">Show</label>' in page
    one = client.get(url, {"q": "person 0001"}).content.decode()
    assert "1 person<" in one


def _row_of(page: str, name: str) -> str:
    found = re.search(rf"<tr><td><a [^>]*>{re.escape(name)}</a>.*?</tr>", page)
    assert found is not None, name
    return found.group(0)


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("en", ("Taking part", "Waiting for confirmation", "paused", "by post", "no e-mail")),
        ("de", ("Nimmt teil", "Wartet auf Bestätigung", "pausiert", "per Post", "keine E-Mail")),
    ],
)
def test_each_row_shows_status_pause_and_how_the_person_is_reached(
    client: Any, organiser: Any, programme: Any, language: str, texts: tuple[str, ...]
) -> None:
    import datetime as dt

    from django.utils import timezone

    active, pending, paused, post, no_email = texts
    today = timezone.localdate()
    add_people(programme, 1, name="Anna <Alt>", department="Pflege & Co", level="Leitung",
               place="Köln")  # fmt: skip
    add_people(programme, 1, start=1, name="Bert", status=Participant.Status.PENDING)
    add_people(programme, 1, start=2, name="Carla", paused_until=today)
    add_people(programme, 1, start=3, name="Dora", paused_until=today - dt.timedelta(days=1))
    add_people(programme, 1, start=4, name="Emil", reached_by="post", email="")
    add_people(programme, 1, start=5, name="Frida", email="")
    login(client, organiser)
    page = client.get(
        reverse("participants:list", args=[programme.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    anna = Participant.objects.get(name="Anna <Alt>")
    assert _row_of(page, "Anna &lt;Alt&gt;") == (
        f'<tr><td><a href="/programmes/{programme.pk}/people/{anna.pk}/">Anna &lt;Alt&gt;</a>'
        f"</td><td>Pflege &amp; Co</td><td>Leitung</td><td>Köln</td><td>{active}</td></tr>"
    )
    assert f"<td>{pending}</td></tr>" in _row_of(page, "Bert")
    assert f"<td>{active} · {paused}</td></tr>" in _row_of(page, "Carla")
    # A pause that ended yesterday is over.
    assert f"<td>{active}</td></tr>" in _row_of(page, "Dora")
    assert f'Emil</a> <span class="badge">{post}</span></td>' in _row_of(page, "Emil")
    assert f'Frida</a> <span class="badge">{no_email}</span></td>' in _row_of(page, "Frida")
    assert "badge" not in _row_of(page, "Bert")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_searching_and_paging_on_a_phone_with_the_keyboard(
    browser: Any,
    live_server: Any,
    organiser: Any,
    programme: Any,
) -> None:
    add_people(programme, 230, department="Kita")
    add_people(programme, 20, start=1000, department="Kita", status="pending")
    base = live_server.url
    context = browser.new_context(
        locale="en-GB", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(base + reverse("accounts:login"))
    page.get_by_label("Username").fill(organiser.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + reverse("programmes:list"))
    url = base + reverse("participants:list", args=[programme.pk])
    # Fits the screen, and the keyboard reaches every link of the page navigation.
    _audit_page(page, url + "?q=kita&page=2")

    page.goto(url)
    page.get_by_role("searchbox", name="Search").fill("KITA")
    page.get_by_label("Show").select_option("active")
    page.get_by_role("searchbox", name="Search").press("Enter")
    page.wait_for_url("**q=KITA**")
    assert page.locator("#people-count").inner_text() == "230 people"
    pages = page.get_by_role("navigation", name="Pages of the list")
    pages.get_by_role("link", name="Next page").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**page=2**")
    assert pages.get_by_text("Page 2 of 3").is_visible()
    assert pages.locator("[aria-current=page]").text_content() == "Page 2"
    assert page.get_by_role("searchbox", name="Search").input_value() == "KITA"
    assert page.get_by_label("Show").input_value() == "active"
    assert page.locator("tbody tr").count() == PEOPLE_PER_PAGE
    context.close()
