"""What every request goes through: the session store and the widget renderer."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.contrib.sessions.models import Session
from django.forms.renderers import DjangoTemplates
from django.forms.renderers import Jinja2 as Jinja2Renderer
from django.urls import reverse
from django.utils import timezone

from kaffeeklatsch.front.forms import PythonTemplate, WidgetRenderer
from kaffeeklatsch.front.sessions import SessionStore
from kaffeeklatsch.participants import forms as participant_forms
from kaffeeklatsch.participants.models import Participant, blocked_names
from kaffeeklatsch.programmes.models import Programme
from tests.web.conftest import sign_in_participant

pytestmark = pytest.mark.django_db


def test_the_site_uses_these_sessions_and_widgets() -> None:
    assert settings.SESSION_ENGINE == "kaffeeklatsch.front.sessions"
    assert settings.FORM_RENDERER == "kaffeeklatsch.front.forms.WidgetRenderer"


def test_a_session_reads_back_what_was_saved() -> None:
    store = SessionStore()
    store["participant_id"] = 41
    store["language"] = "en"
    store.save()
    again = SessionStore(store.session_key)
    assert again.load() == {"participant_id": 41, "language": "en"}
    assert again.session_key == store.session_key


def test_an_expired_or_unknown_session_is_empty_and_loses_its_key() -> None:
    store = SessionStore()
    store["participant_id"] = 41
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = SessionStore(store.session_key)
    assert expired.load() == {}
    assert expired.session_key is None
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {}
    assert unknown.session_key is None


def test_a_tampered_session_is_empty() -> None:
    store = SessionStore()
    store["participant_id"] = 41
    store.save()
    Session.objects.filter(session_key=store.session_key).update(session_data="not-signed:1")
    assert SessionStore(store.session_key).load() == {}


def _saved(**values: Any) -> SessionStore:
    store = SessionStore()
    store.update(values)
    store.save()
    return store


def _counting_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the signature checks of session data."""
    from django.core import signing

    checked: list[str] = []
    real = signing.loads

    def loads(data: str, *args: Any, **kwargs: Any) -> Any:
        checked.append(data)
        return real(data, *args, **kwargs)

    monkeypatch.setattr(signing, "loads", loads)
    return checked


def test_a_session_is_checked_and_decoded_once_while_its_data_stays_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = _saved(participant_id=43, participant_language="de")
    checked = _counting_loads(monkeypatch)
    for _ in range(3):
        assert SessionStore(store.session_key).load() == {
            "participant_id": 43,
            "participant_language": "de",
        }
    assert len(checked) == 1
    # Each request gets its own copy: what one changes the next does not see.
    first = SessionStore(store.session_key)
    first["participant_id"] = 99
    del first["participant_language"]
    assert SessionStore(store.session_key).load()["participant_language"] == "de"
    assert SessionStore(store.session_key)["participant_id"] == 43
    # Saved data is decoded anew.
    first.save()
    assert SessionStore(store.session_key).load() == {"participant_id": 99}
    assert len(checked) == 2


def test_a_kept_session_is_checked_again_with_other_keys(settings: Any) -> None:
    store = _saved(participant_id=44)
    assert SessionStore(store.session_key).load() == {"participant_id": 44}
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another-" + "k" * 50
    assert SessionStore(store.session_key).load() == {}
    # The old key among the fallbacks still opens it.
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert SessionStore(store.session_key).load() == {"participant_id": 44}


def test_sessions_with_lists_or_mappings_are_decoded_each_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = _saved(participant_id=45, seen=[1, 2])
    checked = _counting_loads(monkeypatch)
    first = SessionStore(store.session_key)
    first["seen"].append(3)
    assert SessionStore(store.session_key)["seen"] == [1, 2]
    assert len(checked) == 2


def test_corrupted_session_data_is_logged_on_every_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = _saved(participant_id=46)
    Session.objects.filter(session_key=store.session_key).update(session_data="not-signed:1")
    with caplog.at_level("WARNING", logger="django.security.SuspiciousSession"):
        for _ in range(2):
            assert SessionStore(store.session_key).load() == {}
    assert [r.getMessage() for r in caplog.records] == ["Session data corrupted"] * 2


