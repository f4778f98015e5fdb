"""Everything stored about a participant, as one JSON document."""

from __future__ import annotations

from typing import Any

from kaffeeklatsch.notifications.emails import render_messages
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.models import LeftOut
from kaffeeklatsch.scim.models import ProvisionedUser
from kaffeeklatsch.sso.models import ParticipantIdentity


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


def export_data(participant: Participant) -> dict[str, Any]:
    """Everything stored about a participant: profile, status, meetings, what the
    identity systems sent and every e-mail."""
    return {
        "programme": participant.programme.name,
        "profile": _profile(participant),
        "id_in_the_organisers_file": participant.external_id,
        "added_by_organiser": participant.added_by_organiser,
        "status": participant.status,
        "joined": _when(participant.created_at),
        "confirmed": _when(participant.confirmed_at),
        "left": _when(participant.left_at),
        "paused_until": _when(participant.paused_until),
        "skip_next_round": participant.skip_next_round,
        "blocked": [p.name for p in participant.blocked.all()],
        **_rounds(participant),
        "chat_handles": [
            {"channel": str(h.channel), "handle": h.handle}
            for h in participant.chat_handles.select_related("channel")
        ],
        "meeting_updates": [
            {"round": u.group.round.number, "update": u.status, "when": _when(u.answered_at)}
            for u in participant.meeting_updates.select_related("group__round")
        ],
        **_identities(participant),
        "emails": _emails(participant),
    }


def _profile(participant: Participant) -> dict[str, Any]:
    return {
        "name": participant.name,
        "email": participant.email,
        "department": participant.department,
        "organisation": participant.organisation,
        "level": participant.level,
        "languages": participant.languages,
        "place": participant.place,
        "latitude": participant.latitude,
        "longitude": participant.longitude,
        "mode": participant.mode,
        "interests": participant.interests,
        "availability_utc": participant.availability,
        "travel_km": participant.travel_km,
        "profile_steps_done": participant.finished_steps,
        "language": participant.language,
        "note_for_organiser": participant.phone_note,
        "reached_by": participant.reached_by,
        "phone": participant.phone,
        "postal_address": participant.postal_address,
        "partners_may_see": participant.shares,
        "named_in_chat_announcements": participant.named_in_channels,
        "reminders": participant.reminders,
    }


def _rounds(participant: Participant) -> dict[str, Any]:
    """The published rounds the person met someone in, and those they were left out of."""

    groups = participant.groups.select_related("round").prefetch_related("members")
    feedback = {f.group_id: f.met for f in participant.feedback.all()}
    return {
        "meetings": [
            {
                "round": g.round.number,
                "date": _when(g.round.published_at),
                "with": [m.name for m in g.members.all() if m.pk != participant.pk],
                "mode": g.mode,
                "we_met": feedback.get(g.pk),
            }
            for g in groups
            if g.round.status == "published"
        ],
        "left_out_of_rounds": [
            {"round": item.round.number, "why": item.reason_text(participant.language)}
            for item in LeftOut.objects.filter(
                participant=participant, round__status="published"
            ).select_related("round")
        ],
    }


def _identities(participant: Participant) -> dict[str, Any]:
    """What the organisation's identity system sent about them (SCIM), and the account
    at the identity provider they sign in with (single sign-on)."""

    provisioned = ProvisionedUser.objects.filter(participant=participant, deleted=False).first()
    signs_in_as = ParticipantIdentity.objects.filter(participant=participant).first()
    return {
        "from_the_identity_system": None
        if provisioned is None
        else {
            "user_name": provisioned.user_name,
            "attributes": provisioned.resource,
            "groups": list(provisioned.groups.values_list("display_name", flat=True)),
        },
        "signs_in_with": None
        if signs_in_as is None
        else {
            "issuer": signs_in_as.issuer,
            "subject": signs_in_as.subject,
            "linked": _when(signs_in_as.linked_at),
        },
    }


def _emails(participant: Participant) -> list[dict[str, Any]]:

    # E-mails of a round not sent yet are rendered when they are sent; the export
    # shows the subject they will have (without storing it).
    emails = list(participant.messages.all())
    render_messages(emails)
    return [
        {
            "kind": m.kind,
            "subject": m.subject,
            "created": _when(m.created_at),
            "sent": _when(m.sent_at),
        }
        for m in emails
    ]
