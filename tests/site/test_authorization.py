"""Every role tries every page and action of the others and is refused.

The matrix is driven by the URLconf itself: every named URL must have a rule in
:data:`RULES` (who may use it, and which requests to try), so a new page without a
rule makes :func:`test_every_url_has_a_rule` fail and name it. To add a page, add one
line to :data:`RULES`; if its URL has a parameter the defaults in :data:`ARGUMENTS`
do not know, give the rule an ``args`` function.

Roles: anonymous, a participant and a participant of another programme (signed in
by their e-mail link), the organiser of another programme, a co-organiser and the
owner of the programme, and the server's administrator (staff, superuser, but no
organiser of the programme).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kaffeeklatsch.participants.tokens import feedback_url, sign_in_token
from kaffeeklatsch.rounds.models import Feedback
from tests.support.web import login, path_of, sign_in_participant
from tests.support.world import World, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def identity_provider(httpserver: Any, settings: Any) -> Iterator[None]:
    """Single sign-on configured, with an identity provider on loopback that answers
    discovery, so that its pages are in the matrix too."""
    from kaffeeklatsch.sso import provider

    issuer = httpserver.url_for("/idp")
    httpserver.expect_request("/idp/.well-known/openid-configuration").respond_with_json(
        {
            "issuer": issuer,
            "authorization_endpoint": issuer + "/authorize",
            "token_endpoint": issuer + "/token",
            "userinfo_endpoint": issuer + "/userinfo",
            "jwks_uri": issuer + "/jwks",
        }
    )
    settings.SSO_ISSUER, settings.SSO_CLIENT_ID = issuer, "kaffeeklatsch"
    provider.forget()
    yield
    provider.forget()


ROLES = ("anonymous", "participant", "other_participant", "stranger", "co", "owner", "staff")

ANYONE = frozenset(ROLES)
SIGNED_IN_USERS = frozenset({"stranger", "co", "owner", "staff"})
PARTICIPANTS = frozenset({"participant", "other_participant"})
ORGANISERS = frozenset({"co", "owner"})
OWNER = frozenset({"owner"})
# No role with a session: what only a token of the programme may use (the REST API,
# the SCIM endpoint).
NOBODY: frozenset[str] = frozenset()


Args = Callable[[World], dict[str, Any]]
Data = dict[str, Any] | Callable[[World], dict[str, Any]]
Request = tuple[str, Data]


@dataclass(frozen=True)
class Rule:
    """Who may use a URL, and the requests every other role tries on it.

    ``requests`` are (method, data) pairs; a POST carries data that would change
    something if it were accepted (data may be a function of the world), so a refusal
    that still acted is caught by the snapshot of the database. ``args`` gives URL
    arguments the defaults do not know. ``by_link`` marks pages opened through a
    signed link from an e-mail: anyone holding the link may use them, and the matrix
    opens them with a forged link, which must open nothing.
    """

    allowed: frozenset[str]
    requests: tuple[Request, ...] = (("get", {}),)
    args: Args | None = None
    by_link: bool = False


GET = ("get", {})
POST = ("post", {})


# URL parameters and the object of the programme under attack they stand for.
ARGUMENTS: dict[str, Callable[[World], Any]] = {
    "programme_id": lambda w: w.programme.pk,
    "participant_id": lambda w: w.participant.pk,
    "round_id": lambda w: w.preview.pk,
    "organiser_id": lambda w: w.co_membership.pk,
    "other_id": lambda w: w.other_participant.pk,
    "group_id": lambda w: w.published.groups.filter(members=w.participant).get().pk,
    "channel_id": lambda w: w.extra["channel"].pk,
    "task_id": lambda w: w.extra["task"].pk,
    "download_id": lambda w: w.extra["download"].pk,
    "job_id": lambda w: w.extra["failed_job"].pk,
    "handle_id": lambda w: w.extra["refused_handle"].pk,
    "token_id": lambda w: w.extra["token"].pk,
    "invitation_id": lambda w: w.extra["invitation"].pk,
}

EVIL_HOOK = {"url": "https://evil.example.org/h", "secret": "x" * 20}


def _published_round(w: World) -> dict[str, Any]:
    return {"programme_id": w.programme.pk, "round_id": w.published.pk}


RULES: dict[str, Rule] = {
    # Public pages.
    "front:home": Rule(ANYONE),
    "front:privacy": Rule(ANYONE),
    "front:help": Rule(ANYONE),
    "front:favicon": Rule(ANYONE),
    "front:set_language": Rule(ANYONE, (("post", {"language": "de"}),)),
    "accounts:login": Rule(ANYONE),
    "accounts:password_reset": Rule(ANYONE),
    "accounts:password_reset_done": Rule(ANYONE),
    "accounts:password_reset_complete": Rule(ANYONE),
    "participants:request_link": Rule(ANYONE),
    "participants:join": Rule(ANYONE, args=lambda w: {"token": w.programme.invite_token}),
    "participants:joined": Rule(ANYONE, args=lambda w: {"token": w.programme.invite_token}),
    "participants:sign_out": Rule(ANYONE, (POST,)),
    "accounts:logout": Rule(ANYONE, (POST,)),
    # Links from e-mails: whoever holds a valid link; a forged one opens nothing
    # (test_forged_links_open_nothing).
    "accounts:password_reset_confirm": Rule(
        ANYONE,
        (GET, ("post", {"new_password1": "x-Y-z-123456", "new_password2": "x-Y-z-123456"})),
        args=lambda w: {"uidb64": "MQ", "token": "forged-token"},
        by_link=True,
    ),
    "participants:confirm": Rule(
        ANYONE, (GET, POST), args=lambda w: {"token": "forged"}, by_link=True
    ),
    "participants:sign_in": Rule(
        ANYONE, (GET, POST), args=lambda w: {"token": "forged"}, by_link=True
    ),
    "rounds_feedback": Rule(ANYONE, args=lambda w: {"token": "forged"}, by_link=True),
    "participants:unsubscribe": Rule(
        ANYONE,
        (GET, ("post", {"List-Unsubscribe": "One-Click"})),
        args=lambda w: {"token": "forged"},
        by_link=True,
    ),
    # Any organiser account.
    "accounts:password_change": Rule(
        SIGNED_IN_USERS,
        (GET, ("post", {"old_password": "x", "new_password1": "y", "new_password2": "y"})),
    ),
    "accounts:password_change_done": Rule(SIGNED_IN_USERS),
    "programmes:list": Rule(SIGNED_IN_USERS),
    "programmes:create": Rule(SIGNED_IN_USERS),
    # The organisers of the programme.
    "programmes:detail": Rule(ORGANISERS),
    "programmes:edit": Rule(ORGANISERS, (GET, ("post", {"name": "Hijacked"}))),
    "programmes:new_invitation": Rule(ORGANISERS, (GET, ("post", {"confirm": "yes"}))),
    "participants:list": Rule(ORGANISERS),
    "participants:add": Rule(
        ORGANISERS,
        (
            GET,
            (
                "post",
                {"name": "Intruder", "mode": "either", "language": "de", "status": "active"},
            ),
        ),
    ),
    "participants:edit": Rule(ORGANISERS, (GET, ("post", {"name": "Renamed"}))),
    "participants:remove": Rule(ORGANISERS, (GET, POST)),
    "participants:import": Rule(ORGANISERS),
    "participants:import_example": Rule(ORGANISERS),
    "participants:import_preview": Rule(ORGANISERS, (GET, ("post", {"confirm": "1"}))),
    "rounds:list": Rule(ORGANISERS),
    "rounds:preview": Rule(ORGANISERS, (POST,)),
    "rounds:detail": Rule(ORGANISERS),
    "rounds:move": Rule(
        ORGANISERS,
        (("post", lambda w: {"participant": w.participant.pk, "target": "out"}),),
    ),
    "rounds:move_to": Rule(ORGANISERS),
    "rounds:task": Rule(ORGANISERS),
    "rounds:task_status": Rule(ORGANISERS),
    "rounds:publish": Rule(ORGANISERS, (POST,)),
    "rounds:discard": Rule(ORGANISERS, (POST,)),
    "insights:dashboard": Rule(ORGANISERS),
    "insights:rounds_csv": Rule(ORGANISERS),
    "insights:rounds_xlsx": Rule(ORGANISERS),
    "insights:groups_csv": Rule(ORGANISERS),
    "insights:groups_xlsx": Rule(ORGANISERS),
    "insights:report": Rule(ORGANISERS),
    "insights:status": Rule(ORGANISERS),
    "downloads:prepare": Rule(ORGANISERS, (("post", {"kind": "rounds_csv"}),)),
    "downloads:status": Rule(ORGANISERS),
    "downloads:status_json": Rule(ORGANISERS),
    "downloads:file": Rule(ORGANISERS),
    "reach:settings": Rule(ORGANISERS, (GET, ("post", {"enabled": "on", "hours_before": "5"}))),
    "reach:channel_add": Rule(
        ORGANISERS,
        (GET, ("post", EVIL_HOOK)),
        args=lambda w: {"programme_id": w.programme.pk, "kind": "webhook"},
    ),
    "reach:channel_edit": Rule(ORGANISERS, (GET, ("post", EVIL_HOOK))),
    "reach:channel_test": Rule(ORGANISERS, (POST,)),
    "reach:channel_remove": Rule(ORGANISERS, (POST,)),
    "reach:send_again": Rule(ORGANISERS, (POST,)),
    "reach:handle_try_again": Rule(ORGANISERS, (POST,)),
    "reach:letters": Rule(ORGANISERS, args=_published_round),
    "reach:phone_list": Rule(ORGANISERS, args=_published_round),
    "reach:phone_list_csv": Rule(ORGANISERS, args=_published_round),
    "reach:answer": Rule(
        ORGANISERS,
        (("post", lambda w: {"participant": w.participant.pk, "met": "no"}),),
        args=_published_round,
    ),
    "connections:overview": Rule(ORGANISERS, (GET, ("post", {"name": "Mole", "scope": "write"}))),
    "connections:revoke": Rule(ORGANISERS, (POST,)),
    # The REST API: its description for anyone; every endpoint only with a token of
    # the programme (tests/api/test_api.py), never with a session of any role.
    "api:schema": Rule(ANYONE),
    "api:docs": Rule(ANYONE),
    "api:programmes": Rule(NOBODY),
    "api:programme": Rule(NOBODY),
    "api:people": Rule(NOBODY, (GET, ("post", {"name": "Intruder"}))),
    "api:person": Rule(NOBODY, (GET, ("patch", {"name": "Renamed"}))),
    "api:person_pause": Rule(NOBODY, (("post", {"skip_next_round": "on"}),)),
    "api:person_leave": Rule(NOBODY, (POST,)),
    "api:rounds": Rule(NOBODY),
    "api:preview": Rule(NOBODY, (POST,)),
    "api:task": Rule(NOBODY),
    "api:round": Rule(NOBODY),
    "api:groups": Rule(NOBODY),
    "api:answers": Rule(NOBODY, args=_published_round),
    "api:publish": Rule(NOBODY, (POST,)),
    "api:insights": Rule(NOBODY),
    # Any other address under the API: 404 after the token is checked.
    "api:unknown": Rule(NOBODY, (GET, POST)),
    "scim:settings": Rule(ORGANISERS, (GET, ("post", {"action": "token"}))),
    # The owner of the programme.
    "programmes:organisers": Rule(OWNER, (GET, ("post", {"email": "mole@example.org"}))),
    "programmes:remove_organiser": Rule(OWNER, (POST,)),
    "programmes:withdraw_invitation": Rule(OWNER, (POST,)),
    # An invitation to co-organise: only the invited account (here the organiser of
    # the other programme) sees it and answers it.
    "programmes:invitation": Rule(frozenset({"stranger"}), (GET, ("post", {"answer": "accept"}))),
    # A participant's own page: each participant sees only their own data
    # (test_a_participant_sees_only_their_own_data).
    "participants:me": Rule(PARTICIPANTS),
    "participants:edit_profile": Rule(PARTICIPANTS, (GET, ("post", {"name": "Hijacked"}))),
    "participants:step": Rule(PARTICIPANTS, (GET, ("post", {"question": "times", "skip": "1"}))),
    "participants:pause": Rule(PARTICIPANTS, (("post", {"skip_next_round": "on"}),)),
    "participants:block": Rule(PARTICIPANTS, (("post", {"person": "1"}),)),
    "participants:unblock": Rule(PARTICIPANTS, (POST,)),
    "participants:leave": Rule(PARTICIPANTS, (GET, POST)),
    "participants:rejoin": Rule(PARTICIPANTS, (POST,)),
    "participants:export": Rule(PARTICIPANTS),
    "participants:export_readable": Rule(PARTICIPANTS),
    "participants:erase": Rule(PARTICIPANTS, (GET, POST)),
    "reach:chat": Rule(PARTICIPANTS, (GET, ("post", {"handle_1": "@mole:example.org"}))),
    "reach:meeting_update": Rule(PARTICIPANTS, (("post", {"status": "cannot_meet"}),)),
    "reach:meeting_update_link": Rule(
        ANYONE, (GET, POST), args=lambda w: {"token": "forged"}, by_link=True
    ),
    # Single sign-on: anyone may start it; the provider's answer counts only in the
    # browser that started the sign-in (test_forged_sso_answers_sign_nobody_in), and
    # the choice between one's programmes only after signing in there.
    "sso:sign_in": Rule(ANYONE),
    "sso:participant_sign_in": Rule(ANYONE),
    "sso:callback": Rule(
        ANYONE, (GET, ("get", {"code": "forged", "state": "forged"})), by_link=True
    ),
    "sso:choose": Rule(frozenset(), (GET, ("post", lambda w: {"participant": w.participant.pk}))),
    **{
        f"scim:{name}": Rule(NOBODY, (GET, POST), args=args)
        for name, args in {
            "root": None,
            "search": None,
            "config": None,
            "resource_types": None,
            "resource_type": lambda w: {"programme_id": w.programme.pk, "key": "User"},
            "schemas": None,
            "schema": lambda w: {"programme_id": w.programme.pk, "key": "urn:x"},
            "users": None,
            "users_search": None,
            "user": lambda w: {"programme_id": w.programme.pk, "resource_id": "x"},
            "groups": None,
            "groups_search": None,
            "group": lambda w: {"programme_id": w.programme.pk, "resource_id": "x"},
            "unknown": lambda w: {"programme_id": w.programme.pk, "rest": "x"},
        }.items()
    },
}

# The Django admin: for the server's administrator only (test_the_admin_is_for_staff_only).
ADMIN_NAMESPACE = "admin"


@dataclass(frozen=True)
class NamedUrl:
    name: str
    route: str
    params: tuple[str, ...]


def named_urls() -> Iterator[NamedUrl]:
    """Every URL of the URLconf with its namespaced name, route and parameters."""

    def walk(patterns: list[Any], namespace: str, route: str, params: tuple[str, ...]) -> Any:
        for item in patterns:
            here = params + tuple(item.pattern.converters)
            if isinstance(item, URLResolver):
                inner = namespace
                if item.namespace:
                    inner = f"{namespace}:{item.namespace}" if namespace else item.namespace
                yield from walk(item.url_patterns, inner, route + str(item.pattern), here)
            elif isinstance(item, URLPattern):
                name = item.name or f"<unnamed {route}{item.pattern}>"
                full = f"{namespace}:{name}" if namespace else name
                yield NamedUrl(full, route + str(item.pattern), here)

    yield from walk(get_resolver().url_patterns, "", "", ())


def url_for(url: NamedUrl, w: World) -> str:
    rule = RULES[url.name]
    if rule.args is not None:
        return reverse(url.name, kwargs=rule.args(w))
    unknown = [p for p in url.params if p not in ARGUMENTS]
    assert not unknown, f"URL {url.name!r} has parameters {unknown}: give its rule an args function"
    return reverse(url.name, kwargs={p: ARGUMENTS[p](w) for p in url.params})


def checked_urls() -> list[NamedUrl]:
    return [u for u in named_urls() if not u.name.startswith(f"{ADMIN_NAMESPACE}:")]


def test_every_url_has_a_rule() -> None:
    uncovered = [f"{u.name} (/{u.route})" for u in checked_urls() if u.name not in RULES]
    assert not uncovered, (
        "These URLs have no authorization rule; add them to RULES in "
        f"tests/site/test_authorization.py: {', '.join(uncovered)}"
    )
    stale = set(RULES) - {u.name for u in checked_urls()}
    assert not stale, f"RULES names URLs that no longer exist: {sorted(stale)}"


def client_for(role: str, w: World) -> Client:
    client = Client(headers={"accept-language": "en"})
    if role == "participant":
        sign_in_participant(client, w.participant)
    elif role == "other_participant":
        sign_in_participant(client, w.other_participant)
    elif role in ("stranger", "co", "owner", "staff"):
        login(client, getattr(w, role))
    return client


def _data(data: Data, w: World) -> dict[str, Any]:
    return data(w) if callable(data) else data


def refused(response: Any, method: str) -> bool:
    """Not found, forbidden, not authenticated (the REST API and the SCIM endpoint
    without their tokens), or sent to a sign-in page; a GET on a POST-only action may
    also be refused as 405."""
    if response.status_code in (401, 403, 404):
        return True
    if response.status_code == 405 and method == "get":
        return True
    if response.status_code == 302:
        target = path_of(response["Location"])
        return target.startswith((reverse("accounts:login"), reverse("participants:request_link")))
    return False


@pytest.mark.parametrize("role", ROLES)
def test_every_role_is_refused_everywhere_it_does_not_belong(role: str, world: World) -> None:
    client = client_for(role, world)
    before = snapshot()
    tried = 0
    for named in checked_urls():
        rule, name = RULES[named.name], named.name
        if role in rule.allowed:
            continue
        url = url_for(named, world)
        for method, data in rule.requests:
            response = getattr(client, method)(url, _data(data, world))
            tried += 1
            assert refused(response, method), (
                f"{role} was not refused: {method.upper()} {url} ({name}) answered "
                f"{response.status_code} {response.get('Location', '')}"
            )
    assert snapshot() == before, f"a refused request of {role} changed something"
    assert tried > 0


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reaches_its_own_pages(role: str, world: World) -> None:
    client = client_for(role, world)
    for named in checked_urls():
        rule, name = RULES[named.name], named.name
        if role not in rule.allowed or GET not in rule.requests or rule.by_link:
            continue
        url = url_for(named, world)
        response = client.get(url)
        assert response.status_code in (200, 302), (role, name, url, response.status_code)
        assert not refused(response, "get"), (role, name, url)


def test_objects_of_another_programme_cannot_be_reached_through_ones_own(world: World) -> None:
    """The organiser of programme B puts B's id in the URL with A's people, rounds and
    organisers: every page and action answers 404 and nothing changes."""
    client = client_for("stranger", world)
    before = snapshot()
    for named in checked_urls():
        params, name = set(named.params), named.name
        objects = params & set(ARGUMENTS) - {"programme_id"}
        if "programme_id" not in params or not objects:
            continue
        rule = RULES[name]
        kwargs = rule.args(world) if rule.args else {p: ARGUMENTS[p](world) for p in params}
        kwargs["programme_id"] = world.other_programme.pk
        url = reverse(name, kwargs=kwargs)
        for method, data in rule.requests:
            response = getattr(client, method)(url, _data(data, world))
            # The API answers a session without a token before it looks at the URL.
            expected = (401, 404, 405) if name.startswith("api:") else (404, 405)
            assert response.status_code in expected, (name, url, response.status_code)
    assert snapshot() == before


def test_a_participant_cannot_act_on_another_participants_objects(world: World) -> None:
    """Pages of one's own with an id in the URL (a group, a person): the participant of
    another programme puts in the ids of the first participant's objects."""
    client = client_for("other_participant", world)
    before = snapshot()
    tried = 0
    for named in checked_urls():
        rule = RULES[named.name]
        if rule.allowed != PARTICIPANTS or not named.params:
            continue
        url = url_for(named, world)
        for method, data in rule.requests:
            response = getattr(client, method)(url, _data(data, world))
            assert response.status_code in (302, 400, 403, 404, 405), (named.name, url)
            tried += 1
    assert tried > 0
    assert snapshot() == before


