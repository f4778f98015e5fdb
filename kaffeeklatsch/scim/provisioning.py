"""Keeping a programme's people in step with what the identity system provisions.

Every change comes in as the SCIM resource the identity system now holds; the
participant's name, e-mail address, department, organisation and level follow from
it, and ``active: false`` (or deleting the User) makes them leave as if they had left
themselves (:meth:`Participant.leave`), after which the retention rules apply.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from scim2_models import InvalidValueException, UniquenessException

from kaffeeklatsch.matching.text import clean_one_line
from kaffeeklatsch.notifications.emails import queue_confirmation, queue_welcome
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.scim.models import ProvisionedGroup, ProvisionedUser, ScimConnection
from kaffeeklatsch.scim.schema import ENTERPRISE

log = logging.getLogger(__name__)

# The longest userName, group name or externalId kept (the columns' length).
MAX_NAME = 255


def _at_most(attribute: str, value: str) -> str:
    if len(value) > MAX_NAME:
        raise InvalidValueException(
            detail=_("%(attribute)s is longer than %(limit)s characters.")
            % {"attribute": attribute, "limit": MAX_NAME}
        )
    return value


def _text(value: Any, limit: int, attribute: str) -> str:
    """An attribute as the one-line text a participant's field holds. The identity
    system cannot be asked again, so line breaks and other controls are removed rather
    than the User refused, and the log says so (without the value, which may be a name)."""
    cleaned = clean_one_line(str(value or ""))
    if cleaned.removed:
        log.warning(
            "removed %s control characters from %s of a SCIM user", cleaned.removed, attribute
        )
    return cleaned.text.strip()[:limit]


def _storable(value: Any) -> Any:
    """The resource without NUL characters, which no PostgreSQL text or JSON value can
    hold; everything else is kept as the identity system sent it (the participant's
    fields are cleaned further by :func:`_text`)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def _email(resource: dict[str, Any]) -> str:
    """The primary e-mail address, else the first, else a userName that is one."""
    emails = [e for e in resource.get("emails") or [] if e.get("value")]
    primary = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    if primary is not None:
        address = str(primary["value"]).strip().lower()
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidValueException(
                detail=_("%(value)s is not an e-mail address.") % {"value": address}
            ) from None
        return address
    user_name = str(resource.get("userName") or "").strip().lower()
    try:
        validate_email(user_name)
    except ValidationError:
        return ""
    return user_name


def _name(resource: dict[str, Any]) -> str:
    name = resource.get("name") or {}
    given = " ".join(p for p in (name.get("givenName"), name.get("familyName")) if p)
    for attribute, value in (
        ("displayName", resource.get("displayName")),
        ("name.formatted", name.get("formatted")),
        ("name.givenName and name.familyName", given),
    ):
        text = _text(value, 120, attribute) if value else ""
        if text:
            return text
    return _text(resource["userName"], 120, "userName")


def _department(user: ProvisionedUser) -> str:
    """The enterprise department when the identity system sends one, else the name
    of the first of the person's groups."""
    given = (user.resource.get(ENTERPRISE) or {}).get("department")
    if given:
        return _text(given, 120, "department")
    if user.pk is None:
        return ""
    first = user.groups.order_by("display_name", "pk").values_list("display_name", flat=True)
    return _text(first.first(), 120, "the displayName of a group")


def _follow(user: ProvisionedUser, participant: Participant) -> None:
    """Sets the participant's fields from the SCIM resource (not saved)."""
    resource = user.resource
    participant.name = _name(resource)
    participant.email = _email(resource)
    participant.level = _text(resource.get("title"), 80, "title")
    participant.organisation = _text(
        (resource.get(ENTERPRISE) or {}).get("organization"), 120, "organization"
    )
    participant.department = _department(user)
    participant.external_id = _text(resource.get("externalId"), 120, "externalId")


def _email_taken(connection: ScimConnection, email: str, participant: Participant | None) -> None:
    if not email:
        return
    others = connection.programme.participants.filter(email=email)
    if participant is not None and participant.pk:
        others = others.exclude(pk=participant.pk)
    if others.exists():
        raise UniquenessException(
            detail=_("Another person of this programme has the e-mail address %(email)s.")
            % {"email": email}
        )


def _user_name_taken(connection: ScimConnection, user_name: str, user: ProvisionedUser) -> None:
    others = connection.users.filter(deleted=False, user_name__iexact=user_name)
    if user.pk:
        others = others.exclude(pk=user.pk)
    if others.exists():
        raise UniquenessException(
            detail=_("A user with the userName %(name)s exists already.") % {"name": user_name}
        )


def _follow_active(user: ProvisionedUser, participant: Participant, active: bool) -> None:
    if not active and participant.status != Participant.Status.LEFT:
        participant.leave()
        user.left_by_provisioning = True
    elif active and participant.status == Participant.Status.LEFT and user.left_by_provisioning:
        participant.rejoin()
        user.left_by_provisioning = False
        if participant.confirmed_at is not None:
            return
        # Never taking part before they were deactivated (provisioned as deactivated,
        # say): now they are told, as a new person is.
        if user.connection.confirm_new_people:
            participant.status = Participant.Status.PENDING
            participant.save(update_fields=["status"])
            if participant.reached_by_email:
                queue_confirmation(participant, template="provisioned")
        else:
            participant.activate()
            participant.save(update_fields=["status", "confirmed_at"])
            if participant.reached_by_email:
                queue_welcome(participant)


