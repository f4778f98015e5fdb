"""Who may see what: organisers see their programmes, participants their own page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme

View = Callable[..., HttpResponseBase]


def organiser_view(view: View) -> View:
    """Requires a signed-in organiser of the programme in the URL; passes the programme.

    Anyone else gets 404, so the existence of other programmes is not revealed.
    """

    @login_required
    @wraps(view)
    def wrapper(
        request: HttpRequest, programme_id: int, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        programme = Programme.objects.filter(organisers=request.user.pk, pk=programme_id).first()
        if programme is None:
            raise Http404
        return view(request, programme, *args, **kwargs)

    return wrapper


def owner_view(view: View) -> View:
    """Like :func:`organiser_view`, for what only the programme's owner may do."""

    @organiser_view
    @wraps(view)
    def wrapper(
        request: HttpRequest, programme: Programme, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        if not programme.is_owner(request.user):
            raise Http404
        return view(request, programme, *args, **kwargs)

    return wrapper


def participant_view(view: View) -> View:
    """Requires a participant signed in through a link from an e-mail; passes the
    participant, with their programme."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        pk = request.session.get("participant_id")
        if type(pk) is not int:
            return redirect("participants:request_link")
        participant = Participant.objects.select_related("programme").filter(pk=pk).first()
        if participant is None:
            request.session.pop("participant_id", None)
            return redirect("participants:request_link")
        return view(request, participant, *args, **kwargs)

    return wrapper
