"""The organisers' page of what is connected to a programme: single sign-on, SCIM
provisioning (set up on its own page) and the API tokens (made, shown once, revoked
here), each with when it was last used."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaffeeklatsch import scim, sso
from kaffeeklatsch.api.forms import TokenForm
from kaffeeklatsch.api.models import ApiToken
from kaffeeklatsch.programmes.access import organiser_view
from kaffeeklatsch.programmes.models import Programme


@organiser_view
def connections(request: HttpRequest, programme: Programme) -> HttpResponse:
    form = TokenForm(request.POST or None)
    secret = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            token: ApiToken = form.save(commit=False)
            token.programme = programme
            token.created_by_id = request.user.pk
            secret = token.issue()
            token.save()
            form = TokenForm()
        else:
            status = 400
    response = render(
        request,
        "api/connections.html",
        {
            "programme": programme,
            "form": form,
            "secret": secret,
            "tokens": programme.api_tokens.select_related("created_by"),
            "api_base": request.build_absolute_uri(reverse("api:programme", args=[programme.pk])),
            "docs_url": reverse("api:docs"),
            "sso": sso.status(programme),
            "scim": scim.status(programme),
        },
        status=status,
    )
    # The page with a new token's secret is kept by no cache.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@organiser_view
def revoke(request: HttpRequest, programme: Programme, token_id: int) -> HttpResponse:
    token = get_object_or_404(programme.api_tokens, pk=token_id)
    token.revoke()
    messages.success(
        request, _("The token “%(name)s” was revoked; it no longer works.") % {"name": token.name}
    )
    return redirect("connections:overview", programme_id=programme.pk)