def test_forged_links_open_nothing(world: World, client: Client) -> None:
    before = snapshot()
    for name in (
        "participants:confirm",
        "participants:sign_in",
        "rounds_feedback",
        "participants:unsubscribe",
    ):
        url = reverse(name, kwargs={"token": "forged"})
        assert client.get(url).status_code == 400, name
        assert client.post(url).status_code in (400, 405), name
    # A real link with one character changed.
    real = reverse("participants:sign_in", args=[sign_in_token(world.participant)])
    assert client.post(real[:-3] + "x/").status_code == 400
    assert "participant_id" not in client.session
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_forged_sso_answers_sign_nobody_in(role: str, world: World) -> None:
    client = client_for(role, world)
    signed_in = (client.session.get("_auth_user_id"), client.session.get("participant_id"))
    before = snapshot()
    # A sign-in started in this browser, answered with another state.
    assert client.get(reverse("sso:sign_in")).status_code == 302
    for query in ({}, {"code": "forged", "state": "forged"}, {"error": "access_denied"}):
        assert client.get(reverse("sso:callback"), query).status_code == 400
    assert (client.session.get("_auth_user_id"), client.session.get("participant_id")) == (
        signed_in
    )
    assert snapshot() == before


def test_a_participant_sees_only_their_own_data(world: World) -> None:
    client = client_for("other_participant", world)
    export = client.get(reverse("participants:export")).content.decode()
    assert "Outsider" in export and world.participant.name not in export
    assert world.participant.email not in export
    page = client.get(reverse("participants:me")).content.decode()
    assert world.participant.name not in page
    # Blocking someone never met is refused.
    client.post(reverse("participants:block"), {"person": world.participant.pk})
    assert not world.other_participant.blocked.exists()


