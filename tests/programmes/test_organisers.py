"""Co-organisers: the owner invites them by e-mail; they become co-organisers only by
accepting, signed in as themselves (a new account sets its password first)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from kaffeeklatsch.programmes.models import Organiser, OrganiserInvitation
from tests.support.mail import links, send_outbox, text_part
from tests.support.web import login

pytestmark = pytest.mark.django_db


def invite(client: Any, programme: Any, email: str) -> Any:
    return client.post(reverse("programmes:organisers", args=[programme.pk]), {"email": email})


def invitation_link(smtp: Any, email: str, base: str) -> str:
    send_outbox()
    [message] = smtp.to(email)
    [url] = links(text_part(message), base + "/programmes/invitations/")
    return url.removeprefix(base)


def test_owner_invites_a_new_account_which_sets_a_password_and_accepts(
    client: Any, organiser: Any, programme: Any, smtp: Any, settings: Any
) -> None:
    login(client, organiser)
    response = invite(client, programme, "Carla@Example.org")
    assert response.status_code == 302
    carla = get_user_model().objects.get(email="carla@example.org")
    assert not carla.has_usable_password()
    # Invited, not a co-organiser yet.
    assert not Organiser.objects.filter(programme=programme, user=carla).exists()
    send_outbox()
    [message] = smtp.to("carla@example.org")
    assert programme.name in message["Subject"] and "Invitation" in message["Subject"]
    text = text_part(message)
    [url] = links(text, settings.BASE_URL + "/accounts/reset/")
    [accept_url] = links(text, settings.BASE_URL + "/programmes/invitations/")

    other = type(client)(headers={"accept-language": "en"})
    page = other.get(url.removeprefix(settings.BASE_URL), follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else url
    done = other.post(
        form_url.removeprefix(settings.BASE_URL),
        {"new_password1": "coffee-with-carla-42", "new_password2": "coffee-with-carla-42"},
    )
    assert done.status_code == 302
    assert other.login(username="carla@example.org", password="coffee-with-carla-42")
    detail = reverse("programmes:detail", args=[programme.pk])
    assert other.get(detail).status_code == 404
    # The invitation waits on her own pages.
    assert programme.name in other.get(reverse("programmes:list")).content.decode()
    accept_path = accept_url.removeprefix(settings.BASE_URL)
    assert other.get(accept_path).status_code == 200
    assert other.post(accept_path, {"answer": "accept"}).status_code == 302
    assert Organiser.objects.get(programme=programme, user=carla).role == Organiser.Role.CO
    assert not OrganiserInvitation.objects.exists()
    assert other.get(detail).status_code == 200


def test_an_existing_account_becomes_co_organiser_only_when_it_accepts(
    client: Any, organiser: Any, programme: Any, make_organiser: Any, smtp: Any, settings: Any
) -> None:
    carla = make_organiser("carla")
    login(client, organiser)
    invite(client, programme, carla.email)
    assert not Organiser.objects.filter(programme=programme, user=carla).exists()
    path = invitation_link(smtp, carla.email, settings.BASE_URL)
    # The e-mail of an account with a password carries no link to set one.
    assert links(text_part(smtp.to(carla.email)[0]), settings.BASE_URL + "/accounts/") == []
    # Someone else signed in, the owner included, finds nothing there.
    assert client.get(path).status_code == 404
    assert client.post(path, {"answer": "accept"}).status_code == 404
    mallory = type(client)()
    login(mallory, make_organiser("mallory"))
    assert mallory.post(path, {"answer": "accept"}).status_code == 404
    # Signed out, the page asks to sign in.
    anonymous = type(client)().get(path)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    carla_client = type(client)(headers={"accept-language": "en"})
    login(carla_client, carla)
    # Opening the page (GET or HEAD) changes nothing.
    page = carla_client.get(path)
    assert page.status_code == 200
    assert "Accept" in page.content.decode() and "Decline" in page.content.decode()
    carla_client.head(path)
    assert not Organiser.objects.filter(programme=programme, user=carla).exists()
    # An answer that is neither changes nothing either.
    carla_client.post(path, {"answer": "maybe"})
    assert not Organiser.objects.filter(programme=programme, user=carla).exists()

    assert carla_client.post(path, {"answer": "accept"}).status_code == 302
    assert Organiser.objects.get(programme=programme, user=carla).role == Organiser.Role.CO
    assert carla_client.get(path).status_code == 404


def test_the_invited_account_can_decline(
    client: Any, organiser: Any, programme: Any, make_organiser: Any, smtp: Any, settings: Any
) -> None:
    carla = make_organiser("carla")
    login(client, organiser)
    invite(client, programme, carla.email)
    path = invitation_link(smtp, carla.email, settings.BASE_URL)
    carla_client = type(client)(headers={"accept-language": "en"})
    login(carla_client, carla)
    assert carla_client.post(path, {"answer": "decline"}).status_code == 302
    assert not OrganiserInvitation.objects.exists()
    assert not Organiser.objects.filter(programme=programme, user=carla).exists()
    assert carla_client.post(path, {"answer": "accept"}).status_code == 404


def test_the_owner_sees_the_invitation_and_can_withdraw_it(
    client: Any, organiser: Any, programme: Any, make_organiser: Any, smtp: Any, settings: Any
) -> None:
    carla = make_organiser("carla")
    login(client, organiser)
    invite(client, programme, carla.email)
    page = client.get(reverse("programmes:organisers", args=[programme.pk])).content.decode()
    assert carla.email in page and "Invited, not yet accepted" in page
    invitation = OrganiserInvitation.objects.get()
    path = invitation_link(smtp, carla.email, settings.BASE_URL)
    client.post(reverse("programmes:withdraw_invitation", args=[programme.pk, invitation.pk]))
    assert not OrganiserInvitation.objects.exists()
    carla_client = type(client)()
    login(carla_client, carla)
    assert carla_client.post(path, {"answer": "accept"}).status_code == 404
    assert not Organiser.objects.filter(programme=programme, user=carla).exists()


def test_an_expired_invitation_cannot_be_accepted(
    client: Any,
    german_client: Any,
    organiser: Any,
    programme: Any,
    make_organiser: Any,
    smtp: Any,
    settings: Any,
) -> None:
    carla = make_organiser("carla")
    login(client, organiser)
    invite(client, programme, carla.email)
    path = invitation_link(smtp, carla.email, settings.BASE_URL)
    OrganiserInvitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    login(german_client, carla)
    page = german_client.post(path, {"answer": "accept"}, follow=True).content.decode()
    assert "Diese Einladung ist abgelaufen" in page
    assert not Organiser.objects.filter(programme=programme, user=carla).exists()
    assert OrganiserInvitation.objects.exists()
    owner_page = client.get(reverse("programmes:organisers", args=[programme.pk]))
    assert "Invitation expired" in owner_page.content.decode()
    # Inviting again renews it.
    invite(client, programme, carla.email)
    assert not OrganiserInvitation.objects.get().expired
    german_client.post(path, {"answer": "accept"})
    assert Organiser.objects.filter(programme=programme, user=carla).exists()


def test_existing_co_organiser_can_be_removed(
    client: Any, organiser: Any, programme: Any, make_organiser: Any
) -> None:
    carla = make_organiser("carla")
    login(client, organiser)
    membership = Organiser.objects.create(programme=programme, user=carla)
    from kaffeeklatsch.api.models import ApiToken

    token = ApiToken(programme=programme, name="Carla's script", created_by=carla)
    token.issue()
    token.save()
    mine = ApiToken(programme=programme, name="Owner's script", created_by=organiser)
    mine.issue()
    mine.save()
    client.post(reverse("programmes:remove_organiser", args=[programme.pk, membership.pk]))
    assert not Organiser.objects.filter(pk=membership.pk).exists()
    # Her tokens for the programme stop working with her; the owner's go on.
    token.refresh_from_db()
    mine.refresh_from_db()
    assert token.revoked and not mine.revoked


def test_the_owner_cannot_be_removed(client: Any, organiser: Any, programme: Any) -> None:
    login(client, organiser)
    owner = Organiser.objects.get(programme=programme, user=organiser)
    response = client.post(reverse("programmes:remove_organiser", args=[programme.pk, owner.pk]))
    assert response.status_code == 404
    assert Organiser.objects.filter(pk=owner.pk).exists()


def test_the_signed_in_organiser_is_found_while_allowed_to_sign_in(
    client: Any, organiser: Any, programme: Any
) -> None:
    from kaffeeklatsch.accounts.backends import OrganiserBackend

    backend = OrganiserBackend()
    assert backend.get_user(organiser.pk) == organiser
    assert backend.get_user(str(organiser.pk)) == organiser
    assert backend.get_user(10**9) is None
    login(client, organiser)
    page = reverse("programmes:detail", args=[programme.pk])
    response = client.get(page)
    assert response.status_code == 200 and response.wsgi_request.user == organiser
    organiser.is_active = False
    organiser.save()
    assert backend.get_user(organiser.pk) is None
    assert client.get(page).status_code == 302  # to the login page
    organiser.is_active = True
    organiser.save()
    assert client.get(page).status_code == 200
    # A new password ends the sessions that began with the old one.
    organiser.set_password("another-password-1")
    organiser.save()
    assert client.get(page).status_code == 302
