"""Signing in with an identity provider: a real OpenID Connect provider
(oidc-provider-mock) on loopback, Kaffeeklatsch on Django's live server, and a
browser made of ``requests`` following the redirects between them.

The provider is wrapped so that it also checks PKCE (the mock accepts any
``code_verifier``) and so that a test can have it hand out ID tokens with a wrong
issuer, audience, signature, nonce or expiry, signed with its own key (or a forged
one for the signature)."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import flask
import oidc_provider_mock
import pytest
import requests
import werkzeug.serving
from authlib import jose
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session

from kaffeeklatsch import sso
from kaffeeklatsch.participants.erasure import erase_participant
from kaffeeklatsch.participants.export import export_data
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.sso import provider

CLIENT_ID = "kaffeeklatsch-test"
PASSWORD = "kaffee-und-kuchen-42"


@dataclass
class Provider:
    """The identity provider as the tests see it."""

    url: str
    # Changes to the claims of the next ID token (None: drop the claim).
    tamper: dict[str, Any] = field(default_factory=dict)
    forge_signature: bool = False
    # Another issuer announced in the discovery document.
    discovery_issuer: str | None = None
    # code -> (code_challenge, code_challenge_method), as asked for at authorization.
    challenges: dict[str, tuple[str, str]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def user(self, sub: str, **claims: Any) -> None:
        response = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10)
        assert response.status_code == 204


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _wrap(app: flask.Flask, state: Provider) -> None:
    @app.before_request
    def check_pkce() -> Any:
        request = flask.request
        if request.path != "/oauth2/token" or request.form.get("grant_type") != (
            "authorization_code"
        ):
            return None
        state.token_requests.append(dict(request.form))
        challenge = state.challenges.pop(request.form.get("code", ""), None)
        verifier = request.form.get("code_verifier", "")
        if challenge is None or challenge != (_s256(verifier), "S256"):
            return flask.jsonify(error="invalid_grant", error_description="PKCE"), 400
        return None

    @app.after_request
    def note_and_tamper(response: flask.Response) -> flask.Response:
        request = flask.request
        if request.path == "/oauth2/authorize" and request.method == "POST":
            query = parse_qs(urlsplit(response.headers.get("Location", "")).query)
            if "code" in query:
                state.challenges[query["code"][0]] = (
                    request.args.get("code_challenge", ""),
                    request.args.get("code_challenge_method", ""),
                )
        if request.path == "/.well-known/openid-configuration" and state.discovery_issuer:
            document = response.get_json()
            document["issuer"] = state.discovery_issuer
            response.set_data(flask.json.dumps(document))
        if request.path == "/oauth2/token" and response.status_code == 200:
            if state.tamper or state.forge_signature:
                body = response.get_json()
                key = flask.g.oidc_provider_mock_storage.jwk
                claims = dict(jose.jwt.decode(body["id_token"], key))
                for name, value in state.tamper.items():
                    if value is None:
                        claims.pop(name, None)
                    else:
                        claims[name] = value
                header = jose.jwt.decode(body["id_token"], key).header
                if state.forge_signature:
                    key = jose.RSAKey.generate_key(is_private=True)
                signed = jose.jwt.encode(
                    {"alg": "RS256", **({"kid": header["kid"]} if "kid" in header else {})},
                    claims,
                    key,
                ).decode()
                body["id_token"] = signed
                response.set_data(flask.json.dumps(body))
        return response


@pytest.fixture(scope="module")
def idp_server() -> Iterator[tuple[Provider, werkzeug.serving.BaseWSGIServer]]:
    app = oidc_provider_mock.app(require_nonce=True)
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    state = Provider(url=f"http://127.0.0.1:{server.server_port}")
    _wrap(app, state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield state, server
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def idp(idp_server: Any, settings: Any, transactional_db: Any) -> Iterator[Provider]:
    state, _server = idp_server
    state.tamper, state.forge_signature, state.discovery_issuer = {}, False, None
    state.challenges.clear()
    state.token_requests.clear()
    settings.SSO_ISSUER = state.url
    settings.SSO_CLIENT_ID = settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.SSO_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET = "not-so-secret"
    settings.SSO_DEPARTMENT_CLAIM = "department"
    settings.SSO_LEVEL_CLAIM = "level"
    settings.SSO_NEW_ORGANISER_DOMAINS = []
    settings.SSO_NEW_ORGANISER_GROUPS = []
    settings.SSO_REQUIRED = False
    provider.forget()
    yield state
    provider.forget()


class Browser:
    """``requests`` with a cookie jar, asking for English pages."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Accept-Language"] = "en"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else self.base + path
        return self.session.get(url, timeout=20, **kwargs)

    def post(self, path: str, data: dict[str, str] | None = None) -> requests.Response:
        url = path if path.startswith("http") else self.base + path
        data = dict(data or {})
        if url.startswith(self.base):
            data["csrfmiddlewaretoken"] = self.csrf()
        return self.session.post(url, data=data, timeout=20, headers={"Referer": url})

    def csrf(self) -> str:
        token = self.session.cookies.get("csrftoken")
        if token is None:
            self.get("/accounts/login/")
            token = self.session.cookies.get("csrftoken")
        assert token
        return token

    def start(self, path: str) -> requests.Response:
        """Starts signing in; answers the provider's page with the given user later."""
        return self.get(path)

    def authorize(self, page: requests.Response, sub: str) -> requests.Response:
        """Picks the user on the provider's page, which sends the browser back."""
        assert page.status_code == 200 and "/oauth2/authorize" in page.url, page.text[:300]
        return self.session.post(page.url, data={"sub": sub}, timeout=20)

    def callback_url(self, page: requests.Response, sub: str) -> str:
        """The answer the provider sends to Kaffeeklatsch, not followed."""
        response = self.session.post(page.url, data={"sub": sub}, timeout=20, allow_redirects=False)
        assert response.status_code == 302
        return response.headers["Location"]


