"""Who may see what: organisers see their programmes, participants their own page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from kaffeeklatsch.front.compiled import Call, CompiledQuery, run_together
from kaffeeklatsch.programmes.models import Programme

View = Callable[..., HttpResponse]


def organiser_view(view: View) -> View:
    """Requires a signed-in organiser of the programme in the URL; passes the programme.

    Anyone else gets 404, so the existence of other programmes is not revealed.
    """

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, programme_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
        found = _organised_programme(request.user.pk, programme_id)
        if not found:
            raise Http404
        return view(request, found[0], *args, **kwargs)

    return wrapper


def owner_view(view: View) -> View:
    """Like :func:`organiser_view`, for what only the programme's owner may do."""

    @organiser_view
    @wraps(view)
    def wrapper(
        request: HttpRequest, programme: Programme, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        if not programme.is_owner(request.user):
            raise Http404
        return view(request, programme, *args, **kwargs)

    return wrapper


def participant_view(
    view: View | None = None, *, together: Callable[[int], list[Call]] | None = None
) -> Any:
    """Requires a participant signed in through a link from an e-mail.

    ``together``: given the participant's id, the compiled queries (each with its
    arguments) the view needs anyway; they go to the database in the same round trip
    as the participant's own lookup, and their rows reach the view as ``rows``, in
    the same order."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            pk = request.session.get("participant_id")
            if type(pk) is not int:
                return redirect("participants:request_link")
            if together is None:
                found = _participant_with_programme(pk)
            else:
                found, *rows = run_together((_participant_with_programme, (pk,)), *together(pk))
                kwargs["rows"] = rows
            participant = found[0] if found else None
            if participant is None:
                request.session.pop("participant_id", None)
                return redirect("participants:request_link")
            return view(request, participant, *args, **kwargs)

        return wrapper

    return decorate if view is None else decorate(view)


def _participant_query(pk: int) -> Any:
    from kaffeeklatsch.participants.models import Participant

    # One row by primary key: no ORDER BY.
    return Participant.objects.filter(pk=pk).select_related("programme").order_by()[:1]


# Every page of a participant starts with this lookup: its statement is built once.
_participant_with_programme: CompiledQuery[Any] = CompiledQuery(_participant_query)


# Every organiser page starts with this lookup: its statement is built once.
_organised_programme: CompiledQuery[Programme] = CompiledQuery(
    lambda user_id, programme_id: Programme.objects.filter(
        organisers=user_id, pk=programme_id
    ).order_by()[:1]
)
