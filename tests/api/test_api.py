"""The REST API: tokens per programme with scopes, every endpoint, validation by the
pages' forms in English and German, rate limits, the insights' privacy rules, the
OpenAPI description and its documentation page."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone
from openapi_spec_validator import validate

from kaffeeklatsch.api.models import ApiToken
from kaffeeklatsch.front.bearer import digest as digest_of
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.models import Feedback, Round, RoundTask
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from kaffeeklatsch.rounds.tasks import run_round_tasks
from tests.support.web import login
from tests.support.world import snapshot as everything

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, Any]:
    """Every row of the project, but the bookkeeping of each request: its count for the
    rate limit and the time the token was last used."""
    state = everything()
    state.pop("front.RateLimit")
    for row in state["api.ApiToken"]:
        row.pop("last_used_at")
    return state


def make_token(programme: Any, scope: str = "write", user: Any = None) -> tuple[ApiToken, str]:
    token = ApiToken(programme=programme, name="HR system", scope=scope, created_by=user)
    secret = token.issue()
    token.save()
    return token, secret


def api_client(secret: str, language: str = "en") -> Client:
    return Client(headers={"authorization": f"Bearer {secret}", "accept-language": language})


def post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def patch(client: Client, url: str, body: Any) -> Any:
    return client.patch(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def people(programme: Any, make_participant: Any) -> list[Participant]:
    return [make_participant(programme) for _ in range(8)]


@pytest.fixture
def writer(programme: Any, organiser: Any) -> Client:
    return api_client(make_token(programme, "write", organiser)[1])


@pytest.fixture
def reader(programme: Any, organiser: Any) -> Client:
    return api_client(make_token(programme, "read", organiser)[1])


def url(name: str, programme: Any, *args: Any) -> str:
    return reverse(f"api:{name}", args=[programme.pk, *args])


# --- tokens ------------------------------------------------------------------------------


def test_a_token_is_stored_as_a_digest_with_a_prefix_for_lookup(programme: Any) -> None:
    token, secret = make_token(programme)
    stored = ApiToken.objects.get()
    assert secret.startswith(f"kk_{stored.prefix}_") and len(secret) > 50
    assert stored.digest == digest_of(secret)
    assert secret not in json.dumps(list(ApiToken.objects.values()), default=str)


def test_without_a_token_or_with_a_wrong_one_the_answer_is_401(programme: Any) -> None:
    target = url("programme", programme)
    assert Client().get(target).status_code == 401
    assert Client().get(target)["WWW-Authenticate"].startswith("Bearer")
    _token, secret = make_token(programme)
    for wrong in (secret[:-2] + "xx", "kk_nothing", "Bearer", secret + " more"):
        response = Client(headers={"authorization": f"Bearer {wrong}"}).get(target)
        assert response.status_code == 401, wrong


def test_a_revoked_token_gets_401_and_its_use_is_recorded_before(programme: Any) -> None:
    token, secret = make_token(programme)
    client = api_client(secret)
    assert client.get(url("programme", programme)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    token.revoke()
    response = client.get(url("programme", programme))
    assert response.status_code == 401
    assert response.json()["detail"] == "This token was revoked."
    german = api_client(secret, "de").get(url("programme", programme))
    assert german.json()["detail"] == "Dieser Token wurde widerrufen."


def test_a_read_token_may_read_but_change_nothing(
    reader: Client, programme: Any, people: list[Participant]
) -> None:
    assert reader.get(url("people", programme)).status_code == 200
    before = snapshot()
    person = people[0]
    answers = [
        post(reader, url("people", programme), {"name": "New", "email": "new@example.org"}),
        patch(reader, url("person", programme, person.pk), {"name": "Renamed"}),
        post(reader, url("person_pause", programme, person.pk), {"skip_next_round": True}),
        post(reader, url("person_leave", programme, person.pk)),
        post(reader, url("preview", programme)),
    ]
    assert [a.status_code for a in answers] == [403] * 5
    assert "only read" in answers[0].json()["detail"]
    assert snapshot() == before


def api_urls(world: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, URL) of every endpoint of a programme, for the programme's objects."""
    result = []
    for item in get_resolver().url_patterns:
        if getattr(item, "namespace", None) != "api":
            continue
        for pattern in item.url_patterns:
            assert isinstance(pattern, URLPattern)
            params = list(pattern.pattern.converters)
            if "programme_id" not in params:
                continue
            kwargs = {p: world[p] for p in params}
            result.append((pattern.name, reverse(f"api:{pattern.name}", kwargs=kwargs)))
    return result


