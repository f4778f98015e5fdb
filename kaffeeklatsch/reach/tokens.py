"""Signed one-click links in reminders: "we rescheduled" and "we cannot meet"."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from kaffeeklatsch.participants.tokens import LinkError, absolute
from kaffeeklatsch.reach.models import MeetingUpdate

SALT = "kaffeeklatsch.reach.meeting-update"


@dataclass(frozen=True)
class UpdateAnswer:
    group_id: int
    participant_id: int
    status: str


def update_url(group_id: int, participant_id: int, status: str) -> str:
    token = signing.dumps({"g": group_id, "p": participant_id, "s": status}, salt=SALT)
    return absolute(reverse("reach:meeting_update_link", args=[token]))


def update_answer(token: str) -> UpdateAnswer:
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.FEEDBACK_LINK_MAX_AGE)
        answer = UpdateAnswer(int(data["g"]), int(data["p"]), str(data["s"]))
    except signing.SignatureExpired as exc:
        raise LinkError("expired") from exc
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkError("invalid") from exc
    if answer.status not in MeetingUpdate.Status.values:
        raise LinkError("invalid")
    return answer
