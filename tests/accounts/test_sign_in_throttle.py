"""Password sign-in resists guessing, and password reset cannot be used to flood a
mailbox or to send links to another site."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.support.mail import links, text_part
from tests.support.web import PASSWORD

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.20"


def browser_from(address: str, language: str = "en") -> Client:
    return Client(REMOTE_ADDR=address, headers={"accept-language": language})


def guess(client: Client, path: str, username: str, password: str) -> Any:
    return client.post(path, {"username": username, "password": password})


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_forty_wrong_passwords_lock_the_account_from_that_address_only(
    path: str, make_organiser: Any, caplog: Any
) -> None:
    organiser = make_organiser("olga")
    if path.startswith("/admin/"):
        organiser.is_staff = organiser.is_superuser = True
        organiser.save()
    attacker = browser_from(ATTACKER)
    caplog.set_level(logging.DEBUG)
    answers = [guess(attacker, path, "olga", f"wrong-guess-{n}").status_code for n in range(40)]
    # The first failures are answered as wrong passwords; then the sign-in is locked.
    assert answers[:9] == [200] * 9
    assert answers[9:] == [429] * 31

    refused = guess(attacker, path, "olga", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in attacker.session
    page = refused.content.decode()
    assert "Too many failed sign-ins" in page
    assert "Please try again in 15 minutes" in page
    assert 1 <= int(refused["Retry-After"]) <= 15 * 60
    # In the site's layout, not a bare page.
    assert "Kaffeeklatsch</title>" in page and 'class="top"' in page

    # The organiser, signing in from another address, is not blocked.
    office = browser_from(OFFICE)
    signed_in = guess(office, path, "olga", PASSWORD)
    assert signed_in.status_code == 302
    assert office.session["_auth_user_id"] == str(organiser.pk)

    # The log names neither the password, nor the account, nor the address.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "wrong-guess" not in logged and PASSWORD not in logged
    assert "olga" not in logged and ATTACKER not in logged


def test_the_lock_is_explained_in_german(make_organiser: Any) -> None:
    make_organiser("olga")
    attacker = browser_from(ATTACKER, "de-DE,de;q=0.9")
    for n in range(10):
        guess(attacker, "/accounts/login/", "olga", f"falsch-{n}")
    refused = guess(attacker, "/accounts/login/", "olga", PASSWORD)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Zu viele fehlgeschlagene Anmeldungen" in page
    assert "Bitte versuchen Sie es in 15 Minuten" in page


def test_guessing_many_accounts_from_one_address_locks_the_address(
    make_organiser: Any, settings: Any
) -> None:
    settings.SIGN_IN_FAILURES_PER_ADDRESS = 12
    for name in ("anna", "bert", "cleo", "dora"):
        make_organiser(name)
    attacker = browser_from(ATTACKER)
    # Three guesses per account stay under the limit of each account ...
    for name in ("anna", "bert", "cleo", "dora"):
        for n in range(3):
            assert guess(attacker, "/accounts/login/", name, f"guess-{n}").status_code == 200
    # ... but the address as a whole is locked now, whichever account it tries.
    refused = guess(attacker, "/accounts/login/", "anna", PASSWORD)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert guess(browser_from(OFFICE), "/accounts/login/", "anna", PASSWORD).status_code == 302


def test_a_right_password_before_the_limit_starts_the_count_again(make_organiser: Any) -> None:
    make_organiser("olga")
    me = browser_from(OFFICE)
    for n in range(9):
        guess(me, "/accounts/login/", "olga", f"typo-{n}")
    assert guess(me, "/accounts/login/", "olga", PASSWORD).status_code == 302
    me.post("/accounts/logout/")
    for n in range(9):
        assert guess(me, "/accounts/login/", "olga", f"typo-{n}").status_code == 200
    assert guess(me, "/accounts/login/", "olga", PASSWORD).status_code == 302


def test_password_reset_mails_no_more_than_the_limits_allow(
    make_organiser: Any, smtp: Any, settings: Any
) -> None:
    settings.RATE_LIMIT_PER_HOUR = 6
    make_organiser("olga", email="olga@example.org")
    make_organiser("paul", email="paul@example.org")
    attacker = browser_from(ATTACKER)
    answers = [attacker.post("/accounts/reset/", {"email": "olga@example.org"}) for _ in range(35)]
    # Every request gets the same answer ...
    assert {(r.status_code, r["Location"]) for r in answers} == {(302, "/accounts/reset/sent/")}
    # ... but only three e-mails reach the account's address.
    assert len(smtp.to("olga@example.org")) == settings.PASSWORD_RESETS_PER_EMAIL

    # The flooding address has used up its own limit: nothing more goes out from it.
    attacker.post("/accounts/reset/", {"email": "paul@example.org"})
    assert smtp.to("paul@example.org") == []
    # The owner of the other account, asking from elsewhere, gets their e-mail.
    browser_from(OFFICE).post("/accounts/reset/", {"email": "paul@example.org"})
    assert len(smtp.to("paul@example.org")) == 1


def test_the_reset_link_is_built_on_the_configured_base_url(
    make_organiser: Any, smtp: Any, settings: Any
) -> None:
    settings.BASE_URL = "https://kaffee.example.org"
    # Even where every Host is let through (a proxy passing it on unchecked).
    settings.ALLOWED_HOSTS = ["*"]
    organiser = make_organiser("olga", email="olga@example.org")
    client = Client(REMOTE_ADDR=OFFICE, HTTP_HOST="evil.example")
    assert client.post("/accounts/reset/", {"email": "olga@example.org"}).status_code == 302
    (message,) = smtp.to("olga@example.org")
    body = text_part(message)
    assert "evil.example" not in body
    (link,) = links(body, "https://kaffee.example.org/accounts/reset/")
    # The link works: it leads to the form for the new password.
    path = link.removeprefix("https://kaffee.example.org")
    opened = Client().get(path, follow=True)
    assert opened.status_code == 200
    assert b'name="new_password1"' in opened.content
    assert get_user_model().objects.get(pk=organiser.pk).has_usable_password()
