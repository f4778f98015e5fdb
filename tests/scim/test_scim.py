"""The SCIM endpoint as Microsoft Entra ID and Okta use it, and what it refuses.

The requests replayed here are the ones of Entra ID's documented provisioning
sequence (and Okta's deactivation); after each, the programme's people are checked.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kaffeeklatsch.jobs.registry import erase_expired
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.export import export_data
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.scim import status
from kaffeeklatsch.scim.models import ProvisionedGroup, ProvisionedUser, ScimConnection

pytestmark = [pytest.mark.database, pytest.mark.django_db]

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


class Scim:
    """An identity system talking to one programme's endpoint with a token."""

    def __init__(self, programme: Any, token: str, language: str = "en") -> None:
        self.base = f"/scim/v2/{programme.pk}"
        self.client = Client(headers={"accept-language": language})
        self.token = token

    def __call__(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = {}
        if (token if token is not None else self.token) != "":
            headers["authorization"] = f"Bearer {token if token is not None else self.token}"
        data = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
        return getattr(self.client, method.lower())(
            self.base + path, data=data, content_type="application/scim+json", headers=headers
        )


def connect(programme: Any, **fields: Any) -> Scim:
    connection = ScimConnection.objects.create(programme=programme, **fields)
    return Scim(programme, connection.new_token())


@pytest.fixture
def scim(programme: Any) -> Scim:
    return connect(programme)


def entra_user(user_name: str, email: str) -> dict[str, Any]:
    """The body of Entra ID's POST /Users (its documented example)."""
    return {
        "schemas": [USER, ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": user_name,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": email}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
        "roles": [],
        ENTERPRISE: {"department": "Care", "organization": "Diakonie Nord"},
    }


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


def only(programme: Any) -> Participant:
    return programme.participants.get()


def test_entra_id_provisioning_sequence(scim: Scim, programme: Any) -> None:
    # 1. Is the user there already?
    response = scim("GET", '/Users?filter=userName eq "ada@example.org"')
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/scim+json"
    assert response.json()["totalResults"] == 0

    # 2. Create: the person joins, with the confirmation e-mail the programme asks for.
    response = scim("POST", "/Users", entra_user("ada@example.org", "Ada@Example.org"))
    assert response.status_code == 201, response.content
    created = response.json()
    user_id = created["id"]
    assert response["Location"].endswith(f"/Users/{user_id}")
    assert created["userName"] == "ada@example.org" and created["active"] is True
    assert "meta" in created and created["meta"]["resourceType"] == "User"
    ada = only(programme)
    assert (ada.name, ada.email, ada.department, ada.organisation) == (
        "Ada Lovelace",
        "ada@example.org",
        "Care",
        "Diakonie Nord",
    )
    assert ada.status == Participant.Status.PENDING
    assert ada.external_id == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"
    asked = OutboxMessage.objects.get(participant=ada, kind=OutboxMessage.Kind.CONFIRM)
    # The e-mail says why they are asked, what is stored, and that nothing happens
    # without their confirmation.
    assert "your organisation added you" in asked.body_text
    assert "not matched with anyone" in asked.body_text and "/confirm/" in asked.body_text

    # 3. Read it back, by id and by filter.
    assert scim("GET", f"/Users/{user_id}").json()["name"]["givenName"] == "Ada"
    found = scim("GET", '/Users?filter=userName eq "ADA@example.org"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == user_id
    by_external = scim("GET", '/Users?filter=externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')
    assert by_external.json()["totalResults"] == 1

    # 4. Replace attributes as Entra sends them: capitalised op, a filtered path, a
    # sub-attribute path and an enterprise attribute by its full name.
    response = scim(
        "PATCH",
        f"/Users/{user_id}",
        patch(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ada.l@example.org"},
            {"op": "Replace", "path": "name.familyName", "value": "King"},
            {"op": "Replace", "path": "name.formatted", "value": "Ada King"},
            {"op": "Add", "path": "title", "value": "team lead"},
            {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Youth"},
        ),
    )
    assert response.status_code == 200, response.content
    ada.refresh_from_db()
    assert (ada.name, ada.email, ada.department, ada.level) == (
        "Ada King",
        "ada.l@example.org",
        "Youth",
        "team lead",
    )

    # 5. Deactivate, as Entra sends it: the value a string "False".
    response = scim(
        "PATCH", f"/Users/{user_id}", patch({"op": "Replace", "path": "active", "value": "False"})
    )
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    ada.refresh_from_db()
    assert ada.status == Participant.Status.LEFT and ada.left_at is not None

    # Activated again: back, still waiting for the confirmation they never gave.
    scim("PATCH", f"/Users/{user_id}", patch({"op": "Replace", "path": "active", "value": "True"}))
    ada.refresh_from_db()
    assert ada.status == Participant.Status.PENDING and ada.left_at is None

    # 6. Delete: they leave; the resource is gone.
    assert scim("DELETE", f"/Users/{user_id}").status_code == 204
    assert scim("GET", f"/Users/{user_id}").status_code == 404
    ada.refresh_from_db()
    assert ada.status == Participant.Status.LEFT
    assert status(programme).people == 0
    assert ProvisionedUser.objects.filter(resource={}, user_name="").count() == 1


def test_entra_id_groups_are_departments(scim: Scim, programme: Any) -> None:
    ids = []
    for n in range(3):
        body = entra_user(f"user{n}@example.org", f"user{n}@example.org")
        del body[ENTERPRISE]
        ids.append(scim("POST", "/Users", body).json()["id"])

    response = scim("GET", '/Groups?excludedAttributes=members&filter=displayName eq "Pflege"')
    assert response.json()["totalResults"] == 0
    response = scim(
        "POST",
        "/Groups",
        {
            "schemas": [GROUP],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Pflege",
            "meta": {"resourceType": "Group"},
        },
    )
    assert response.status_code == 201, response.content
    group_id = response.json()["id"]

    # Add members, as Entra sends it ($ref null).
    members = [{"$ref": None, "value": pk} for pk in ids]
    response = scim(
        "PATCH", f"/Groups/{group_id}", patch({"op": "Add", "path": "members", "value": members})
    )
    assert response.status_code in (200, 204), response.content
    assert set(programme.participants.values_list("department", flat=True)) == {"Pflege"}
    # What the identity system sent is part of the person's own download.
    exported = export_data(programme.participants.get(email="user1@example.org"))
    assert exported["from_the_identity_system"]["user_name"] == "user1@example.org"
    assert exported["from_the_identity_system"]["groups"] == ["Pflege"]

    # Remove one member by value.
    response = scim(
        "PATCH",
        f"/Groups/{group_id}",
        patch({"op": "Remove", "path": "members", "value": [{"$ref": None, "value": ids[0]}]}),
    )
    assert response.status_code in (200, 204), response.content
    departments = dict(programme.participants.values_list("email", "department"))
    assert departments["user0@example.org"] == ""
    assert departments["user1@example.org"] == "Pflege"

    # Rename the group: its people's department follows.
    scim(
        "PATCH",
        f"/Groups/{group_id}",
        patch({"op": "Replace", "path": "displayName", "value": "Pflege Nord"}),
    )
    assert programme.participants.get(email="user2@example.org").department == "Pflege Nord"
    listed = scim("GET", f"/Groups/{group_id}?excludedAttributes=members").json()
    assert listed["displayName"] == "Pflege Nord" and "members" not in listed
    full = scim("GET", f"/Groups/{group_id}").json()
    assert sorted(m["value"] for m in full["members"]) == sorted(ids[1:])
    assert scim("GET", '/Groups?filter=displayName eq "pflege nord"').json()["totalResults"] == 1

    # Delete the group: nobody is in that department any more.
    assert scim("DELETE", f"/Groups/{group_id}").status_code == 204
    assert set(programme.participants.values_list("department", flat=True)) == {""}
    assert not ProvisionedGroup.objects.exists()


def test_okta_deactivates_with_a_pathless_replace_and_replaces_with_put(
    programme: Any,
) -> None:
    scim = connect(programme, confirm_new_people=False)
    body = entra_user("grace@example.org", "grace@example.org")
    user_id = scim("POST", "/Users", body).json()["id"]
    grace = only(programme)
    # No confirmation asked: taking part at once, welcomed by e-mail.
    assert grace.status == Participant.Status.ACTIVE
    assert OutboxMessage.objects.filter(participant=grace, kind=OutboxMessage.Kind.WELCOME).exists()

    body = {**body, "id": user_id, "displayName": "Grace Hopper", "title": "staff"}
    body[ENTERPRISE] = {"department": "IT"}
    response = scim("PUT", f"/Users/{user_id}", body)
    assert response.status_code == 200, response.content
    grace.refresh_from_db()
    assert (grace.name, grace.level, grace.department, grace.organisation) == (
        "Grace Hopper",
        "staff",
        "IT",
        "",
    )
    response = scim(
        "PATCH", f"/Users/{user_id}", patch({"op": "replace", "value": {"active": False}})
    )
    assert response.status_code == 200, response.content
    grace.refresh_from_db()
    assert grace.status == Participant.Status.LEFT
    scim("PATCH", f"/Users/{user_id}", patch({"op": "replace", "value": {"active": True}}))
    grace.refresh_from_db()
    assert grace.status == Participant.Status.ACTIVE


def test_someone_who_left_by_themselves_is_not_brought_back(scim: Scim, programme: Any) -> None:
    user_id = scim("POST", "/Users", entra_user("a@example.org", "a@example.org")).json()["id"]
    person = only(programme)
    person.leave()
    response = scim(
        "PATCH", f"/Users/{user_id}", patch({"op": "Replace", "path": "title", "value": "staff"})
    )
    assert response.status_code == 200 and response.json()["active"] is False
    person.refresh_from_db()
    assert person.status == Participant.Status.LEFT and person.level == "staff"


def test_a_person_who_joined_by_themselves_is_taken_over(
    scim: Scim, programme: Any, make_participant: Any
) -> None:
    joined = make_participant(programme, "Self Joined", email="self@example.org")
    response = scim("POST", "/Users", entra_user("self@example.org", "SELF@example.org"))
    assert response.status_code == 201, response.content
    joined.refresh_from_db()
    assert programme.participants.count() == 1
    assert joined.provisioned.user_name == "self@example.org"
    assert joined.status == Participant.Status.ACTIVE and joined.name == "Ada Lovelace"
    # Not asked again to confirm.
    assert not OutboxMessage.objects.filter(participant=joined).exists()
    # Now provisioned: a second User with the same address is a conflict.
    response = scim("POST", "/Users", entra_user("other@example.org", "self@example.org"))
    assert response.status_code == 409 and response.json()["scimType"] == "uniqueness"


def test_people_who_left_through_provisioning_are_erased_as_the_retention_rules_say(
    scim: Scim, programme: Any, settings: Any
) -> None:
    user_id = scim("POST", "/Users", entra_user("a@example.org", "a@example.org")).json()["id"]
    scim("DELETE", f"/Users/{user_id}")
    person = only(programme)
    assert erase_expired() == 0 or programme.participants.exists()
    Participant.objects.filter(pk=person.pk).update(
        left_at=timezone.now() - dt.timedelta(days=settings.RETENTION_LEFT_DAYS + 1)
    )
    erase_expired()
    assert not programme.participants.exists()
    assert not ProvisionedUser.objects.exists()


def test_paging_and_attributes(scim: Scim) -> None:
    for n in range(5):
        scim("POST", "/Users", entra_user(f"p{n}@example.org", f"p{n}@example.org"))
    page = scim("GET", "/Users?startIndex=2&count=2&attributes=userName").json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [r["userName"] for r in page["Resources"]] == ["p1@example.org", "p2@example.org"]
    assert set(page["Resources"][0]) == {"id", "schemas", "userName"}
    empty = scim("GET", "/Users?count=0").json()
    assert empty["totalResults"] == 5 and empty.get("Resources", []) == []
    search = scim(
        "POST",
        "/Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName eq "p3@example.org" or userName eq "p4@example.org"',
        },
    ).json()
    assert search["totalResults"] == 2


def test_discovery_endpoints(scim: Scim) -> None:
    config = scim("GET", "/ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    assert config["filter"] == {"supported": True, "maxResults": 200}
    types = scim("GET", "/ResourceTypes").json()
    assert {t["name"] for t in types["Resources"]} == {"User", "Group"}
    user_schema = scim("GET", f"/Schemas/{USER}").json()
    assert {a["name"] for a in user_schema["attributes"]} == {
        "userName",
        "name",
        "displayName",
        "title",
        "active",
        "emails",
    }
    assert scim("GET", "/Schemas/urn:nothing").status_code == 404


# ---------------------------------------------------------------------------
# Refusals: a SCIM error with a clear message, and nothing changed.


def state() -> Any:
    return (
        list(Participant.objects.order_by("pk").values()),
        list(ProvisionedUser.objects.order_by("pk").values()),
        list(ProvisionedGroup.objects.order_by("pk").values()),
        OutboxMessage.objects.count(),
    )


def refused(response: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status)
    assert body["detail"]
    if scim_type:
        assert body.get("scimType") == scim_type, body
    return body


@pytest.fixture
def provisioned(scim: Scim) -> str:
    return scim("POST", "/Users", entra_user("a@example.org", "a@example.org")).json()["id"]


def test_bad_input_is_refused_and_changes_nothing(
    scim: Scim, provisioned: str, programme: Any
) -> None:
    before = state()
    cases = [
        (scim("POST", "/Users", "{not json"), 400, "invalidSyntax", "not valid JSON"),
        (scim("POST", "/Users", "[1, 2]"), 400, "invalidSyntax", "JSON object"),
        (
            scim("POST", "/Users", {**entra_user("b@example.org", "b@example.org"), "shoe": 42}),
            400,
            "invalidSyntax",
            "shoe",
        ),
        (
            scim("POST", "/Users", {**entra_user("b@x.org", "b@x.org"), "schemas": [GROUP]}),
            400,
            "invalidSyntax",
            USER,
        ),
        (
            scim(
                "POST",
                "/Users",
                {**entra_user("b@x.org", "b@x.org"), "schemas": [USER, "urn:x:y"]},
            ),
            400,
            "invalidSyntax",
            "urn:x:y",
        ),
        (scim("POST", "/Users", {"schemas": [USER]}), 400, None, "userName"),
        (scim("POST", "/Users", entra_user("b@example.org", "not-an-address")), 400, None, "email"),
        (
            scim("POST", "/Users", entra_user("A@example.org", "c@example.org")),
            409,
            "uniqueness",
            "",
        ),
        (
            scim("PATCH", f"/Users/{provisioned}", patch({"op": "Explode", "path": "title"})),
            400,
            None,
            "Explode",
        ),
        (
            scim(
                "PATCH",
                f"/Users/{provisioned}",
                patch({"op": "replace", "path": "shoeSize", "value": "44"}),
            ),
            400,
            None,
            "",
        ),
        (
            scim(
                "PATCH",
                f"/Users/{provisioned}",
                patch({"op": "replace", "path": "id", "value": "1"}),
            ),
            400,
            None,
            "",
        ),
        (
            scim("POST", "/Users", entra_user("x" * 256 + "@example.org", "b@example.org")),
            400,
            "invalidValue",
            "userName",
        ),
        (
            scim("POST", "/Groups", {"schemas": [GROUP], "displayName": "G" * 256}),
            400,
            "invalidValue",
            "displayName",
        ),
        (scim("GET", '/Users?filter=userName co "a"'), 400, "invalidFilter", "eq"),
        (scim("GET", "/Users?filter=userName eq"), 400, "invalidFilter", ""),
        (scim("GET", "/Users/00000000-0000-0000-0000-000000000000"), 404, None, "no user"),
        (scim("DELETE", "/Users/not-an-id"), 404, None, ""),
        (scim("PUT", "/Users"), 405, None, "PUT"),
        (scim("GET", "/Elephants"), 404, None, ""),
        (
            scim(
                "POST",
                "/Groups",
                {"schemas": [GROUP], "displayName": "X", "members": [{"value": "nobody"}]},
            ),
            400,
            "invalidValue",
            "nobody",
        ),
    ]
    for response, status_code, scim_type, words in cases:
        body = refused(response, status_code, scim_type)
        assert words.lower() in body["detail"].lower(), body
    assert state() == before


def test_tokens_are_checked(
    scim: Scim, programme: Any, make_programme: Any, organiser: Any
) -> None:
    other = connect(make_programme(organiser, name="Other"))
    body = entra_user("b@example.org", "b@example.org")
    before = state()
    refused(scim("POST", "/Users", body, token=""), 401)
    refused(scim("POST", "/Users", body, token="kk_scim_forged"), 401)
    # The token of another programme opens only that programme's endpoint.
    response = scim("POST", "/Users", body, token=other.token)
    assert refused(response, 401)["detail"].startswith("This token")
    assert response["WWW-Authenticate"].startswith("Bearer")
    refused(scim("GET", "/ServiceProviderConfig", token="Basic abc"), 401)
    assert state() == before
    # A revoked token opens nothing.
    connection = ScimConnection.objects.get(programme=programme)
    connection.revoke()
    refused(scim("GET", "/Users"), 401)
    assert not status(programme).token_present


def test_errors_are_translated(programme: Any) -> None:
    scim = connect(programme)
    scim.client = Client(headers={"accept-language": "de"})
    body = refused(scim("POST", "/Users", "{"), 400)
    assert "kein gültiges JSON" in body["detail"]
    # What the models refuse is said in German too, naming the attribute.
    body = refused(
        scim("POST", "/Users", {**entra_user("a@example.org", "a@example.org"), "shoe": 1}), 400
    )
    assert "Das Attribut shoe ist nicht bekannt." in body["detail"], body
    user = entra_user("a@example.org", "a@example.org")
    del user["userName"]
    body = refused(scim("POST", "/Users", user), 400)
    assert "userName" in body["detail"] and "Extra inputs" not in body["detail"], body


def test_status_for_the_connections_page(scim: Scim, programme: Any, provisioned: str) -> None:
    shown = status(programme)
    assert shown.token_present and shown.people == 1 and shown.groups == 0
    assert shown.last_used_at is not None
    assert shown.last_used_at <= timezone.now()


def test_the_connections_page_shows_the_endpoint_and_single_sign_on(
    client: Client, organiser: Any, programme: Any, scim: Scim, provisioned: str
) -> None:
    from django.urls import reverse

    from tests.support.web import login

    login(client, organiser)
    page = client.get(reverse("connections:overview", args=[programme.pk])).content.decode()
    assert "Your identity system keeps 1 person of this programme in step." in page
    assert reverse("scim:settings", args=[programme.pk]) in page
    # Single sign-on is not configured in this test: the page says who sets it up.
    assert "Not connected. The server's administrator sets up single sign-on" in page


# ---------------------------------------------------------------------------
# The organisers' page of the endpoint


def test_organisers_make_rotate_and_revoke_the_token(
    client: Client, organiser: Any, programme: Any
) -> None:
    from django.urls import reverse

    from tests.support.web import login

    login(client, organiser)
    url = reverse("scim:settings", args=[programme.pk])
    page = client.get(url).content.decode()
    assert f"/scim/v2/{programme.pk}" in page and "Make a token" in page

    made = client.post(url, {"action": "token"})
    assert made.status_code == 200
    token = made.context["token"]
    assert token.startswith("kk_scim_") and token in made.content.decode()
    connection = ScimConnection.objects.get(programme=programme)
    # Only its hash is kept, and it is not shown again.
    assert token not in json.dumps(list(ScimConnection.objects.values()), default=str)
    assert token not in client.get(url).content.decode()
    scim = Scim(programme, token)
    assert scim("GET", "/Users").status_code == 200
    assert "Last used" in client.get(url).content.decode()

    rotated = client.post(url, {"action": "token"}).context["token"]
    assert rotated != token
    refused(scim("GET", "/Users"), 401)
    assert Scim(programme, rotated)("GET", "/Users").status_code == 200

    assert client.post(url, {"action": "settings"}).status_code == 302
    connection.refresh_from_db()
    assert connection.confirm_new_people is False
    client.post(url, {"action": "settings", "confirm_new_people": "on"})
    connection.refresh_from_db()
    assert connection.confirm_new_people is True

    response = client.post(url, {"action": "revoke"})
    assert response.status_code == 302
    assert not status(programme).token_present
    refused(Scim(programme, rotated)("GET", "/Users"), 401)
    # An unknown action changes nothing.
    client.post(url, {"action": "explode"})
    assert not status(programme).token_present


def test_the_page_speaks_german(german_client: Client, organiser: Any, programme: Any) -> None:
    from django.urls import reverse

    from tests.support.web import login

    login(german_client, organiser)
    page = german_client.get(reverse("scim:settings", args=[programme.pk])).content.decode()
    assert "Automatische Bereitstellung (SCIM)" in page and "Token erstellen" in page
    assert "Neue Menschen bestätigen per E-Mail" in page


def test_a_deleted_user_provisioned_again_comes_back(programme: Any) -> None:
    scim = connect(programme, confirm_new_people=False)
    first = scim("POST", "/Users", entra_user("a@example.org", "a@example.org")).json()["id"]
    scim("DELETE", f"/Users/{first}")
    assert only(programme).status == Participant.Status.LEFT
    response = scim("POST", "/Users", entra_user("a@example.org", "a@example.org"))
    assert response.status_code == 201, response.content
    assert response.json()["id"] != first
    person = only(programme)
    assert person.status == Participant.Status.ACTIVE and person.left_at is None
    assert ProvisionedUser.objects.get().user_name == "a@example.org"
    assert scim("GET", f"/Users/{first}").status_code == 404


def test_searching_users_and_groups_at_once(scim: Scim) -> None:
    for n in range(3):
        scim("POST", "/Users", entra_user(f"s{n}@example.org", f"s{n}@example.org"))
    scim("POST", "/Groups", {"schemas": [GROUP], "displayName": "Kita"})
    request = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
    found = scim("POST", "/.search", {**request, "startIndex": 3, "count": 5}).json()
    assert found["totalResults"] == 4 and found["startIndex"] == 3
    assert [r.get("userName", r.get("displayName")) for r in found["Resources"]] == [
        "s2@example.org",
        "Kita",
    ]
    # userName is no attribute of a Group: no Group matches.
    by_name = scim("POST", "/.search", {**request, "filter": 'userName eq "s1@example.org"'})
    assert by_name.json()["totalResults"] == 1
    both = scim("POST", "/.search", {**request, "filter": 'displayName eq "Kita"'}).json()
    assert [r["schemas"] for r in both["Resources"]] == [[GROUP]]
    refused(scim("POST", "/.search", {**request, "filter": 'title co "x"'}), 400, "invalidFilter")


def test_a_user_provisioned_deactivated_is_told_when_activated(scim: Scim, programme: Any) -> None:
    body = {**entra_user("ada@example.org", "ada@example.org"), "active": False}
    response = scim("POST", "/Users", body)
    assert response.status_code == 201, response.content
    ada = only(programme)
    # Kept as someone who left, with the time, so the retention rules apply to them.
    assert ada.status == Participant.Status.LEFT and ada.left_at is not None
    assert not OutboxMessage.objects.filter(participant=ada).exists()
    user_id = response.json()["id"]
    response = scim(
        "PATCH", f"/Users/{user_id}", patch({"op": "Replace", "path": "active", "value": "True"})
    )
    assert response.status_code == 200, response.content
    ada.refresh_from_db()
    assert ada.status == Participant.Status.PENDING and ada.left_at is None
    assert OutboxMessage.objects.filter(participant=ada, kind=OutboxMessage.Kind.CONFIRM).exists()


def test_a_user_provisioned_deactivated_is_welcomed_when_activated_without_confirmation(
    programme: Any,
) -> None:
    scim = connect(programme, confirm_new_people=False)
    body = {**entra_user("ada@example.org", "ada@example.org"), "active": False}
    user_id = scim("POST", "/Users", body).json()["id"]
    scim("PATCH", f"/Users/{user_id}", patch({"op": "replace", "value": {"active": True}}))
    ada = only(programme)
    assert ada.status == Participant.Status.ACTIVE and ada.confirmed_at is not None
    assert OutboxMessage.objects.filter(participant=ada, kind=OutboxMessage.Kind.WELCOME).exists()


def test_another_programmes_endpoint_reaches_none_of_this_programmes_users_or_groups(
    scim: Scim, programme: Any, provisioned: str, make_programme: Any, organiser: Any
) -> None:
    """Programme B's valid token on B's own endpoint, with the ids of A's User and
    Group: not found, and nothing of A changes."""
    group = scim(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "Care", "members": [{"value": provisioned}]},
    )
    assert group.status_code == 201, group.content
    group_id = group.json()["id"]
    other = connect(make_programme(organiser, name="Other"))
    mine = other("POST", "/Groups", {"schemas": [GROUP], "displayName": "Theirs"}).json()["id"]
    before = state()
    for method, path, body in [
        ("GET", f"/Users/{provisioned}", None),
        ("PUT", f"/Users/{provisioned}", entra_user("x@example.org", "x@example.org")),
        ("PATCH", f"/Users/{provisioned}", patch({"op": "replace", "value": {"active": False}})),
        ("DELETE", f"/Users/{provisioned}", None),
        ("GET", f"/Groups/{group_id}", None),
        ("PATCH", f"/Groups/{group_id}", patch({"op": "add", "path": "members", "value": []})),
        ("DELETE", f"/Groups/{group_id}", None),
        # A's user put into B's own group.
        (
            "PATCH",
            f"/Groups/{mine}",
            patch({"op": "add", "path": "members", "value": [{"value": provisioned}]}),
        ),
    ]:
        response = other(method, path, body)
        assert response.status_code in (400, 404), (method, path, response.content)
    assert state() == before
    listed = other("GET", "/Users").json()
    assert listed["totalResults"] == 0
