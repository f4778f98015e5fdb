"""Co-organisers: the owner adds them by e-mail; they set a password from the e-mail."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from kaffeeklatsch.programmes.models import Organiser
from tests.web.conftest import links, login, send_outbox, text_part

pytestmark = pytest.mark.django_db


def test_owner_adds_a_new_co_organiser_who_sets_a_password(
    client: Any, organiser: Any, programme: Any, smtp: Any, settings: Any
) -> None:
    login(client, organiser)
    response = client.post(
        reverse("programmes:organisers", args=[programme.pk]), {"email": "Carla@Example.org"}
    )
    assert response.status_code == 302
    carla = get_user_model().objects.get(email="carla@example.org")
    assert not carla.has_usable_password()
    assert Organiser.objects.get(programme=programme, user=carla).role == Organiser.Role.CO
    send_outbox()
    [message] = smtp.to("carla@example.org")
    assert programme.name in message["Subject"]
    [url] = links(text_part(message), settings.BASE_URL + "/accounts/reset/")

    other = type(client)(headers={"accept-language": "en"})
    page = other.get(url.removeprefix(settings.BASE_URL), follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else url
    done = other.post(
        form_url.removeprefix(settings.BASE_URL),
        {"new_password1": "coffee-with-carla-42", "new_password2": "coffee-with-carla-42"},
    )
    assert done.status_code == 302
    assert other.login(username="carla@example.org", password="coffee-with-carla-42")
    assert other.get(reverse("programmes:detail", args=[programme.pk])).status_code == 200


def test_existing_user_is_added_and_can_be_removed(
    client: Any, organiser: Any, programme: Any, make_organiser: Any
) -> None:
    carla = make_organiser("carla")
    login(client, organiser)
    client.post(reverse("programmes:organisers", args=[programme.pk]), {"email": carla.email})
    membership = Organiser.objects.get(programme=programme, user=carla)
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
