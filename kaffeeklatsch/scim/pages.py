"""The organisers' page of a programme's SCIM endpoint: its token and its settings."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kaffeeklatsch.programmes.access import organiser_view
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.scim import status
from kaffeeklatsch.scim.models import ScimConnection


class ConnectionForm(forms.ModelForm):
    class Meta:
        model = ScimConnection
        fields = ["confirm_new_people"]


@organiser_view
def settings(request: HttpRequest, programme: Programme) -> HttpResponse:
    """Making a token shows it once on the answer to the POST; only its hash is kept."""
    connection = ScimConnection.objects.filter(programme=programme).first()
    form = ConnectionForm(instance=connection or ScimConnection(programme=programme))
    token = ""
    if request.method == "POST":
        action = request.POST.get("action")
        with transaction.atomic():
            if connection is None:
                connection = ScimConnection.objects.create(programme=programme)
            if action == "token":
                token = connection.new_token()
            elif action == "revoke" and connection.has_token:
                connection.revoke()
                messages.success(request, _("The token was revoked; it no longer works."))
                return redirect("scim:settings", programme_id=programme.pk)
            elif action == "settings":
                form = ConnectionForm(request.POST, instance=connection)
                if form.is_valid():
                    form.save()
                    messages.success(request, _("The setting is saved."))
                    return redirect("scim:settings", programme_id=programme.pk)
            else:
                messages.error(request, _("Nothing was changed."))
                return redirect("scim:settings", programme_id=programme.pk)
    endpoint = request.build_absolute_uri(reverse("scim:root", args=[programme.pk]))
    response = render(
        request,
        "scim/settings.html",
        {
            "programme": programme,
            "status": status(programme),
            "endpoint": endpoint,
            "token": token,
            "form": form,
        },
    )
    # The page with a new token is kept by no cache.
    response["Cache-Control"] = "no-store"
    return response