def test_a_token_of_another_programme_reaches_nothing_and_changes_nothing(
    programme: Any, people: list[Participant], make_organiser: Any, make_programme: Any
) -> None:
    preview = preview_round(programme)
    task = RoundTask.objects.create(programme=programme, kind="preview", status="failed")
    other = make_programme(make_organiser("bert"), name="Haus B")
    _token, secret = make_token(other, "write")
    client = api_client(secret)
    world = {
        "programme_id": programme.pk,
        "participant_id": people[0].pk,
        "round_id": preview.pk,
        "task_id": task.pk,
    }
    endpoints = api_urls(world)
    assert len(endpoints) == 13
    before = snapshot()
    for name, target in endpoints:
        assert client.get(target).status_code in (404, 405), name
        assert post(client, target, {"name": "Mole"}).status_code in (404, 405), name
        assert patch(client, target, {"name": "Mole"}).status_code in (404, 405), name
    # Its own programme's id with the first programme's objects: not found either.
    world["programme_id"] = other.pk
    for name, target in api_urls(world):
        if name in ("programme", "people", "rounds", "preview", "insights"):
            continue
        assert client.get(target).status_code in (404, 405), name
        assert post(client, target, {"name": "Mole"}).status_code in (404, 405), name
    assert snapshot() == before
    [listed] = client.get(reverse("api:programmes")).json()["results"]
    assert listed["name"] == "Haus B"


def test_requests_beyond_the_limit_get_429_with_retry_after(
    programme: Any, writer: Client, settings: Any
) -> None:
    settings.API_REQUESTS_PER_HOUR = 3
    for _ in range(3):
        assert writer.get(url("programme", programme)).status_code == 200
    response = writer.get(url("programme", programme))
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3601
    assert "throttled" in response.json()["detail"]
    german = writer.get(url("programme", programme), headers={"accept-language": "de"})
    assert german.status_code == 429 and "gedrosselt" in german.json()["detail"]
    # Another token of the same programme has its own count.
    other = api_client(make_token(programme, "read")[1])
    assert other.get(url("programme", programme)).status_code == 200


# --- programmes and people ---------------------------------------------------------------


def test_programmes_and_the_programme(reader: Client, programme: Any) -> None:
    listed = reader.get(reverse("api:programmes")).json()
    assert [p["id"] for p in listed["results"]] == [programme.pk]
    detail = reader.get(url("programme", programme)).json()
    assert detail["name"] == programme.name and detail["group_size"] == 2


def test_people_are_listed_a_page_at_a_time(
    reader: Client, programme: Any, make_participant: Any
) -> None:
    for n in range(105):
        make_participant(programme, f"Name {n:03d}")
    first = reader.get(url("people", programme)).json()
    assert first["count"] == 105 and len(first["results"]) == 100
    assert first["results"][0]["name"] == "Name 000"
    second = reader.get(first["next"]).json()
    assert [p["name"] for p in second["results"]] == [f"Name {n}" for n in range(100, 105)]
    assert reader.get(url("people", programme) + "?status=left").json()["count"] == 0
    wrong = reader.get(url("people", programme) + "?status=gone")
    assert wrong.status_code == 400 and "status" in wrong.json()