@pytest.fixture
def new_browser(live_server: Any) -> Iterator[Callable[[], Browser]]:
    made: list[Browser] = []

    def make() -> Browser:
        made.append(Browser(live_server.url))
        return made[-1]

    yield make
    # No server thread is left on a kept-alive connection when the test ends.
    for one in made:
        one.session.close()


@pytest.fixture
def browser(new_browser: Callable[[], Browser]) -> Browser:
    return new_browser()


def signed_in_users() -> set[int]:
    found = set()
    for session in Session.objects.all():
        data = session.get_decoded()
        if "_auth_user_id" in data:
            found.add(int(data["_auth_user_id"]))
    return found


def signed_in_participants() -> set[int]:
    return {
        data["participant_id"]
        for data in (s.get_decoded() for s in Session.objects.all())
        if "participant_id" in data
    }


@pytest.fixture
def olga(transactional_db: Any) -> Any:
    return get_user_model().objects.create_user("olga", email="olga@example.org", password=PASSWORD)


def organiser_sign_in(browser: Browser, idp: Provider, sub: str = "olga-1") -> requests.Response:
    page = browser.start("/sso/sign-in/")
    return browser.authorize(page, sub)


# ---------------------------------------------------------------------------
# Organisers


def test_an_organiser_signs_in_with_the_code_flow_pkce_state_and_nonce(
    idp: Provider, browser: Browser, olga: Any
) -> None:
    idp.user("olga-1", email="Olga@example.org", email_verified=True, name="Olga Berg")
    page = browser.start("/sso/sign-in/?next=/programmes/new/")
    asked = parse_qs(urlsplit(page.url).query)
    assert asked["response_type"] == ["code"]
    assert asked["code_challenge_method"] == ["S256"]
    assert len(asked["state"][0]) >= 32 and len(asked["nonce"][0]) >= 32
    assert asked["client_id"] == [CLIENT_ID]
    assert "email" in asked["scope"][0].split()

    done = browser.authorize(page, "olga-1")
    assert done.status_code == 200
    assert urlsplit(done.url).path == "/programmes/new/"
    assert signed_in_users() == {olga.pk}
    # The provider got the PKCE verifier of the challenge (the wrapper refuses others).
    (exchange,) = idp.token_requests
    assert len(exchange["code_verifier"]) >= 43
    status = sso.status()
    assert (status.configured, status.issuer, status.required) == (True, idp.url, False)
    assert status.last_sign_in == status.last_organiser_sign_in is not None
    # The connections page of a programme of hers says so.
    from kaffeeklatsch.programmes.models import Organiser, Programme

    programme = Programme.objects.create(name="Haus A")
    Organiser.objects.create(programme=programme, user=olga, role=Organiser.Role.OWNER)
    page = browser.get(f"/programmes/{programme.pk}/connections/").text
    assert f"Organisers sign in with the identity provider {idp.url}." in page
    assert "Last sign-in through the identity provider:" in page and "never" not in page


