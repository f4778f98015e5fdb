"""Signed links in e-mails: sign-in (single use, expiring), confirmation, feedback."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from kaffeeklatsch.participants.models import Participant

SIGN_IN_SALT = "kaffeeklatsch.participants.sign-in"


class LinkError(Exception):
    """A link that is forged, expired, or already used."""


def absolute(path: str) -> str:
    return settings.BASE_URL + path


def sign_in_token(participant: Participant) -> str:
    return signing.dumps({"p": participant.pk, "g": participant.link_generation}, salt=SIGN_IN_SALT)


def sign_in_url(participant: Participant) -> str:
    return absolute(reverse("participants:sign_in", args=[sign_in_token(participant)]))


def confirm_url(participant: Participant) -> str:
    return absolute(reverse("participants:confirm", args=[sign_in_token(participant)]))


def participant_for(token: str) -> Participant:
    """The participant a sign-in link belongs to, if it is valid and still unused."""
    try:
        data = signing.loads(token, salt=SIGN_IN_SALT, max_age=settings.MAGIC_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise LinkError("expired") from exc
    except signing.BadSignature as exc:
        raise LinkError("invalid") from exc
    try:
        participant = Participant.objects.get(pk=data["p"])
    except (Participant.DoesNotExist, KeyError, TypeError) as exc:
        raise LinkError("invalid") from exc
    if participant.link_generation != data.get("g"):
        raise LinkError("used")
    return participant


def consume(participant: Participant) -> bool:
    """Marks the participant's current link as used; false if another request was first."""
    updated = Participant.objects.filter(
        pk=participant.pk, link_generation=participant.link_generation
    ).update(link_generation=participant.link_generation + 1)
    participant.link_generation += 1
    return updated == 1


FEEDBACK_SALT = "kaffeeklatsch.rounds.feedback"


@dataclass(frozen=True)
class FeedbackAnswer:
    group_id: int
    participant_id: int
    met: bool


def feedback_path(group_id: int, participant_id: int, met: bool) -> str:
    """The path of a "Did you meet?" answer's page (its button records the answer)."""
    token = signing.dumps({"g": group_id, "p": participant_id, "m": int(met)}, salt=FEEDBACK_SALT)
    return reverse("rounds_feedback", args=[token])


def feedback_url(group_id: int, participant_id: int, met: bool) -> str:
    return absolute(feedback_path(group_id, participant_id, met))


def feedback_answer(token: str) -> FeedbackAnswer:
    try:
        data = signing.loads(token, salt=FEEDBACK_SALT, max_age=settings.FEEDBACK_LINK_MAX_AGE)
        return FeedbackAnswer(int(data["g"]), int(data["p"]), bool(data["m"]))
    except signing.SignatureExpired as exc:
        raise LinkError("expired") from exc
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkError("invalid") from exc


UNSUBSCRIBE_SALT = "kaffeeklatsch.participants.unsubscribe"


def unsubscribe_url(participant: Participant) -> str:
    """The one-click link of every e-mail to ``participant`` (``List-Unsubscribe``,
    RFC 8058). It does not expire and is not used up: mail providers act on old
    e-mails too, and leaving twice changes nothing. Without a time in it, it is the
    same in every e-mail to the person."""
    token = signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object({"p": participant.pk})
    return absolute(reverse("participants:unsubscribe", args=[token]))


def unsubscribing(token: str) -> Participant:
    """The participant an unsubscribe link belongs to."""
    try:
        data = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
        return Participant.objects.select_related("programme").get(pk=int(data["p"]))
    except (
        signing.BadSignature,
        Participant.DoesNotExist,
        KeyError,
        TypeError,
        ValueError,
    ) as exc:
        raise LinkError("invalid") from exc
