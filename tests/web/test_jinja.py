"""The Jinja2 templates: every text translated and kept by ``makemessages``, the one
layout around every page, and Django's filters where the pages use them."""

from __future__ import annotations

import datetime as dt
import gettext
import re
from pathlib import Path
from typing import Any

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation.template import templatize

import kaffeeklatsch

PACKAGE = Path(kaffeeklatsch.__file__).parent
TEMPLATES = sorted(PACKAGE.glob("*/jinja2/**/*.html"))


def _catalogue(language: str) -> dict[Any, str]:
    path = PACKAGE / "locale" / language / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as handle:
        return gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]


def _texts(path: Path) -> list[tuple[str, Any]]:
    env = engines["jinja2"].env  # type: ignore[attr-defined]
    return [(func, message) for _line, func, message in env.extract_translations(path.read_text())]


def test_there_are_jinja2_templates_with_texts() -> None:
    names = {path.relative_to(PACKAGE).as_posix() for path in TEMPLATES}
    assert "front/jinja2/layout.html" in names
    assert "participants/jinja2/participants/me.html" in names
    assert all(_texts(path) for path in TEMPLATES)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_text_has_a_german_translation(path: Path) -> None:
    german = _catalogue("de")
    for func, message in _texts(path):
        if func == "ngettext":
            singular, plural = message[:2]
            assert (singular, 0) in german and (singular, 1) in german, singular
        else:
            assert german.get(message), message


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_makemessages_keeps_every_text(path: Path) -> None:
    """``makemessages`` reads these files as Django templates: it finds
    ``{{ _("...") }}``; a plural must also be written in a file it reads fully."""
    found = templatize(path.read_text(), origin=str(path))
    elsewhere = "\n".join(
        p.read_text()
        for pattern in ("*/templates/**/*.html", "**/*.py")
        for p in PACKAGE.glob(pattern)
        if "jinja2" not in p.parts
    )
    for func, message in _texts(path):
        if func == "ngettext":
            assert re.search(re.escape(message[0]), elsewhere), message[0]
        else:
            assert message in found, message


def _render(source: str, **context: Any) -> str:
    return engines["jinja2"].from_string(source).render(context)


def test_dates_are_formatted_as_djangos_date_filter_does() -> None:
    django = engines["django"]
    moment = timezone.make_aware(dt.datetime(2030, 3, 4, 23, 30), dt.UTC)
    for language in ("de", "en"):
        with translation.override(language):
            for value, fmt in (
                (dt.date(2030, 3, 4), "SHORT_DATE_FORMAT"),
                (moment, "l, j. F, H:i"),
            ):
                template = django.from_string('{{ v|date:"' + fmt + '" }}')
                expected = template.render({"v": value})
                assert _render("{{ v|date(f) }}", v=value, f=fmt) == expected
    # In Berlin 23:30 UTC is already the next day.
    assert "05" in _render('{{ v|date("d") }}', v=moment)
    assert _render('{{ v|date("d") }}', v=None) == ""


def test_texts_follow_the_active_language_and_variables_are_escaped() -> None:
    source = '{{ _("Hello %(name)s!")|format(name=name) }}'
    with translation.override("de"):
        assert _render(source, name="<Ann>") == "Hallo &lt;Ann&gt;!"
    with translation.override("en"):
        assert _render(source, name="Ann") == "Hello Ann!"
    assert _render("{{ url('participants:me') }}") == reverse("participants:me")


def test_literal_texts_compile_to_lookups_that_follow_the_language() -> None:
    """``_("a literal")`` becomes a lookup in the active language's table: the same
    compiled template speaks German and English, with or without a request."""
    from django.test import RequestFactory

    env = engines["jinja2"].env  # type: ignore[attr-defined]
    source = '{{ _("My meetings") }}|{{ _(name) }}|{{ _("Hello %(name)s!")|format(name=n) }}'
    assert "environment.texts(context)['My meetings']" in env.compile(source, raw=True)
    assert "context.call(" in env.compile("{{ _(name) }}", raw=True)
    template = engines["jinja2"].from_string(source)
    request = RequestFactory().get("/")
    request.session = {}  # type: ignore[attr-defined]
    for language, expected in (
        ("de", "Meine Treffen|Meine Treffen|Hallo &lt;b&gt;!"),
        ("en", "My meetings|My meetings|Hello &lt;b&gt;!"),
        ("de", "Meine Treffen|Meine Treffen|Hallo &lt;b&gt;!"),
    ):
        with translation.override(language):
            assert template.render({"name": "My meetings", "n": "<b>"}) == expected
            assert template.render({"name": "My meetings", "n": "<b>"}, request) == expected