def test_a_wrong_pkce_verifier_is_refused_by_the_provider_and_nobody_signed_in(
    idp: Provider, browser: Browser, olga: Any
) -> None:
    idp.user("olga-1", email="olga@example.org", email_verified=True)
    page = browser.start("/sso/sign-in/")
    # Someone who got hold of the code but not the browser's verifier.
    callback = browser.callback_url(page, "olga-1")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    idp.challenges[code] = (_s256("another-verifier-" + "x" * 40), "S256")
    refused = browser.get(callback)
    assert refused.status_code == 400
    assert "The identity provider did not confirm the sign-in." in refused.text
    assert signed_in_users() == set()


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (
            {"iss": "https://login.evil.example"},
            "The sign-in was issued by another identity provider than the one configured.",
        ),
        ({"aud": "another-application"}, "The sign-in was issued for another application."),
        (
            {"exp": int(time.time()) - 600, "iat": int(time.time()) - 4200},
            "The sign-in has expired. Please start again.",
        ),
        ({"nonce": "a-nonce-of-another-sign-in"}, "it may have been replayed"),
        ({"nonce": None}, "it may have been replayed"),
    ],
    ids=["issuer", "audience", "expired", "nonce", "no-nonce"],
)
def test_an_id_token_with_wrong_claims_is_refused(
    idp: Provider, browser: Browser, olga: Any, tamper: dict[str, Any], message: str
) -> None:
    idp.user("olga-1", email="olga@example.org", email_verified=True)
    idp.tamper = tamper
    refused = organiser_sign_in(browser, idp)
    assert refused.status_code == 400
    assert message in refused.text
    assert "Nobody was signed in." in refused.text
    assert signed_in_users() == set()


def test_an_id_token_signed_with_another_key_is_refused(
    idp: Provider, browser: Browser, olga: Any
) -> None:
    idp.user("olga-1", email="olga@example.org", email_verified=True)
    idp.forge_signature = True
    refused = organiser_sign_in(browser, idp)
    assert refused.status_code == 400
    assert "The signature of the sign-in is not valid." in refused.text
    assert signed_in_users() == set()


def test_the_refusal_is_translated(idp: Provider, browser: Browser, olga: Any) -> None:
    idp.user("olga-1", email="olga@example.org", email_verified=True)
    idp.tamper = {"aud": "another-application"}
    browser.session.headers["Accept-Language"] = "de"
    refused = organiser_sign_in(browser, idp)
    assert refused.status_code == 400
    assert "Die Anmeldung wurde für eine andere Anwendung ausgestellt." in refused.text
    assert "Niemand wurde angemeldet." in refused.text


def test_a_replayed_callback_is_refused(idp: Provider, browser: Browser, olga: Any) -> None:
    idp.user("olga-1", email="olga@example.org", email_verified=True)
    page = browser.start("/sso/sign-in/")
    callback = browser.callback_url(page, "olga-1")
    assert browser.get(callback).status_code == 200
    browser.post("/accounts/logout/")
    assert signed_in_users() == set()
    again = browser.get(callback)
    assert again.status_code == 400
    assert "already used" in again.text
    assert signed_in_users() == set()


def test_a_callback_of_another_browser_or_a_forged_one_is_refused(
    idp: Provider, new_browser: Callable[[], Browser], olga: Any
) -> None:
    idp.user("olga-1", email="olga@example.org", email_verified=True)
    attacker, victim = new_browser(), new_browser()
    page = attacker.start("/sso/sign-in/")
    callback = attacker.callback_url(page, "olga-1")
    # Login CSRF: the attacker's answer opened in the victim's browser.
    assert victim.get(callback).status_code == 400
    forged = victim.get("/sso/callback/?code=made-up&state=made-up")
    assert forged.status_code == 400
    assert "does not belong to a sign-in started in this browser" in forged.text
    assert victim.get("/sso/callback/").status_code == 400
    assert signed_in_users() == set()
    assert idp.token_requests == []


def test_a_denied_sign_in_at_the_provider_signs_nobody_in(
    idp: Provider, browser: Browser, olga: Any
) -> None:
    page = browser.start("/sso/sign-in/")
    denied = browser.session.post(page.url, data={"action": "deny"}, timeout=20)
    assert urlsplit(denied.url).path == "/sso/callback/"
    assert "access_denied" in denied.url
    assert denied.status_code == 400
    assert "Nobody was signed in." in denied.text
    assert signed_in_users() == set()
    assert idp.token_requests == []


def test_no_account_is_made_unless_the_configuration_allows_it(
    idp: Provider, browser: Browser, new_browser: Callable[[], Browser], settings: Any
) -> None:
    idp.user("nina-1", email="nina@example.org", email_verified=True, name="Nina Kraus")
    refused = organiser_sign_in(browser, idp, "nina-1")
    assert refused.status_code == 400
    assert "There is no organiser account with your e-mail address" in refused.text
    assert not get_user_model().objects.exists()

    settings.SSO_NEW_ORGANISER_GROUPS = ["coffee-organisers"]
    idp.user("nina-1", email="nina@example.org", email_verified=True, groups=["staff"])
    assert organiser_sign_in(new_browser(), idp, "nina-1").status_code == 400
    assert not get_user_model().objects.exists()

    idp.user(
        "nina-1",
        email="nina@example.org",
        email_verified=True,
        name="Nina Kraus",
        groups=["staff", "coffee-organisers"],
    )
    done = organiser_sign_in(new_browser(), idp, "nina-1")
    assert done.status_code == 200 and urlsplit(done.url).path == "/programmes/"
    user = get_user_model().objects.get()
    assert (user.email, user.first_name, user.last_name) == ("nina@example.org", "Nina", "Kraus")
    assert not user.has_usable_password()
    assert signed_in_users() == {user.pk}