def create_user(connection: ScimConnection, resource: dict[str, Any]) -> ProvisionedUser:
    """A new User: a new participant, or the person of the programme with the same
    e-mail address who is not provisioned yet (someone who joined by themselves)."""
    resource = _storable(resource)
    with transaction.atomic():
        email = _email(resource)
        user_name = _at_most("userName", resource["userName"])
        user = ProvisionedUser(connection=connection, user_name=user_name)
        _user_name_taken(connection, user.user_name, user)
        existing = (
            connection.programme.participants.select_for_update().filter(email=email).first()
            if email
            else None
        )
        if existing is not None:
            earlier = ProvisionedUser.objects.filter(participant=existing).first()
            if earlier is not None and not earlier.deleted:
                raise UniquenessException(
                    detail=_("Another person of this programme has the e-mail address %(email)s.")
                    % {"email": email}
                )
            if earlier is not None:
                # Provisioned again after being deleted: the same row, a new id.
                user = earlier
                user.scim_id = ProvisionedUser._meta.get_field("scim_id").get_default()
                user.deleted = False
                user.user_name = user_name
            participant = existing
        else:
            participant = Participant(
                programme=connection.programme,
                language=connection.programme.language,
                added_by_organiser=True,
            )
            if connection.confirm_new_people:
                participant.status = Participant.Status.PENDING
            else:
                participant.activate()
        user.resource = resource
        _follow(user, participant)
        active = resource.get("active") is not False
        if participant.pk is None and not active:
            # Provisioned as deactivated: kept as someone who left, so they take part
            # once the identity system activates them.
            participant.status = Participant.Status.LEFT
            participant.left_at = timezone.now()  # erased as the retention rules say
            participant.confirmed_at = None  # never taking part yet: welcomed when active
        participant.save()
        user.participant = participant
        if participant.status == Participant.Status.LEFT and not active:
            user.left_by_provisioning = True
        elif existing is not None:
            _follow_active(user, participant, active)
        user.save()
        if existing is None and participant.reached_by_email and active:
            if participant.status == Participant.Status.PENDING:
                queue_confirmation(participant, template="provisioned")
            else:
                queue_welcome(participant)
    return user


def update_user(user: ProvisionedUser, resource: dict[str, Any]) -> ProvisionedUser:
    """The User replaced or patched: the participant follows."""
    resource = _storable(resource)
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=user.participant_id)
        user.resource = resource
        user.user_name = _at_most("userName", resource["userName"])
        _user_name_taken(user.connection, user.user_name, user)
        _follow(user, participant)
        _email_taken(user.connection, participant.email, participant)
        participant.save()
        _follow_active(user, participant, resource.get("active") is not False)
        user.save()
        user.participant = participant
    return user


def delete_user(user: ProvisionedUser) -> None:
    """The identity system deleted the User: the person leaves, as if by themselves."""
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=user.participant_id)
        if participant.status != Participant.Status.LEFT:
            participant.leave()
            user.left_by_provisioning = True
        user.groups.clear()
        # Nothing the identity system sent is kept: only that the person was provisioned.
        user.deleted = True
        user.resource = {}
        user.user_name = ""
        user.save()


def follow_groups(users: list[ProvisionedUser]) -> None:
    """The departments of these people after their groups changed."""
    for user in users:
        participant = user.participant
        department = _department(user)
        if participant.department != department:
            participant.department = department
            participant.save(update_fields=["department"])


def set_group(
    group: ProvisionedGroup, display_name: str, external_id: str, member_ids: list[str]
) -> ProvisionedGroup:
    """Creates or replaces a Group with these members (ids of Users)."""
    with transaction.atomic():
        members = list(
            group.connection.users.filter(
                deleted=False, scim_id__in=uuids(member_ids)
            ).select_related("participant")
        )
        found = {str(m.scim_id) for m in members}
        missing = [m for m in member_ids if m not in found]
        if missing:
            raise InvalidValueException(
                detail=_("No user with the id %(id)s is provisioned here.") % {"id": missing[0]}
            )
        before = list(group.members.select_related("participant")) if group.pk else []
        group.display_name = _at_most("displayName", _storable(display_name))
        group.external_id = _at_most("externalId", _storable(external_id))
        group.save()
        group.members.set(members)
        follow_groups(list({u.pk: u for u in [*before, *members]}.values()))
    return group


def delete_group(group: ProvisionedGroup) -> None:
    with transaction.atomic():
        members = list(group.members.select_related("participant"))
        group.delete()
        follow_groups(members)


def uuids(values: list[str]) -> list[str]:
    """The values that are UUIDs (the ids of Users and Groups), in canonical form."""
    result = []
    for value in values:
        try:
            result.append(str(uuid.UUID(value)))
        except (ValueError, AttributeError, TypeError):
            continue
    return result
