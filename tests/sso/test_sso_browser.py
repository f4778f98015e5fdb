"""Single sign-out in a real browser (Debian's Chromium driven by Playwright) against
OpenID Connect providers on loopback.

Sign-out is a form, and the page's Content-Security-Policy (``form-action 'self'``)
makes Chromium refuse a redirect to another site in answer to a form: the browser
has to reach the provider's end-session endpoint in another way, with the policy
unchanged.

oidc-provider-mock (the provider of tests/sso/test_sso.py) keeps no session of its
own: its authorization page asks for the user every time, so "the next sign-in asks
again" cannot tell a provider session that ended from one that never was. With it,
the first tests show the browser lands on the end-session endpoint with the ID token
as hint, the client and where to come back, and comes home signed out.

The last test runs panva's oidc-provider (OpenID certified, on Node.js, in
tests/support/oidc_provider/), which keeps a login session in its own cookie: signing in
again after a sign-out here only is silent (the control that shows the test can
tell), and after "Log out" the provider asks for the password again.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session

from kaffeeklatsch.front.security import CONTENT_SECURITY_POLICY
from kaffeeklatsch.sso import provider
from tests.sso.test_sso import (  # noqa: F401 (fixtures)
    CLIENT_ID,
    PASSWORD,
    Provider,
    idp,
    idp_server,
    olga,
    signed_in_users,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_at_the_provider(page: Any, base: str, provider: Provider, sub: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_role("link", name="Sign in with your organisation's account").click()
    page.wait_for_url(provider.url + "/oauth2/authorize*")
    page.locator('input[name="sub"]').fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(base + "/programmes/")


def test_sign_out_reaches_the_provider_in_a_browser(
    browser: Any,
    live_server: Any,
    idp: Provider,  # noqa: F811
    olga: Any,  # noqa: F811
) -> None:
    idp.user("olga-1", email="olga@example.org", email_verified=True)
    base = live_server.url
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    sign_in_at_the_provider(page, base, idp, "olga-1")
    assert signed_in_users() == {olga.pk}

    # Every page of ours keeps its policy, the page after sign-out included.
    with page.expect_response(base + "/accounts/logout/") as answer:
        page.get_by_role("button", name="Log out").click()
    assert answer.value.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page.wait_for_url(idp.url + "/oauth2/end_session*")
    assert signed_in_users() == set()

    target = urlsplit(page.url)
    query = parse_qs(target.query)
    assert query["id_token_hint"][0].count(".") == 2
    assert query["client_id"] == [CLIENT_ID]
    assert query["post_logout_redirect_uri"] == [base + "/"]

    # The provider ends its session and sends the browser home.
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(base + "/")
    page.get_by_role("link", name="Organisers").wait_for()

    # Signing in again goes through the provider's page, which asks who signs in.
    page.goto(base + "/accounts/login/")
    page.get_by_role("link", name="Sign in with your organisation's account").click()
    page.wait_for_url(idp.url + "/oauth2/authorize*")
    assert page.locator('input[name="sub"]').is_visible()
    assert signed_in_users() == set()

    assert problems == []
    context.close()


def test_the_answer_to_sign_out_moves_on_and_offers_a_link(
    browser: Any,
    live_server: Any,
    idp: Provider,  # noqa: F811
    olga: Any,  # noqa: F811
) -> None:
    idp.user("olga-1", email="olga@example.org", email_verified=True)
    base = live_server.url
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in_at_the_provider(page, base, idp, "olga-1")
    # The answer to the sign-out, read without following the Refresh.
    token = page.locator('input[name="csrfmiddlewaretoken"]').first.get_attribute("value")
    answer = context.request.post(
        base + "/accounts/logout/",
        form={"csrfmiddlewaretoken": token},
        headers={"Referer": base + "/programmes/", "Accept-Language": "en"},
        max_redirects=0,
    )
    assert answer.status == 200
    assert answer.headers["refresh"].startswith("0;url=" + idp.url + "/oauth2/end_session?")
    assert "no-store" in answer.headers["cache-control"]
    assert 'id="end-session"' in answer.text()
    assert "Sign out at your organisation" in answer.text()
    context.close()


# ---------------------------------------------------------------------------
# A provider with a session of its own: panva's oidc-provider on Node.js

NODE_PROVIDER = Path(__file__).parents[1] / "support" / "oidc_provider"
PROVIDER_LOGIN = "olga.example"
PROVIDER_PASSWORD = "at-the-provider-" + PASSWORD


@dataclass(frozen=True)
class SessionProvider:
    """The Node.js provider as the tests see it: its issuer, and the paths of its
    login form and of its end-session endpoint."""

    url: str

    @property
    def login_form(self) -> str:
        return self.url + "/interaction/*"

    @property
    def end_session(self) -> str:
        return self.url + "/session/end*"


@pytest.fixture(scope="module")
def node_provider(live_server: Any, tmp_path_factory: Any) -> Iterator[SessionProvider]:
    node = shutil.which("node")
    assert node, "Node.js is needed for this test: scripts/install.sh --test installs it"
    assert (NODE_PROVIDER / "node_modules" / "oidc-provider").is_dir(), (
        "oidc-provider is not installed: run scripts/install.sh --test"
    )
    # Its messages go to a file: a pipe nobody reads while the tests run could fill.
    errors = tmp_path_factory.mktemp("oidc_provider") / "stderr.txt"
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            [
                node,
                str(NODE_PROVIDER / "provider.js"),
                "--port=0",
                f"--client-id={CLIENT_ID}",
                "--client-secret=not-so-secret",
                f"--client-base={live_server.url}",
                f"--login={PROVIDER_LOGIN}",
                f"--password={PROVIDER_PASSWORD}",
                "--sub=olga-1",
                "--email=olga@example.org",
                "--name=Olga Example",
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        # The provider prints its issuer once it answers (and exits on an error).
        assert process.stdout is not None
        issuer = process.stdout.readline().strip()
        assert issuer.startswith("http://127.0.0.1:"), errors.read_text()
        yield SessionProvider(url=issuer)
    finally:
        process.terminate()
        process.communicate(timeout=30)


@pytest.fixture
def session_idp(
    node_provider: SessionProvider, settings: Any, transactional_db: Any
) -> Iterator[SessionProvider]:
    settings.SSO_ISSUER = node_provider.url
    settings.SSO_CLIENT_ID = settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.SSO_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET = "not-so-secret"
    settings.SSO_NEW_ORGANISER_DOMAINS = []
    settings.SSO_NEW_ORGANISER_GROUPS = []
    settings.SSO_REQUIRED = False
    provider.forget()
    yield node_provider
    provider.forget()


def start_sign_in(page: Any, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_role("link", name="Sign in with your organisation's account").click()


def sign_out_here_only(context: Any) -> None:
    """Signs out of Kaffeeklatsch and nowhere else: the session ends on the server
    and its cookie leaves the browser; the provider hears nothing of it."""
    name = django_settings.SESSION_COOKIE_NAME
    keys = [cookie["value"] for cookie in context.cookies() if cookie["name"] == name]
    assert len(keys) == 1
    Session.objects.filter(session_key=keys[0]).delete()
    context.clear_cookies(name=name)


def test_after_sign_out_the_provider_asks_for_the_password_again(
    browser: Any,
    live_server: Any,
    session_idp: SessionProvider,
    olga: Any,  # noqa: F811
) -> None:
    base = live_server.url
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    # Every login form of the provider the browser is shown (its other steps of an
    # interaction, granting the scopes, answer with a redirect).
    login_forms: list[str] = []
    page.on(
        "response",
        lambda response: (
            login_forms.append(response.url)
            if "/interaction/" in response.url
            and response.request.method == "GET"
            and response.status == 200
            else None
        ),
    )

    # (1) The first sign-in asks for the password at the provider.
    start_sign_in(page, base)
    page.wait_for_url(session_idp.login_form)
    page.get_by_label("Login").fill(PROVIDER_LOGIN)
    page.get_by_label("Password").fill(PROVIDER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/programmes/")
    assert signed_in_users() == {olga.pk}
    assert len(login_forms) == 1

    # (2) Control: signed out here only, the provider's session lives on, and the
    # next sign-in passes through it without a question.
    sign_out_here_only(context)
    page.goto(base + "/programmes/")
    page.wait_for_url(base + "/accounts/login/**")
    assert signed_in_users() == set()
    start_sign_in(page, base)
    page.wait_for_url(base + "/programmes/")
    assert signed_in_users() == {olga.pk}
    assert len(login_forms) == 1

    # (3) "Log out" ends the session here, takes the browser to the provider's
    # end-session endpoint, which asks to confirm, and comes home signed out.
    with page.expect_response(base + "/accounts/logout/") as answer:
        page.get_by_role("button", name="Log out").click()
    assert answer.value.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page.wait_for_url(session_idp.end_session)
    assert signed_in_users() == set()
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(base + "/")
    page.get_by_role("link", name="Organisers").wait_for()
    assert signed_in_users() == set()

    # (4) The provider's session has ended: signing in asks for the password again.
    start_sign_in(page, base)
    page.wait_for_url(session_idp.login_form)
    page.get_by_label("Password").wait_for()
    assert len(login_forms) == 2
    assert signed_in_users() == set()

    assert problems == []
    context.close()