def test_an_allowed_domain_makes_an_account(idp: Provider, browser: Browser, settings: Any) -> None:
    settings.SSO_NEW_ORGANISER_DOMAINS = ["example.org"]
    idp.user("nina-1", email="nina@example.org", email_verified=True)
    assert organiser_sign_in(browser, idp, "nina-1").status_code == 200
    assert get_user_model().objects.get().email == "nina@example.org"


def test_an_unverified_email_is_refused(idp: Provider, browser: Browser, olga: Any) -> None:
    idp.user("olga-1", email="olga@example.org", email_verified=False)
    refused = organiser_sign_in(browser, idp)
    assert refused.status_code == 400
    assert "no verified e-mail address" in refused.text
    assert signed_in_users() == set()


def test_sign_out_ends_the_session_and_signs_out_at_the_provider(
    idp: Provider, browser: Browser, olga: Any
) -> None:
    idp.user("olga-1", email="olga@example.org", email_verified=True)
    assert organiser_sign_in(browser, idp).status_code == 200
    out = browser.session.post(
        browser.base + "/accounts/logout/",
        data={"csrfmiddlewaretoken": browser.csrf()},
        headers={"Referer": browser.base + "/programmes/"},
        allow_redirects=False,
        timeout=20,
    )
    # A page of ours that moves on to the provider (a redirect in answer to the form
    # would be blocked by the page's form-action policy; tests/sso/test_sso_browser.py).
    assert out.status_code == 200
    refresh, location = out.headers["Refresh"].split(";url=", 1)
    assert refresh == "0"
    assert f'href="{html.escape(location)}"' in out.text
    target = urlsplit(location)
    assert f"{target.scheme}://{target.netloc}" == idp.url
    assert target.path == "/oauth2/end_session"
    query = parse_qs(target.query)
    assert query["id_token_hint"][0].count(".") == 2
    assert query["post_logout_redirect_uri"] == [browser.base + "/"]
    assert signed_in_users() == set()
    # The provider's page signs out there and sends the browser home.
    page = browser.get(location)
    assert page.status_code == 200
    back = browser.session.post(
        idp.url + "/oauth2/end_session/confirm",
        data={"redirect_uri": query["post_logout_redirect_uri"][0]},
        timeout=20,
    )
    assert back.status_code == 200 and back.url == browser.base + "/"


def test_a_password_sign_out_stays_local(idp: Provider, browser: Browser, olga: Any) -> None:
    signed = browser.post("/accounts/login/", {"username": "olga", "password": PASSWORD})
    assert urlsplit(signed.url).path == "/programmes/"
    assert signed_in_users() == {olga.pk}
    out = browser.post("/accounts/logout/")
    assert out.url == browser.base + "/"
    assert signed_in_users() == set()


def test_required_sso_offers_no_password_form(
    idp: Provider,
    browser: Browser,
    new_browser: Callable[[], Browser],
    olga: Any,
    settings: Any,
) -> None:
    page = browser.get("/accounts/login/")
    assert 'name="password"' in page.text and "/sso/sign-in/" in page.text
    settings.SSO_REQUIRED = True
    assert sso.status().required
    page = browser.get("/accounts/login/")
    assert 'name="password"' not in page.text
    assert "passwords are switched off" in page.text
    assert "/sso/sign-in/" in page.text
    tried = browser.post("/accounts/login/", {"username": "olga", "password": PASSWORD})
    assert "Passwords are switched off on this server." in tried.text
    assert signed_in_users() == set()
    # Not through the admin's sign-in page either.
    olga.is_staff = olga.is_superuser = True
    olga.save()
    browser.post("/admin/login/", {"username": "olga", "password": PASSWORD})
    assert signed_in_users() == set()
    german = new_browser()
    german.session.headers["Accept-Language"] = "de"
    assert "Passwörter sind abgeschaltet" in german.get("/accounts/login/").text


def test_an_unreachable_provider_gets_a_clear_page(
    idp: Provider, browser: Browser, settings: Any
) -> None:
    settings.SSO_ISSUER = "http://127.0.0.1:9"
    provider.forget()
    page = browser.get("/sso/sign-in/")
    assert page.status_code == 503
    assert "The identity provider cannot be reached" in page.text


def test_a_discovery_document_of_another_issuer_is_not_used(
    idp: Provider, browser: Browser, settings: Any
) -> None:
    idp.discovery_issuer = "https://login.evil.example"
    page = browser.get("/sso/sign-in/")
    assert page.status_code == 503
    assert "not configured correctly" in page.text
    idp.discovery_issuer = None
    provider.forget()
    assert browser.get("/sso/sign-in/").status_code == 200


