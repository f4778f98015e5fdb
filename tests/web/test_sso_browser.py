"""Single sign-out in a real browser (Debian's Chromium driven by Playwright) against
the OpenID Connect provider of tests/web/test_sso.py on loopback.

Sign-out is a form, and the page's Content-Security-Policy (``form-action 'self'``)
makes Chromium refuse a redirect to another site in answer to a form: the browser
has to reach the provider's end-session endpoint in another way, with the policy
unchanged.

oidc-provider-mock keeps no session of its own (its authorization page asks for the
user every time, and its end-session endpoint only shows a confirmation page), so
"the next sign-in asks again" cannot tell a provider session that ended from one that
never was. What is real here: the browser lands on the provider's end-session
endpoint with the ID token as hint, the client and where to come back; ends the
session there; comes home signed out; and the browser reports no CSP violation.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from kaffeeklatsch.front.security import CONTENT_SECURITY_POLICY
from tests.web.test_browser import browser  # noqa: F401 (fixture)
from tests.web.test_sso import (  # noqa: F401 (fixtures)
    CLIENT_ID,
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
    browser: Any,  # noqa: F811
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
    browser: Any,  # noqa: F811
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