def test_the_kept_sessions_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from kaffeeklatsch.front import sessions

    monkeypatch.setattr(sessions, "DECODED_KEPT", 3)
    stores = [_saved(participant_id=n) for n in range(5)]
    for n, store in enumerate(stores):
        assert SessionStore(store.session_key).load() == {"participant_id": n}
        assert len(sessions._decoded) <= 3
    checked = _counting_loads(monkeypatch)
    assert SessionStore(stores[4].session_key).load() == {"participant_id": 4}
    assert checked == []


def test_an_expired_session_signs_the_participant_out(
    client: Any, programme: Programme, make_participant: Any
) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org")
    sign_in_participant(client, anna)
    page = client.get(reverse("participants:me"))
    assert page.status_code == 200
    assert "Anna" in page.content.decode()
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    page = client.get(reverse("participants:me"))
    assert page.status_code == 302
    assert page["Location"] == reverse("participants:request_link")


def test_signing_out_is_seen_by_the_next_request(
    client: Any, programme: Programme, make_participant: Any
) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org")
    sign_in_participant(client, anna)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert SessionStore(key).load()["participant_id"] == anna.pk
    assert client.post(reverse("participants:sign_out")).status_code == 302
    assert "participant_id" not in SessionStore(key).load()
    assert client.get(reverse("participants:me")).status_code == 302


def _forms(programme: Programme, anna: Participant) -> list[forms.BaseForm]:
    kwargs: dict[str, Any] = {"programme": programme}
    return [
        participant_forms.SignupForm(**kwargs),
        participant_forms.ProfileForm(instance=anna, **kwargs),
        participant_forms.OrganiserParticipantForm(**kwargs),
        participant_forms.OrganiserParticipantForm(instance=anna, **kwargs),
        participant_forms.PauseForm(initial={"paused_until": dt.date(2030, 1, 2)}),
        participant_forms.BlockForm(None, people=[(1, "Ben"), (2, "Cem <b>")]),
        participant_forms.SignupForm({"name": "", "email": "nope"}, **kwargs),
    ]