def test_without_configuration_sso_is_off(browser: Browser, settings: Any, db: Any) -> None:
    settings.SSO_ISSUER = ""
    provider.forget()
    assert browser.get("/sso/sign-in/").status_code == 404
    assert browser.get("/sso/callback/?code=x&state=y").status_code == 404
    page = browser.get("/accounts/login/")
    assert "/sso/" not in page.text and 'name="password"' in page.text
    assert sso.status() == sso.Status(
        configured=False,
        issuer="",
        required=False,
        participants=False,
        last_organiser_sign_in=None,
        last_participant_sign_in=None,
    )


def test_the_first_sign_in_binds_the_account_at_the_provider(
    idp: Provider, browser: Browser, new_browser: Callable[[], Browser], olga: Any
) -> None:
    from kaffeeklatsch.sso.models import OrganiserIdentity

    idp.user("olga-1", email="olga@example.org", email_verified=True)
    assert organiser_sign_in(browser, idp).status_code == 200
    identity = OrganiserIdentity.objects.get()
    assert (identity.user, identity.issuer, identity.subject) == (olga, idp.url, "olga-1")

    # Someone else at the provider who got olga's address (the "nOAuth" takeover).
    idp.user("mallory-7", email="olga@example.org", email_verified=True)
    refused = organiser_sign_in(new_browser(), idp, "mallory-7")
    assert refused.status_code == 400
    assert "is linked to another account at the identity provider" in refused.text
    assert "Nobody was signed in." in refused.text
    assert signed_in_users() == {olga.pk}
    assert OrganiserIdentity.objects.count() == 1

    # From now on the binding finds the account, whatever the address says.
    idp.user("olga-1", email="olga.berg@example.net", email_verified=False)
    again = new_browser()
    assert organiser_sign_in(again, idp).status_code == 200
    assert len(signed_in_users()) == 1 and signed_in_users() == {olga.pk}
    olga.is_active = False
    olga.save()
    assert "There is no organiser account" in organiser_sign_in(new_browser(), idp).text


def test_a_binding_refused_in_german(
    idp: Provider, new_browser: Callable[[], Browser], olga: Any
) -> None:
    from kaffeeklatsch.sso.models import OrganiserIdentity

    OrganiserIdentity.objects.create(user=olga, issuer=idp.url, subject="olga-1")
    idp.user("mallory-7", email="olga@example.org", email_verified=True)
    german = new_browser()
    german.session.headers["Accept-Language"] = "de"
    refused = organiser_sign_in(german, idp, "mallory-7")
    assert refused.status_code == 400
    assert "mit einem anderen Konto beim Identitätsanbieter verknüpft" in refused.text
    assert signed_in_users() == set()


@pytest.mark.parametrize("right", ["is_staff", "is_superuser"])
def test_an_administrator_account_is_never_linked_by_email(
    idp: Provider, new_browser: Callable[[], Browser], olga: Any, right: str
) -> None:
    from django.core.management import call_command

    from kaffeeklatsch.sso.models import OrganiserIdentity

    setattr(olga, right, True)
    olga.save()
    idp.user("olga-1", email="olga@example.org", email_verified=True)
    refused = organiser_sign_in(new_browser(), idp)
    assert refused.status_code == 400
    assert "has administrator rights and is linked to the identity provider only" in (refused.text)
    assert signed_in_users() == set()
    assert not OrganiserIdentity.objects.exists()

    # The administrator links it; then the sign-in works.
    call_command("sso_link", "olga", "olga-1", stdout=io.StringIO())
    assert organiser_sign_in(new_browser(), idp).status_code == 200
    assert signed_in_users() == {olga.pk}
    # And unlinks it.
    call_command("sso_link", "olga", "--unlink", stdout=io.StringIO())
    assert not OrganiserIdentity.objects.exists()
    assert organiser_sign_in(new_browser(), idp).status_code == 400


def test_the_link_command_refuses_what_it_cannot_do(idp: Provider, olga: Any) -> None:
    from django.core.management import CommandError, call_command

    from kaffeeklatsch.sso.models import OrganiserIdentity

    bob = get_user_model().objects.create_user("bob", email="bob@example.org")
    OrganiserIdentity.objects.create(user=bob, issuer=idp.url, subject="bob-1")
    with pytest.raises(CommandError, match="no account 'nobody'"):
        call_command("sso_link", "nobody", "x-1")
    with pytest.raises(CommandError, match="linked to bob already"):
        call_command("sso_link", "olga", "bob-1")
    with pytest.raises(CommandError, match="give the subject identifier"):
        call_command("sso_link", "olga")
    with pytest.raises(CommandError, match="is linked at .* already"):
        call_command("sso_link", "bob", "bob-2")
    with pytest.raises(CommandError, match="is not linked"):
        call_command("sso_link", "olga", "--unlink")
    assert list(OrganiserIdentity.objects.values_list("user__username", "subject")) == [
        ("bob", "bob-1")
    ]


