"""Bad input, generated: forms, CSV files and links from e-mails get any text or bytes.
The server never answers with an error of its own (5xx), and a rejected input stores
nothing and sends nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Feedback
from tests.support.web import login, sign_in_participant

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any text a browser could send: every Unicode character but lone surrogates.
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=400)


def field(*valid: str) -> st.SearchStrategy[str]:
    """Mostly plausible values, often anything at all."""
    return st.one_of(
        st.sampled_from(valid) if valid else st.nothing(),
        ANY_TEXT,
        st.integers(-(10**12), 10**12).map(str),
        st.just(""),
        st.text("\x00\r\n\t <>\"'&;%", max_size=20),
    )


SIGNUP = st.fixed_dictionaries(
    {
        "name": field("Lena Krause"),
        "email": field("lena@example.org", "not-an-address", "a@b"),
        "department": field("Pflege"),
        "level": field("staff"),
        "languages_text": field("Deutsch, Englisch", "Klingonisch"),
        "place": field("50667", "Köln", "Atlantis"),
        "mode": field("either", "online", "in_person"),
        "language": field("de", "en", "fr"),
        "shares": field("email", "phone", "both", "none"),
        "phone": field("+49 221 123456"),
        "interests_text": field("Jazz, Garten"),
        "availability_choices": field("mon-am", "tue-pm"),
        "consent": field("on"),
    }
)

PROGRAMME = st.fixed_dictionaries(
    {
        "name": field("Kaffee im Haus"),
        "description": field("Einmal im Monat"),
        "language": field("de", "en"),
        "cadence": field("weekly", "fortnightly", "monthly"),
        "weekday": field("0", "3", "7"),
        "group_size": field("2", "3", "4", "9"),
        "repeat_window": field("3", "-1"),
        "mode": field("either", "online", "in_person"),
        "max_distance_km": field("25", "0", "1e309", "NaN"),
        "weight_interests": field("1", "0.5", "-3"),
        "weight_department": field("1", "inf"),
        "weight_level": field("1"),
        "weight_organisation": field("1"),
        "registration_open": field("on"),
        "allowed_domains": field("example.org", "@@", "caritas.example, *"),
    }
)


def counts() -> tuple[int, int, int]:
    return Participant.objects.count(), OutboxMessage.objects.count(), Programme.objects.count()


def no_server_error(response: Any) -> None:
    assert response.status_code < 500, response.content[:2000]


def refused_with_a_message(response: Any) -> None:
    """A form sent back is sent back with the reason, announced to screen readers."""
    assert response.status_code == 200, response.status_code
    assert 'role="alert"' in response.content.decode(), "a refused form without a message"


@pytest.fixture
def fuzz_settings(settings: Any) -> Any:
    settings.RATE_LIMIT_PER_HOUR = 10**9
    return settings


def test_sign_up_form(programme: Any, fuzz_settings: Any) -> None:
    url = reverse("participants:join", args=[programme.invite_token])

    @FUZZ
    @given(data=SIGNUP)
    def run(data: dict[str, str]) -> None:
        before = counts()
        response = Client(headers={"accept-language": "en"}).post(url, data)
        no_server_error(response)
        if response.status_code != 302:
            refused_with_a_message(response)
            assert counts() == before
        else:
            assert counts()[0] <= before[0] + 1

    run()


def test_profile_form(programme: Any, make_participant: Any, fuzz_settings: Any) -> None:
    participant = make_participant(programme, "Pia Profil")
    client = Client(headers={"accept-language": "en"})
    sign_in_participant(client, participant)
    url = reverse("participants:edit_profile")

    @FUZZ
    @given(data=SIGNUP)
    def run(data: dict[str, str]) -> None:
        stored = Participant.objects.filter(pk=participant.pk).values().get()
        before = counts()
        response = client.post(url, data)
        no_server_error(response)
        if response.status_code != 302:
            refused_with_a_message(response)
            assert Participant.objects.filter(pk=participant.pk).values().get() == stored
            assert counts() == before

    run()


def test_programme_form(organiser: Any, fuzz_settings: Any) -> None:
    client = Client(headers={"accept-language": "en"})
    login(client, organiser)
    url = reverse("programmes:create")

    @FUZZ
    @given(data=PROGRAMME)
    def run(data: dict[str, str]) -> None:
        before = counts()
        response = client.post(url, data)
        no_server_error(response)
        if response.status_code != 302:
            refused_with_a_message(response)
            assert counts() == before

    run()


def test_add_person_form(organiser: Any, programme: Any, fuzz_settings: Any) -> None:
    client = Client(headers={"accept-language": "en"})
    login(client, organiser)
    url = reverse("participants:add", args=[programme.pk])
    data_strategy = SIGNUP.flatmap(
        lambda d: st.fixed_dictionaries(
            {
                "reached_by": field("email", "post", "phone"),
                "postal_address": field("Hauptstr. 1, 50667 Köln"),
                "phone_note": field("evenings"),
                "status": field("active", "pending", "left"),
            }
        ).map(lambda extra: {**d, **extra})
    )

    @FUZZ
    @given(data=data_strategy)
    def run(data: dict[str, str]) -> None:
        before = counts()
        response = client.post(url, data)
        no_server_error(response)
        if response.status_code != 302:
            refused_with_a_message(response)
            assert counts() == before

    run()


HEADER = "Name;E-Mail;Abteilung;Ebene;Sprachen;PLZ;Treffensart;Interessen\n"
ROW = "Jürgen Groß;juergen@example.org;Pflege;Fachkraft;Deutsch;50667;vor Ort;Jazz\n"


def _csv_round_trip(client: Any, programme: Any, payload: bytes, name: str) -> Any:
    before = counts()
    upload = client.post(
        reverse("participants:import", args=[programme.pk]),
        {"file": SimpleUploadedFile(name, payload, content_type="text/csv")},
    )
    no_server_error(upload)
    if upload.status_code != 302:
        refused_with_a_message(upload)
    preview_url = reverse("participants:import_preview", args=[programme.pk])
    preview = client.get(preview_url)
    no_server_error(preview)
    # A confirmation without the preview's fingerprint must import nothing.
    no_server_error(client.post(preview_url, {"confirm": "1", "fingerprint": "f" * 32}))
    assert counts() == before
    no_server_error(client.post(preview_url, {"cancel": "1"}))
    assert counts() == before
    return preview


def test_csv_import_of_any_bytes(organiser: Any, programme: Any) -> None:
    client = Client(headers={"accept-language": "en"})
    login(client, organiser)

    @FUZZ
    @given(
        payload=st.one_of(
            st.binary(max_size=3000),
            st.lists(ANY_TEXT, max_size=20).map(lambda rows: (HEADER + "\n".join(rows)).encode()),
            st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252", "utf-8-sig"]).map(
                lambda enc: (HEADER + ROW).encode(enc)
            ),
        ),
        name=st.sampled_from(["people.csv", "people.xlsx", "people.txt", "\x00.csv", ""]),
    )
    def run(payload: bytes, name: str) -> None:
        _csv_round_trip(client, programme, payload, name or "x")

    run()


@pytest.mark.parametrize("lang,message", [("en", "too large"), ("de", "zu groß")])
def test_an_oversized_csv_is_refused_with_a_message(
    organiser: Any, programme: Any, settings: Any, lang: str, message: str
) -> None:
    client = Client(headers={"accept-language": lang})
    login(client, organiser)
    payload = (HEADER + ROW * (settings.CSV_IMPORT_MAX_BYTES // len(ROW) + 10)).encode()
    assert len(payload) > settings.CSV_IMPORT_MAX_BYTES
    response = client.post(
        reverse("participants:import", args=[programme.pk]),
        {"file": SimpleUploadedFile("big.csv", payload, content_type="text/csv")},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "csv_import" not in client.session
    assert counts()[0] == 0


def test_a_form_with_too_many_fields_is_refused_cleanly(programme: Any) -> None:
    client = Client(raise_request_exception=False)
    url = reverse("participants:join", args=[programme.invite_token])
    response = client.post(url, {f"f{n}": "x" for n in range(2000)})
    assert response.status_code == 400
    assert not Participant.objects.exists()


TOKENS = st.one_of(
    ANY_TEXT.filter(lambda t: t and "/" not in t and "\x00" not in t and t.strip() == t),
    st.binary(min_size=1, max_size=200).map(lambda b: b.hex()),
    st.from_regex(
        r"[A-Za-z0-9_\-]{1,60}:[A-Za-z0-9_\-]{1,30}:[A-Za-z0-9_\-]{1,60}", fullmatch=True
    ),
)


def test_magic_and_feedback_links_with_any_token(world_people: Any) -> None:
    @FUZZ
    @given(token=TOKENS)
    def run(token: str) -> None:
        client = Client(headers={"accept-language": "en"})
        before = counts(), Feedback.objects.count()
        for name in ("participants:sign_in", "participants:confirm"):
            url = reverse(name, args=[token])
            for response in (client.get(url), client.post(url)):
                assert response.status_code in (400, 404), (url, response.status_code)
        feedback = client.get(reverse("rounds_feedback", args=[token]))
        assert feedback.status_code in (400, 404)
        assert "participant_id" not in client.session
        assert (counts(), Feedback.objects.count()) == before

    run()


@pytest.fixture
def world_people(programme: Any, make_participant: Any) -> list[Any]:
    from kaffeeklatsch.rounds.preview import preview_round
    from kaffeeklatsch.rounds.publish import publish_round

    people = [make_participant(programme) for _ in range(4)]
    publish_round(preview_round(programme))
    return people