def test_feedback_only_for_ones_own_group(world: World, client: Client) -> None:
    group = world.published.groups.first()
    outsider_link = feedback_url(group.pk, world.other_participant.pk, True)
    assert client.get(path_of(outsider_link)).status_code == 404
    forged = path_of(feedback_url(group.pk, world.participant.pk, True))[:-4] + "xyz/"
    assert client.get(forged).status_code == 400
    assert not Feedback.objects.exists()


def admin_urls() -> list[str]:
    from django.contrib import admin

    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    return urls


@pytest.mark.parametrize("role", [r for r in ROLES if r != "staff"])
def test_the_admin_is_for_staff_only(role: str, world: World) -> None:
    client = client_for(role, world)
    for url in admin_urls():
        response = client.get(url)
        assert response.status_code == 302, (role, url)
        assert path_of(response["Location"]) == reverse("admin:login"), (role, url)


def test_the_administrator_has_the_admin(world: World) -> None:
    client = client_for("staff", world)
    urls = admin_urls()
    assert any("participant" in url for url in urls) and any("outbox" in url for url in urls)
    for url in urls:
        # django-axes' records of failed sign-ins are written by the server alone: the
        # administrator reads and deletes them (to lift a lock) but adds none.
        expected = 403 if url.startswith("/admin/axes/") and url.endswith("/add/") else 200
        assert client.get(url).status_code == expected, url