def test_the_subject_claim_can_be_entras_oid(
    idp: Provider, new_browser: Callable[[], Browser], olga: Any, settings: Any
) -> None:
    from kaffeeklatsch.sso.models import OrganiserIdentity

    settings.SSO_SUBJECT_CLAIM = "oid"
    idp.user("olga-1", email="olga@example.org", email_verified=True)
    refused = organiser_sign_in(new_browser(), idp)
    assert refused.status_code == 400
    assert "The identity provider gave no identifier of your account." in refused.text
    assert signed_in_users() == set()

    oid = "6f1c2a4e-0b7d-4c1e-9a53-2f0d8e7b1c90"
    idp.user("olga-1", email="olga@example.org", email_verified=True, oid=oid)
    assert organiser_sign_in(new_browser(), idp).status_code == 200
    assert OrganiserIdentity.objects.get().subject == oid


def test_the_connections_page_counts_the_organisers_of_the_programme_only(
    idp: Provider, browser: Browser, olga: Any
) -> None:
    from kaffeeklatsch.programmes.models import Organiser, Programme

    bob = get_user_model().objects.create_user("bob", email="bob@example.org", password=PASSWORD)
    hers, his = Programme.objects.create(name="Haus A"), Programme.objects.create(name="Haus B")
    Organiser.objects.create(programme=hers, user=olga, role=Organiser.Role.OWNER)
    Organiser.objects.create(programme=his, user=bob, role=Organiser.Role.OWNER)
    idp.user("olga-1", email="olga@example.org", email_verified=True)
    assert organiser_sign_in(browser, idp).status_code == 200

    assert sso.status(hers).last_organiser_sign_in is not None
    assert sso.status(his).last_organiser_sign_in is None
    assert sso.status(his).last_sign_in is None
    # The server as a whole.
    assert sso.status().last_organiser_sign_in == sso.status(hers).last_organiser_sign_in
    page = browser.get(f"/programmes/{hers.pk}/connections/").text
    assert "Last sign-in through the identity provider:" in page and "never" not in page
    bobs = Browser(browser.base)
    try:
        bobs.post("/accounts/login/", {"username": "bob", "password": PASSWORD})
        page = bobs.get(f"/programmes/{his.pk}/connections/").text
        assert "Last sign-in through the identity provider:" in page and "never" in page
    finally:
        bobs.session.close()


def test_the_library_keeps_state_nonce_and_verifier_as_the_callback_reads_them(
    idp: Provider, browser: Browser
) -> None:
    """The start view reads the state from the redirect, the callback reads the
    library's "oidc_states" session entry: a change of mozilla-django-oidc fails here."""
    from importlib.metadata import version

    from kaffeeklatsch.sso.views import PURPOSES

    assert version("mozilla-django-oidc") == "5.0.2"
    page = browser.start("/sso/participants/sign-in/")
    asked = parse_qs(urlsplit(page.url).query)
    state, nonce = asked["state"][0], asked["nonce"][0]
    (session,) = Session.objects.all()
    data = session.get_decoded()
    entry = data["oidc_states"][state]
    assert entry["nonce"] == nonce
    assert _s256(entry["code_verifier"]) == asked["code_challenge"][0]
    assert data[PURPOSES] == {state: "participant"}


# ---------------------------------------------------------------------------
# Participants


@pytest.fixture
def programmes(olga: Any) -> tuple[Any, Any]:
    from kaffeeklatsch.programmes.models import Organiser, Programme

    made = []
    for name, sso_sign_in in (("Haus A", True), ("Haus B", False)):
        programme = Programme.objects.create(name=name, sso_sign_in=sso_sign_in)
        Organiser.objects.create(programme=programme, user=olga, role=Organiser.Role.OWNER)
        made.append(programme)
    return made[0], made[1]


def participant(programme: Any, email: str, **fields: Any) -> Participant:
    fields.setdefault("status", Participant.Status.ACTIVE)
    return Participant.objects.create(
        programme=programme, name="Paula", email=email, language="en", **fields
    )


def participant_sign_in(browser: Browser, sub: str) -> requests.Response:
    page = browser.get("/sign-in/")
    assert "/sso/participants/sign-in/" in page.text
    return browser.authorize(browser.start("/sso/participants/sign-in/"), sub)