def test_a_person_is_added_as_the_people_page_adds_them(writer: Client, programme: Any) -> None:
    response = post(
        writer,
        url("people", programme),
        {
            "name": "Ada Api",
            "email": "Ada@Example.org",
            "department": "Care",
            "languages": ["German", "English"],
            "interests": ["gardening", "chess"],
            "availability": ["0-morning"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    person = Participant.objects.get(pk=body["id"])
    assert person.email == "ada@example.org" and person.status == "active"
    assert person.languages == ["de", "en"] and person.interests == ["gardening", "chess"]
    assert body["availability"] == ["0-morning"] and person.added_by_organiser
    # Welcomed by e-mail, as when added on the page.
    assert OutboxMessage.objects.filter(participant=person).count() == 1
    fetched = writer.get(url("person", programme, person.pk)).json()
    assert fetched == body


@pytest.mark.parametrize(
    ("language", "taken", "unknown_language", "unknown_field"),
    [
        (
            "en",
            "Someone with this e-mail address is already taking part.",
            "Unknown language: Klingon",
            "Unknown field.",
        ),
        (
            "de",
            "Mit dieser E-Mail-Adresse nimmt schon jemand teil.",
            "Unbekannte Sprache: Klingon",
            "Unbekanntes Feld.",
        ),
    ],
)
def test_bad_input_is_refused_in_the_readers_language_and_changes_nothing(
    programme: Any,
    people: list[Participant],
    language: str,
    taken: str,
    unknown_language: str,
    unknown_field: str,
) -> None:
    client = api_client(make_token(programme)[1], language)
    before = snapshot()
    response = post(
        client,
        url("people", programme),
        {"name": "Twin", "email": people[0].email, "languages": ["Klingon"]},
    )
    # A language the description does not list is refused before the form is asked.
    assert response.status_code == 400
    assert response.json() == {"languages": [unknown_language]}
    response = post(client, url("people", programme), {"name": "X", "salary": 1})
    assert response.json() == {"salary": [unknown_field]}
    response = post(client, url("people", programme), {"name": {"first": "X"}})
    assert response.status_code == 400 and list(response.json()) == ["name"]
    response = post(client, url("people", programme), ["not", "an", "object"])
    assert response.status_code == 400 and "non_field_errors" in response.json()
    # An address someone takes part with, and nothing else wrong: a conflict with
    # what is stored, in a new person as in a change (validated by the same form).
    response = post(client, url("people", programme), {"name": "Twin", "email": people[0].email})
    assert response.status_code == 409 and response.json() == {"email": [taken]}
    response = patch(client, url("person", programme, people[1].pk), {"email": people[0].email})
    assert response.status_code == 409 and response.json() == {"email": [taken]}
    response = post(client, url("people", programme), {"name": "Y", "reminders": None})
    assert response.status_code == 400 and list(response.json()) == ["reminders"]
    response = post(
        client, url("person_pause", programme, people[1].pk), {"paused_until": "2001-01-01"}
    )
    assert response.status_code == 400 and list(response.json()) == ["paused_until"]
    assert snapshot() == before


def test_null_is_empty_for_the_texts_that_may_be_empty(writer: Client, programme: Any) -> None:
    body = {"name": "Nell", "email": "nell@example.org", "department": None, "phone": None}
    response = post(writer, url("people", programme), body)
    assert response.status_code == 201, response.content
    person = Participant.objects.get(pk=response.json()["id"])
    assert person.department == "" and person.phone == ""
    response = post(writer, url("people", programme), {"name": None})
    assert response.status_code == 400 and list(response.json()) == ["name"]
    response = post(writer, url("person_pause", programme, person.pk), {"paused_until": None})
    assert response.status_code == 200 and response.json()["paused_until"] is None
    response = post(writer, url("person_pause", programme, person.pk), {"skip_next_round": None})
    assert response.status_code == 400 and list(response.json()) == ["skip_next_round"]


def test_missing_name_and_malformed_json(writer: Client, programme: Any) -> None:
    response = post(writer, url("people", programme), {"email": "x@example.org"})
    assert response.status_code == 400 and "name" in response.json()
    response = writer.post(url("people", programme), "{broken", content_type="application/json")
    assert response.status_code == 400
    assert not Participant.objects.exists()


def test_a_person_is_changed_paused_and_leaves(
    writer: Client, programme: Any, people: list[Participant]
) -> None:
    person = people[0]
    person.interests = ["chess"]
    person.save()
    response = patch(writer, url("person", programme, person.pk), {"department": "IT"})
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    # What was not sent stays as it was.
    assert person.department == "IT" and person.interests == ["chess"]
    assert person.name == people[0].name and person.languages == ["de", "en"]
    day = timezone.localdate() + dt.timedelta(days=10)
    response = post(writer, url("person_pause", programme, person.pk), {"paused_until": str(day)})
    assert response.status_code == 200 and response.json()["paused_until"] == str(day)
    response = post(writer, url("person_leave", programme, person.pk))
    assert response.json()["status"] == "left"
    person.refresh_from_db()
    assert person.status == "left" and person.left_at is not None
    assert writer.get(url("person", programme, 999999)).status_code == 404


# --- rounds ------------------------------------------------------------------------------


def test_a_round_is_previewed_read_and_published_through_the_worker(
    writer: Client, programme: Any, people: list[Participant]
) -> None:
    response = post(writer, url("preview", programme))
    assert response.status_code == 202
    task = response.json()
    assert task["status"] == "waiting" and response["Location"].endswith(task["url"])
    # A second press while the first waits finds it.
    again = post(writer, url("preview", programme))
    assert again.status_code == 409 and again.json()["task"]["id"] == task["id"]
    run_round_tasks()
    done = writer.get(task["url"]).json()
    assert done["status"] == "done" and done["round_url"]
    rnd = Round.objects.get()
    listed = writer.get(url("rounds", programme)).json()["results"]
    assert [r["id"] for r in listed] == [rnd.pk] and listed[0]["status"] == "preview"
    detail = writer.get(done["round_url"]).json()
    assert detail["summary"]["groups"] == 4 and detail["summary"]["people"] == 8
    groups = writer.get(url("groups", programme, rnd.pk)).json()
    assert groups["count"] == 4
    first = groups["results"][0]
    assert len(first["members"]) == 2 and first["reasons"]
    assert {"across_departments", "across_levels", "across_organisations"} <= set(first)
    assert all(r["text"] and r["code"] for r in first["reasons"])
    german = api_client(make_token(programme, "read")[1], "de")
    german_reasons = german.get(url("groups", programme, rnd.pk)).json()["results"][0]["reasons"]
    assert [r["code"] for r in german_reasons] == [r["code"] for r in first["reasons"]]
    assert [r["text"] for r in german_reasons] != [r["text"] for r in first["reasons"]]
    # Answers exist for published rounds only.
    assert writer.get(url("answers", programme, rnd.pk)).status_code == 404
    response = post(writer, url("publish", programme, rnd.pk))
    assert response.status_code == 202 and response.json()["kind"] == "publish"
    run_round_tasks()
    rnd.refresh_from_db()
    assert rnd.status == "published"
    assert writer.get(response.json()["url"]).json()["status"] == "done"
    again = post(writer, url("publish", programme, rnd.pk))
    assert again.status_code == 409
    assert again.json()["detail"] == "This round was published already."


def test_answers_are_round_totals_without_anyones_answer(
    reader: Client, programme: Any, people: list[Participant]
) -> None:
    rnd = publish_round(preview_round(programme), notify=False)
    groups = list(rnd.groups.order_by("number"))
    a, b = groups[0].members.order_by("pk")
    Feedback.objects.create(group=groups[0], participant=a, met=True)
    Feedback.objects.create(group=groups[0], participant=b, met=False)
    body = reader.get(url("answers", programme, rnd.pk)).json()
    # Two people answered: whether their group met is not told.
    assert body == {
        "groups": 4,
        "answers": 2,
        "answered_groups": 1,
        "groups_met": None,
        "meeting_rate": None,
    }
    for group in groups[1:]:
        for member in group.members.all():
            Feedback.objects.create(group=group, participant=member, met=group == groups[1])
    body = reader.get(url("answers", programme, rnd.pk)).json()
    assert body == {
        "groups": 4,
        "answers": 8,
        "answered_groups": 4,
        "groups_met": 2,
        "meeting_rate": 50,
    }
    text = json.dumps(body)
    for person in people:
        assert person.name not in text and person.email not in text
    assert "results" not in body


# --- insights ----------------------------------------------------------------------------


def test_a_programme_of_fewer_than_five_people_gets_no_figures(
    reader: Client, programme: Any, make_participant: Any
) -> None:
    for _ in range(4):
        make_participant(programme)
    publish_round(preview_round(programme), notify=False)
    body = reader.get(url("insights", programme)).json()
    assert body["enough_people"] is False
    assert body["totals"] is None and body["rounds"] is None
    assert body["departments"] is None and body["silo"] is None
    assert "fewer than 5 people" in body["notice"]


def test_insights_figures_keep_the_pages_privacy_rules(
    reader: Client, programme: Any, people: list[Participant]
) -> None:
    rnd = publish_round(preview_round(programme), notify=False)
    group = rnd.groups.first()
    Feedback.objects.create(group=group, participant=group.members.first(), met=True)
    body = reader.get(url("insights", programme)).json()
    assert body["enough_people"] is True
    assert body["totals"]["rounds"] == 1 and body["totals"]["new_connections"] == 4
    [figures] = body["rounds"]
    # One answer: fewer than five people answered, so no meeting rate and no count.
    assert figures["answers"] == 1
    assert figures["meeting_rate"] is None and figures["met_groups"] is None
    # Eight people over six departments: every department has fewer than five, so
    # they are pooled, and nothing about a department is shown.
    for department in body["departments"]:
        if department["people"] is None:
            assert all(cell is None for cell in department["connections"])
    assert all(d["people"] is None or d["people"] >= 5 for d in body["departments"])
    text = json.dumps(body)
    for person in people:
        assert person.name not in text


def test_a_wrong_period_is_refused_in_both_languages(programme: Any) -> None:
    _token, secret = make_token(programme, "read")
    target = url("insights", programme) + "?start=2026-05-01&end=2026-01-01"
    english = api_client(secret).get(target)
    assert english.status_code == 400
    assert english.json() == {"non_field_errors": ["The period must not end before it starts."]}
    german = api_client(secret, "de").get(target).json()["non_field_errors"][0]
    assert german != english.json()["non_field_errors"][0] and "Zeitraum" in german
    assert api_client(secret).get(url("insights", programme) + "?from=x").status_code == 400


# --- the description ---------------------------------------------------------------------


def test_the_schema_is_valid_openapi_3_with_every_endpoint() -> None:
    response = Client().get(reverse("api:schema") + "?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate(schema)
    assert schema["openapi"].startswith("3.")
    documented = set(schema["paths"])
    routes = set()
    for item in get_resolver().url_patterns:
        if getattr(item, "namespace", None) == "api":
            for pattern in item.url_patterns:
                if pattern.name not in ("schema", "docs", "unknown"):
                    route = "/api/v1/" + str(pattern.pattern)
                    routes.add(route.replace("<int:", "{").replace(">", "}"))
    assert len(routes) == 14
    assert routes == documented
    assert "programmeToken" in schema["components"]["securitySchemes"]
    answers = schema["paths"]["/api/v1/programmes/{programme_id}/rounds/{round_id}/answers/"]
    body = answers["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[1]
    assert "meeting_rate" in schema["components"]["schemas"][name]["properties"]


def test_the_schema_is_generated_without_warnings(tmp_path: Any) -> None:
    """Every view, field and enum is described; a warning would mean a guess."""
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "api.yaml")
    )
    assert "/api/v1/programmes/{programme_id}/people/" in (tmp_path / "api.yaml").read_text()


def test_the_documentation_is_a_page_of_the_site_drawn_from_the_schema() -> None:
    """No viewer script and nothing from a CDN: every endpoint of the schema on one
    page of the site's layout, in the reader's language, with the schema a link away."""
    schema = json.loads(Client().get(reverse("api:schema") + "?format=json").content)
    page = Client(headers={"accept-language": "de"}).get(reverse("api:docs"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script" not in html and "https://" not in html
    assert 'lang="de"' in html and "Die Kaffeeklatsch-API" in html
    assert reverse("api:schema") in html
    for path, item in schema["paths"].items():
        for method in item:
            assert f"<code>{method.upper()} {path}</code>" in html, (method, path)
    # The fields of a request, and answers in the reader's language.
    assert "<code>skip_next_round</code>" in html
    assert "Das Token darf nur lesen." in html


# --- the connections page ----------------------------------------------------------------


def test_an_organiser_makes_a_token_sees_it_once_and_revokes_it(
    client: Client, organiser: Any, programme: Any
) -> None:
    login(client, organiser)
    detail = client.get(reverse("programmes:detail", args=[programme.pk])).content.decode()
    assert reverse("connections:overview", args=[programme.pk]) in detail
    page = client.get(reverse("connections:overview", args=[programme.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Single sign-on" in html and "SCIM" in html and "No tokens yet." in html
    response = client.post(
        reverse("connections:overview", args=[programme.pk]),
        {"name": "Membership script", "scope": "write"},
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get()
    secret = response.context["secret"]
    assert secret in response.content.decode() and token.matches(secret)
    assert token.created_by == organiser and token.scope == "write"
    again = client.get(reverse("connections:overview", args=[programme.pk])).content.decode()
    assert secret not in again and "Membership script" in again and "never" in again
    assert api_client(secret).get(url("programme", programme)).status_code == 200
    response = client.post(reverse("connections:revoke", args=[programme.pk, token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked
    assert api_client(secret).get(url("programme", programme)).status_code == 401
    assert "Revoked on" in client.get(response["Location"]).content.decode()


def test_a_token_without_a_name_is_refused_in_german(
    german_client: Client, organiser: Any, programme: Any
) -> None:
    login(german_client, organiser)
    response = german_client.post(
        reverse("connections:overview", args=[programme.pk]), {"name": "", "scope": "admin"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Dieses Feld ist zwingend erforderlich." in html and "API-Tokens" in html
    assert not ApiToken.objects.exists()


def test_a_failed_task_says_why_in_the_readers_language(
    programme: Any, people: list[Participant]
) -> None:
    from kaffeeklatsch.rounds.storing import delete_preview

    _token, secret = make_token(programme)
    rnd = preview_round(programme)
    task = post(api_client(secret), url("publish", programme, rnd.pk)).json()
    delete_preview(rnd)
    run_round_tasks()
    english = api_client(secret).get(task["url"]).json()
    assert english["status"] == "failed" and english["error"] == "gone"
    assert english["error_text"].startswith("The preview was discarded")
    assert english["round_url"] is None
    german = api_client(secret, "de").get(task["url"]).json()
    assert german["error_text"] not in ("", english["error_text"])


def test_a_person_set_to_left_leaves_as_on_the_page(
    writer: Client, programme: Any, people: list[Participant]
) -> None:
    person = people[0]
    answer = patch(writer, url("person", programme, person.pk), {"status": "left"})
    assert answer.status_code == 200, answer.content
    person.refresh_from_db()
    assert person.status == Participant.Status.LEFT and person.left_at is not None