def _normalised(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def test_widgets_look_as_django_draws_them(programme: Programme, make_participant: Any) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org", interests=["Jazz"])
    compared = 0
    for form in _forms(programme, anna):
        for name in form.fields:
            form.renderer = DjangoTemplates()
            django_html = str(form[name])
            form.renderer = WidgetRenderer()
            ours = str(form[name])
            assert _normalised(ours) == _normalised(django_html), (type(form).__name__, name)
            assert ours.strip(), (type(form).__name__, name)
            compared += 1
    assert compared > 30


def test_widgets_written_in_python_are_byte_for_byte_djangos_jinja2_templates(
    programme: Programme, make_participant: Any
) -> None:
    anna = make_participant(programme, "Anna <&>", email="anna@example.org", interests=["Jazz"])

    class Odd(forms.Form):
        grouped = forms.ChoiceField(
            choices=[("Early", [("1", "6 <am>"), ("2", "7")]), ("3", 'Late "night"')],
            initial="2",
        )
        ticks = forms.MultipleChoiceField(
            choices=[("Group", [("a", "A & B")]), ("b", "B")],
            widget=forms.CheckboxSelectMultiple(attrs={"class": "many"}),
            initial=["a"],
        )
        radio = forms.ChoiceField(choices=[("x", "X"), ("y", "Y")], widget=forms.RadioSelect)
        text = forms.CharField(widget=forms.Textarea, initial="<b>hi</b>\nthere")
        empty = forms.CharField(widget=forms.Textarea, required=False)
        flags = forms.CharField(widget=forms.TextInput(attrs={"disabled": True, "x": False}))
        number = forms.IntegerField(initial=7)

    unbound_odd = Odd()
    unbound_odd.fields["radio"].widget.attrs["id"] = ""  # no id: no "for" on the labels
    compared = 0
    written = set()
    for form in [*_forms(programme, anna), Odd(), unbound_odd, Odd({"radio": "y", "ticks": ["b"]})]:
        for name in form.fields:
            template_name = form[name].field.widget.template_name
            form.renderer = Jinja2Renderer()
            expected = str(form[name])
            form.renderer = WidgetRenderer()
            assert str(form[name]) == expected, (type(form).__name__, name)
            if isinstance(form.renderer.get_template(template_name), PythonTemplate):
                written.add(template_name.rsplit("/", 1)[1])
            compared += 1
    assert compared > 40
    assert {"select.html", "checkbox_select.html", "radio.html", "textarea.html"} <= written
    assert {"text.html", "email.html", "date.html", "checkbox.html", "number.html"} <= written


def test_the_renderer_falls_back_to_jinja2_and_to_django_for_the_admins_widgets() -> None:
    template = WidgetRenderer().get_template("admin/widgets/related_widget_wrapper.html")
    assert "django" in type(template).__module__
    template = WidgetRenderer().get_template("django/forms/widgets/clearable_file_input.html")
    assert "jinja2" in type(template).__module__
    template = WidgetRenderer().get_template("django/forms/widgets/input.html")
    assert isinstance(template, PythonTemplate)


def test_the_admin_draws_its_forms(admin_client: Any) -> None:
    page = admin_client.get("/admin/auth/group/add/")
    assert page.status_code == 200
    assert 'name="name"' in page.content.decode()


@pytest.mark.postgres_only
def test_a_statement_may_name_more_than_65535_rows(
    programme: Programme, make_participant: Any
) -> None:
    # Publishing a round of 100,000 people updates them by their ids in one statement;
    # PostgreSQL's server-side parameter binding cannot take that many parameters.
    anna = make_participant(programme, "Anna", email="anna@example.org")
    ids = [anna.pk, *range(10**9, 10**9 + 70_000)]
    assert Participant.objects.filter(pk__in=ids).update(skip_next_round=True) == 1


@pytest.mark.postgres_only
def test_postgresql_prepares_what_runs_again(programme: Programme, make_participant: Any) -> None:
    from django.db import connection

    from kaffeeklatsch.postgresql.base import BindingCursor

    anna = make_participant(programme, "Anna", email="anna@example.org")
    connection.ensure_connection()
    assert isinstance(connection.connection.cursor(), BindingCursor)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
        for _ in range(3):
            assert Participant.objects.filter(pk=anna.pk, name="Anna").exists()
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('"participants_participant"."name" = $2' in text for text in prepared), prepared


@pytest.mark.postgres_only
def test_many_parameters_are_quoted_on_the_client_and_mean_the_same(
    programme: Programme, make_participant: Any
) -> None:
    make_participant(programme, "100% Anna", email="anna@example.org")
    names = ["100% Anna", *(f"O'Brien {n} %s" for n in range(70_000))]
    found = Participant.objects.filter(name__in=names).values_list("name", flat=True)
    assert list(found) == ["100% Anna"]


def test_the_blocked_list_is_the_one_the_orm_finds(
    programme: Programme, make_participant: Any
) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org")
    others = [
        make_participant(programme, name, email=f"{n}@example.org")
        for n, name in enumerate(["Zoe", "Ben", "Ben", "Émile", "cem"])
    ]
    bystander = make_participant(programme, "Aaron", email="aaron@example.org")
    bystander.blocked.add(anna)
    assert blocked_names(anna.pk) == []
    anna.blocked.add(*others)
    expected = [(p.pk, p.name) for p in anna.blocked.all()]
    assert blocked_names(anna.pk) == expected
    assert len(expected) == 5
    assert blocked_names(anna.pk)[0][1] == "Ben"


def test_whether_a_participants_programme_has_channels(
    programme: Programme, organiser: Any, make_programme: Any, make_participant: Any
) -> None:
    from kaffeeklatsch.reach.models import ChatChannel, any_channel_for

    other = make_programme(organiser, name="Zweites")
    anna = make_participant(programme, "Anna")
    assert not any_channel_for(anna.pk)
    ChatChannel.objects.create(programme=other, kind=ChatChannel.Kind.WEBHOOK, config={})
    assert not any_channel_for(anna.pk)
    ChatChannel.objects.create(programme=programme, kind=ChatChannel.Kind.WEBHOOK, config={})
    assert any_channel_for(anna.pk)