def test_a_participant_signs_in_by_the_verified_email_within_the_programme(
    idp: Provider, browser: Browser, programmes: Any
) -> None:
    with_sso, without = programmes
    paula = participant(with_sso, "paula@example.org", department="Care")
    participant(without, "paula@example.org")
    idp.user(
        "paula-1",
        email="paula@example.org",
        email_verified=True,
        name="Paula Graf",
        department="Kita",
        level="team lead",
    )
    done = participant_sign_in(browser, "paula-1")
    assert done.status_code == 200 and urlsplit(done.url).path == "/me/"
    assert signed_in_participants() == {paula.pk}
    paula.refresh_from_db()
    assert (paula.name, paula.department, paula.level) == ("Paula Graf", "Kita", "team lead")
    assert sso.status(with_sso).last_participant_sign_in is not None
    assert sso.status(without).last_participant_sign_in is None
    assert sso.status(with_sso).participants and not sso.status(without).participants

    out = browser.session.post(
        browser.base + "/me/sign-out/",
        data={"csrfmiddlewaretoken": browser.csrf()},
        headers={"Referer": browser.base + "/me/"},
        allow_redirects=False,
        timeout=20,
    )
    assert out.status_code == 200
    assert urlsplit(out.headers["Refresh"].split(";url=", 1)[1]).path == "/oauth2/end_session"
    assert signed_in_participants() == set()


def test_a_pending_sign_up_is_confirmed_by_signing_in(
    idp: Provider, browser: Browser, programmes: Any
) -> None:
    paula = participant(programmes[0], "paula@example.org", status=Participant.Status.PENDING)
    idp.user("paula-1", email="paula@example.org", email_verified=True)
    done = participant_sign_in(browser, "paula-1")
    assert "You are taking part now." in done.text
    paula.refresh_from_db()
    assert paula.status == Participant.Status.ACTIVE and paula.confirmed_at is not None


def test_a_participant_of_a_programme_without_sso_is_not_signed_in(
    idp: Provider, browser: Browser, programmes: Any
) -> None:
    participant(programmes[1], "paula@example.org")
    participant(programmes[0], "paula@example.org", status=Participant.Status.LEFT)
    idp.user("paula-1", email="paula@example.org", email_verified=True, name="Someone Else")
    refused = participant_sign_in(browser, "paula-1")
    assert refused.status_code == 400
    assert "has a participant with your e-mail address" in refused.text
    assert signed_in_participants() == set()
    assert set(Participant.objects.values_list("name", flat=True)) == {"Paula"}


def test_a_participant_of_several_programmes_chooses_one(
    idp: Provider, browser: Browser, programmes: Any
) -> None:
    from kaffeeklatsch.programmes.models import Programme

    third = Programme.objects.create(name="Haus C", sso_sign_in=True)
    participant(programmes[0], "paula@example.org")
    in_third = participant(third, "paula@example.org")
    idp.user("paula-1", email="paula@example.org", email_verified=True)
    choice = participant_sign_in(browser, "paula-1")
    assert urlsplit(choice.url).path == "/sso/participants/choose/"
    assert "Haus A" in choice.text and "Haus C" in choice.text and "Haus B" not in choice.text
    assert signed_in_participants() == set()
    # Someone else's participant id is not among the choices.
    stranger = participant(programmes[1], "stranger@example.org")
    wrong = browser.post("/sso/participants/choose/", {"participant": str(stranger.pk)})
    assert "Please choose one of your programmes." in wrong.text
    assert signed_in_participants() == set()
    done = browser.post("/sso/participants/choose/", {"participant": str(in_third.pk)})
    assert urlsplit(done.url).path == "/me/"
    assert signed_in_participants() == {in_third.pk}
    # The choice is used once.
    again = browser.get("/sso/participants/choose/")
    assert urlsplit(again.url).path == "/sign-in/"


def test_a_participant_is_bound_at_the_first_sign_in(
    idp: Provider, new_browser: Callable[[], Browser], programmes: Any
) -> None:
    from kaffeeklatsch.sso.models import ParticipantIdentity

    paula = participant(programmes[0], "paula@example.org")
    idp.user("paula-1", email="paula@example.org", email_verified=True)
    assert urlsplit(participant_sign_in(new_browser(), "paula-1").url).path == "/me/"
    identity = ParticipantIdentity.objects.get()
    assert (identity.participant, identity.issuer, identity.subject) == (
        paula,
        idp.url,
        "paula-1",
    )
    # Part of her own download, and deleted with her.
    assert export_data(paula)["signs_in_with"]["subject"] == "paula-1"
    assert export_data(participant(programmes[1], "paula@example.org"))["signs_in_with"] is None

    # Another account at the provider with her address is refused.
    idp.user("mallory-7", email="paula@example.org", email_verified=True)
    refused = participant_sign_in(new_browser(), "mallory-7")
    assert refused.status_code == 400
    assert "Your participation is linked to another account" in refused.text
    assert signed_in_participants() == {paula.pk}

    # Her binding finds her after her address changed at the provider.
    idp.user("paula-1", email="paula.graf@example.net", email_verified=True)
    assert urlsplit(participant_sign_in(new_browser(), "paula-1").url).path == "/me/"
    assert signed_in_participants() == {paula.pk}
    assert ParticipantIdentity.objects.count() == 1
    erase_participant(paula)
    assert not ParticipantIdentity.objects.exists()


