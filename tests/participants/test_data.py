"""Personal data: erasure removes a person everywhere, the export holds everything
stored about them, and the database can be backed up and restored."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models
from django.test import Client
from django.urls import reverse

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Feedback, Group, LeftOut, Round
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.site.test_authorization import snapshot
from tests.support.mail import send_outbox, text_part
from tests.support.web import login, sign_in_participant

pytestmark = pytest.mark.database

# The export's key for every model that stores something about a participant. A new
# model that points at Participant must be added here (and to the export).
EXPORTED = {
    "participants.Participant_blocked": "blocked",
    "rounds.Group_members": "meetings",
    "rounds.Feedback": "meetings",
    "rounds.LeftOut": "left_out_of_rounds",
    "notifications.OutboxMessage": "emails",
    "reach.ChatHandle": "chat_handles",
    "reach.MeetingUpdate": "meeting_updates",
    "scim.ProvisionedUser": "from_the_identity_system",
    "sso.ParticipantIdentity": "signs_in_with",
}
# Fields of Participant that are bookkeeping, not data about the person.
NOT_ABOUT_THE_PERSON = {"id", "programme", "link_generation", "blocked", "updated_at"}


def related_models() -> set[str]:
    """Every model (and many-to-many table) with a foreign key to Participant."""
    found = set()
    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.get_fields(include_hidden=True):
            if isinstance(f, models.ForeignKey) and f.related_model is Participant:
                label = model._meta.label
                found.add(label)
    return found


@pytest.fixture
def story(programme: Any, make_participant: Any) -> dict[str, Any]:
    """Erika in a published round with feedback, a block, a left-out round, e-mails,
    a chat handle, a meeting update, and provisioned by an identity system."""
    from kaffeeklatsch.reach.models import ChatChannel, ChatHandle, MeetingUpdate
    from kaffeeklatsch.scim.models import ProvisionedUser, ScimConnection
    from kaffeeklatsch.sso.models import ParticipantIdentity

    erika = make_participant(
        programme,
        "Erika Mustermann-Zz",
        email="erika.zz@example.org",
        phone="+49 221 9988776",
        department="Erikas Abteilung",
        organisation="Erikas Verein",
        level="Erikas Ebene",
        place="50667",
        interests=["Erikas Hobby"],
        external_id="ERIKA-7",
        postal_address="Erikaweg 7, 50667 Köln",
        phone_note="Erika abends",
    )
    others = [make_participant(programme) for _ in range(3)]
    rnd = publish_round(preview_round(programme))
    group = erika.groups.get()
    Feedback.objects.create(group=group, participant=erika, met=True)
    erika.blocked.add(others[-1])
    others[0].blocked.add(erika)
    second = preview_round(programme)
    LeftOut.objects.create(round=second, participant=erika, reason={})
    second.status = Round.Status.PUBLISHED
    second.save()
    channel = ChatChannel.objects.create(
        programme=programme,
        kind="webhook",
        config={"url": "https://h.example.org", "secret": "s" * 20},
    )
    ChatHandle.objects.create(channel=channel, participant=erika, handle="@erika:example.org")
    MeetingUpdate.objects.create(group=group, participant=erika, status="rescheduled")
    provisioned = ProvisionedUser.objects.create(
        connection=ScimConnection.objects.create(programme=programme),
        participant=erika,
        user_name=erika.email,
        resource={"userName": erika.email, "name": {"givenName": "Erika"}},
    )
    provisioned.groups.create(connection=provisioned.connection, display_name="Erikas Gruppe")
    ParticipantIdentity.objects.create(
        participant=erika, issuer="https://login.example.org", subject="erikas-konto-7"
    )
    return {"erika": erika, "others": others, "round": rnd, "group": group}


@pytest.mark.django_db
def test_the_export_contains_everything_stored_about_the_person(story: dict[str, Any]) -> None:
    erika = story["erika"]
    unknown = related_models() - set(EXPORTED)
    assert not unknown, (
        f"models that store something about a person but are not exported: {unknown}"
    )
    client = Client()
    sign_in_participant(client, erika)
    response = client.get(reverse("participants:export"))
    assert response.status_code == 200
    data = json.loads(response.content)
    text = json.dumps(data, ensure_ascii=False)
    for f in Participant._meta.concrete_fields:
        if f.name in NOT_ABOUT_THE_PERSON:
            continue
        value = getattr(erika, f.attname)
        if value in (None, "", [], {}) or isinstance(value, bool):
            continue
        shown = value.isoformat()[:16] if hasattr(value, "isoformat") else value
        if isinstance(shown, list):
            assert all(json.dumps(v, ensure_ascii=False) in text for v in shown), f.name
        else:
            rendered = json.dumps(shown, ensure_ascii=False).strip('"')
            assert rendered[:16] in text, f"{f.name} ({rendered}) is not in the export"
    for label, key in EXPORTED.items():
        assert data[key], f"{label}: the export's {key!r} is empty"
    assert data["meetings"][0]["we_met"] is True
    assert data["blocked"] == [story["others"][-1].name]


@pytest.mark.django_db
def test_erasure_removes_the_person_everywhere_and_groups_keep_a_former_participant(
    story: dict[str, Any], organiser: Any, smtp: Any
) -> None:
    erika, group, others = story["erika"], story["group"], story["others"]
    secrets = [
        erika.name,
        erika.email,
        erika.phone,
        erika.external_id,
        erika.postal_address,
        "Erikas Hobby",
        "@erika:example.org",
        "Erika abends",
        "erikas-konto-7",
    ]
    partner = next(m for m in group.members.all() if m.pk != erika.pk)
    assert send_outbox() == 4  # rendered when sent
    mentions = [m for m in partner.messages.all() if erika.name in m.body_text]
    assert mentions, "the partner's introduction names Erika before the erasure"
    client = Client(headers={"accept-language": "en"})
    sign_in_participant(client, erika)
    assert client.post(reverse("participants:erase")).status_code == 200

    state = json.dumps(snapshot(), default=str, ensure_ascii=False)
    for secret in secrets:
        where = [
            k
            for k, v in snapshot().items()
            if secret in json.dumps(v, default=str, ensure_ascii=False)
        ]
        assert secret not in state, f"{secret!r} is still stored in {where}"
    assert not Participant.objects.filter(pk=erika.pk).exists()
    group.refresh_from_db()
    assert group.former_members == 1 and Group.objects.filter(pk=group.pk).exists()
    # The people Erika met see "a former participant", in their language.
    partner_client = Client(headers={"accept-language": "en"})
    sign_in_participant(partner_client, partner)
    assert "a former participant" in partner_client.get(reverse("participants:me")).content.decode()
    kept = [m for m in partner.messages.all() if m.kind == "introduction"]
    assert kept and all("erased their data" in m.body_text for m in kept)
    owner = Client(headers={"accept-language": "de"})
    login(owner, organiser)
    page = owner.get(reverse("rounds:detail", args=[group.round.programme_id, group.round_id]))
    assert "eine ehemalige teilnehmende Person" in page.content.decode()
    assert others[0].blocked.count() == 0


@pytest.mark.django_db
def test_erasure_before_sending_drops_the_partners_introductions_to_be_written(
    programme: Any, make_participant: Any, smtp: Any
) -> None:
    """Introductions are rendered when sent: the ones to Erika's partners that are not
    rendered yet would no longer name her, and go with her."""
    from kaffeeklatsch.participants.erasure import erase_participant

    erika = make_participant(programme, "Erika Mustermann-Zz", email="erika.zz@example.org")
    others = [make_participant(programme) for _ in range(3)]
    publish_round(preview_round(programme))
    partners = [m for m in erika.groups.get().members.all() if m.pk != erika.pk]
    erase_participant(erika)
    assert send_outbox() == 4 - 1 - len(partners)
    received = {str(m["To"]) for m in smtp.messages}
    assert received == {p.email for p in others if p not in partners}
    assert all(erika.name not in text_part(m) for m in smtp.messages)


@pytest.mark.django_db
def test_the_export_shows_the_subject_of_an_introduction_not_sent_yet(
    programme: Any, make_participant: Any, smtp: Any
) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org", language="de")
    make_participant(programme, "Ben", email="ben@example.org")
    publish_round(preview_round(programme))
    client = Client()
    sign_in_participant(client, anna)
    [before] = json.loads(client.get(reverse("participants:export")).content)["emails"]
    assert before["sent"] is None and "Ben" in before["subject"]
    assert not anna.messages.get().body_text  # shown, not stored
    send_outbox()
    [after] = json.loads(client.get(reverse("participants:export")).content)["emails"]
    assert after["subject"] == str(smtp.to("anna@example.org")[0]["Subject"])
    assert after["sent"] is not None


THROUGH_TABLES = ("_members", "_blocked")


def _world(programme: Programme, make_participant: Any) -> None:
    for _ in range(6):
        make_participant(programme)
    publish_round(preview_round(programme))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("portable", [False, True])
def test_backup_and_restore_round_trip(
    tmp_path: Path, programme: Any, make_participant: Any, portable: bool
) -> None:
    _world(programme, make_participant)
    before = snapshot()
    path = tmp_path / "kaffeeklatsch.backup"
    out = StringIO()
    call_command("backup", str(path), *(["--portable"] if portable else []), stdout=out)
    assert path.stat().st_size > 0
    if portable:
        assert "(portable)" in out.getvalue()
    elif connection.vendor == "sqlite":
        assert path.read_bytes().startswith(b"SQLite format 3")
    else:
        assert path.read_bytes().startswith(b"PGDMP"), out.getvalue()
    # Changes after the backup: all gone after the restore.
    Participant.objects.all().delete()
    Programme.objects.create(name="Nach der Sicherung")
    assert snapshot() != before
    call_command("restore", str(path), "--yes", stdout=StringIO())
    after = snapshot()
    for label in before:
        if portable and label.endswith(THROUGH_TABLES):
            # A dump re-creates many-to-many rows under new ids; the pairs are the data.
            before[label] = sorted(
                tuple(sorted(r.items() - {("id", r["id"])})) for r in before[label]
            )
            after[label] = sorted(
                tuple(sorted(r.items() - {("id", r["id"])})) for r in after[label]
            )
        for old, new in zip(before[label], after[label], strict=True):
            assert old == new, label
    # The restored database works: a new round can be previewed.
    assert preview_round(Programme.objects.get(pk=programme.pk)).groups.exists()


@pytest.mark.django_db
def test_restore_refuses_a_missing_file(tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no backup"):
        call_command("restore", str(tmp_path / "missing"), "--yes")