def test_texts_without_an_active_language_are_untranslated_and_not_kept() -> None:
    from kaffeeklatsch.front import jinja

    template = engines["jinja2"].from_string('{{ _("My meetings") }}')
    kept = len(jinja._texts)
    for _ in range(3):
        with translation.override(None):
            assert template.render({}) == "My meetings"
    assert len(jinja._texts) == kept


def test_plain_functions_are_called_directly_and_others_as_jinja2_calls_them() -> None:
    from jinja2 import pass_context

    @pass_context
    def who(context: Any, greeting: str) -> str:
        return f"{greeting} {context['name']}"

    def plain(a: int, b: int = 0) -> int:
        return a + b

    def empty() -> Any:
        raise StopIteration

    source = (
        "{% for i in [1] %}{{ plain(i, b=2) }} {{ who('Hi') }} [{{ empty() }}] "
        "{{ parts.split(',')|length }}{% endfor %}"
    )
    result = _render(source, plain=plain, who=who, empty=empty, name="Ann", parts="a,b")
    assert result == "3 Hi Ann [] 2"


@pytest.mark.django_db
def test_django_and_jinja2_pages_share_the_layout(client: Any, programme: Any) -> None:
    """A Django page (the privacy page) and a Jinja2 page (the people list) have the
    same header, navigation and footer, from the one layout."""
    from tests.web.conftest import login

    login(client, programme.organisers.first())
    pages = [
        client.get(reverse("front:privacy")).content.decode(),
        client.get(reverse("participants:list", args=[programme.pk])).content.decode(),
    ]
    chrome = [
        re.sub(r'value="[^"]*"', "", page.split("<main")[0].split("</title>")[1])
        + page.split("</main>")[1]
        for page in pages
    ]
    people = reverse("participants:list", args=[programme.pk])
    assert chrome[0] == chrome[1].replace(people, reverse("front:privacy"))
    for page in pages:
        assert "Log out" in page and 'lang="en"' in page
        assert page.count("<title>") == 1 and " – Kaffeeklatsch</title>" in page


@pytest.mark.django_db
def test_the_forms_of_a_jinja2_page_share_one_csrf_field_that_the_server_accepts(
    programme: Any, make_participant: Any
) -> None:
    from django.test import Client

    from kaffeeklatsch.participants.tokens import sign_in_token

    anna = make_participant(programme, "Anna", email="anna@example.org")
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    sign_in = reverse("participants:sign_in", args=[sign_in_token(anna)])
    form = browser.get(sign_in).content.decode()
    token = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[-1]
    assert browser.post(sign_in, {"csrfmiddlewaretoken": token}).status_code == 302
    page = browser.get(reverse("participants:me")).content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert len(tokens) >= 3 and len(set(tokens)) == 1  # sign-out, language, break, ...
    refused = browser.post(reverse("participants:pause"), {"skip_next_round": "on"})
    assert refused.status_code == 403
    anna.refresh_from_db()
    assert not anna.skip_next_round
    accepted = browser.post(
        reverse("participants:pause"), {"skip_next_round": "on", "csrfmiddlewaretoken": tokens[0]}
    )
    assert accepted.status_code == 302
    anna.refresh_from_db()
    assert anna.skip_next_round
    # The next page has a freshly masked field again.
    again = browser.get(reverse("participants:me")).content.decode()
    assert tokens[0] not in again


@pytest.mark.django_db
def test_a_jinja2_page_speaks_the_language_of_the_request(
    client: Any, programme: Any, make_participant: Any
) -> None:
    from tests.web.conftest import sign_in_participant

    anna = make_participant(programme, "Anna", email="anna@example.org", language="en")
    sign_in_participant(client, anna)
    assert "My meetings" in client.get(reverse("participants:me")).content.decode()
    client.post(reverse("front:set_language"), {"language": "de", "next": "/me/"})
    page = client.get(reverse("participants:me")).content.decode()
    assert "Meine Treffen" in page and "Abmelden" in page and 'lang="de"' in page
    assert "My meetings" not in page


@pytest.mark.django_db
def test_titles_of_django_pages_are_escaped_once(client: Any, programme: Any) -> None:
    from tests.web.conftest import login

    programme.name = "Kaffee & Kuchen <O'Brien>"
    programme.save()
    login(client, programme.organisers.first())
    page = client.get(reverse("programmes:detail", args=[programme.pk])).content.decode()
    title = page.split("<title>")[1].split("</title>")[0]
    assert title == "Kaffee &amp; Kuchen &lt;O&#x27;Brien&gt; – Kaffeeklatsch"