def test_a_participant_bound_elsewhere_is_no_choice(
    idp: Provider, browser: Browser, programmes: Any
) -> None:
    from kaffeeklatsch.programmes.models import Programme
    from kaffeeklatsch.sso.models import ParticipantIdentity

    third = Programme.objects.create(name="Haus C", sso_sign_in=True)
    in_first = participant(programmes[0], "paula@example.org")
    in_third = participant(third, "paula@example.org")
    ParticipantIdentity.objects.create(participant=in_third, issuer=idp.url, subject="other-2")
    idp.user("paula-1", email="paula@example.org", email_verified=True)
    done = participant_sign_in(browser, "paula-1")
    assert urlsplit(done.url).path == "/me/"
    assert signed_in_participants() == {in_first.pk}
    assert ParticipantIdentity.objects.get(participant=in_third).subject == "other-2"
    assert ParticipantIdentity.objects.get(participant=in_first).subject == "paula-1"


def test_no_link_by_email_for_a_programme_with_sso(
    idp: Provider, browser: Browser, programmes: Any
) -> None:
    from kaffeeklatsch.notifications.models import OutboxMessage

    participant(programmes[0], "paula@example.org")
    other = participant(programmes[1], "paula@example.org")
    sent = browser.post("/sign-in/", {"email": "paula@example.org"})
    assert sent.status_code == 200
    assert list(OutboxMessage.objects.values_list("participant", flat=True)) == [other.pk]


def test_a_programme_can_let_participants_sign_in_only_when_sso_is_configured(
    idp: Provider, browser: Browser, programmes: Any, settings: Any
) -> None:
    _with_sso, without = programmes
    browser.post("/accounts/login/", {"username": "olga", "password": PASSWORD})
    form = browser.get(f"/programmes/{without.pk}/edit/")
    assert 'name="sso_sign_in"' in form.text
    settings.SSO_ISSUER = ""
    provider.forget()
    data = {
        "name": "Haus B",
        "language": "de",
        "cadence": "monthly",
        "weekday": "1",
        "group_size": "2",
        "repeat_window": "3",
        "mode": "either",
        "weight_interests": "1",
        "weight_department": "1",
        "weight_level": "1",
        "weight_organisation": "1",
        "sso_sign_in": "on",
    }
    refused = browser.post(f"/programmes/{without.pk}/edit/", data)
    assert "Single sign-on is not set up on this server yet" in refused.text
    without.refresh_from_db()
    assert not without.sso_sign_in


# ---------------------------------------------------------------------------
# Configuration


def _sso_settings(env: dict[str, str], tmp_path: Any) -> dict[str, Any]:
    program = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'issuer': s.SSO_ISSUER, 'client': s.OIDC_RP_CLIENT_ID, 'required': s.SSO_REQUIRED,"
        "'domains': s.SSO_NEW_ORGANISER_DOMAINS, 'groups': s.SSO_NEW_ORGANISER_GROUPS,"
        "'verified': s.SSO_REQUIRE_VERIFIED_EMAIL, 'pkce': s.OIDC_USE_PKCE,"
        "'department': s.SSO_DEPARTMENT_CLAIM}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KAFFEEKLATSCH_")}
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "kaffeeklatsch.settings",
            "KAFFEEKLATSCH_DATA_DIR": str(tmp_path),
        }
    )
    clean.update(env)
    out = subprocess.run(
        [sys.executable, "-c", program], env=clean, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_sso_is_off_unless_configured_and_reads_its_variables(tmp_path: Any) -> None:
    assert _sso_settings({}, tmp_path) == {
        "issuer": "",
        "client": "",
        "required": False,
        "domains": [],
        "groups": [],
        "verified": True,
        "pkce": True,
        "department": "",
    }
    assert _sso_settings(
        {
            "KAFFEEKLATSCH_OIDC_ISSUER": "https://keycloak.example.org/realms/staff/",
            "KAFFEEKLATSCH_OIDC_CLIENT_ID": "kaffeeklatsch",
            "KAFFEEKLATSCH_OIDC_REQUIRED": "yes",
            "KAFFEEKLATSCH_OIDC_NEW_ORGANISER_DOMAINS": "@Example.org, verein.example ",
            "KAFFEEKLATSCH_OIDC_NEW_ORGANISER_GROUPS": "/coffee-organisers",
            "KAFFEEKLATSCH_OIDC_REQUIRE_VERIFIED_EMAIL": "false",
            "KAFFEEKLATSCH_OIDC_DEPARTMENT_CLAIM": "department",
        },
        tmp_path,
    ) == {
        "issuer": "https://keycloak.example.org/realms/staff",
        "client": "kaffeeklatsch",
        "required": True,
        "domains": ["example.org", "verein.example"],
        "groups": ["/coffee-organisers"],
        "verified": False,
        "pkce": True,
        "department": "department",
    }
