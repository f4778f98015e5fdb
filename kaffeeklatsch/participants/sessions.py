"""A participant's sign-in: who is signed in is kept in Django's session, for the
participants' own pages and for single sign-on, which signs people in too."""

from __future__ import annotations

from django.http import HttpRequest

from kaffeeklatsch.participants.models import Participant


def start_session(request: HttpRequest, participant: Participant) -> None:
    """Signs the participant in (after a link from an e-mail or single sign-on)."""
    request.session.cycle_key()
    request.session["participant_id"] = participant.pk
    request.session["participant_language"] = participant.language


def store_chosen_language(request: HttpRequest, language: str, **kwargs: object) -> None:
    """Receives :data:`kaffeeklatsch.front.signals.language_chosen`: the language a
    signed-in participant picks becomes theirs, for their e-mails too."""
    participant_id = request.session.get("participant_id")
    if participant_id:
        Participant.objects.filter(pk=participant_id).update(language=language)
