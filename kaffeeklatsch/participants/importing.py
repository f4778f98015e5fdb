"""Adding many people at once from a CSV file, with the engine's CSV reader.

The organiser first sees a preview (every person to be added, every rejected row
with its reason); on confirmation all accepted people are added in one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kaffeeklatsch.matching.csvio import CsvError, parse_people
from kaffeeklatsch.matching.model import Person
from kaffeeklatsch.notifications.emails import queue_welcome
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme


@dataclass
class Rejected:
    line: int
    text: str


@dataclass
class ImportPreview:
    accepted: list[tuple[int, Person]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    error: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.accepted)

    @property
    def fingerprint(self) -> str:
        """Names what this preview would add, so a confirmation adds exactly that."""
        digest = hashlib.sha256()
        for line, person in self.accepted:
            digest.update(f"{line}\0{person.id}\0{person.email}\0{person.name}\n".encode())
        return digest.hexdigest()[:32]


class PreviewChanged(ValueError):
    """The file would now add other people than the preview the organiser confirmed."""


def preview(programme: Programme, data: bytes) -> ImportPreview:
    lang = (get_language() or "en")[:2]
    result = ImportPreview()
    try:
        table = parse_people(data)
    except CsvError as exc:
        result.error = [p.text(lang) for p in exc.problems]
        return result
    result.rejected = [Rejected(p.line, p.text(lang)) for p in table.problems]
    known = set(programme.participants.exclude(email="").values_list("email", flat=True))
    seen: set[str] = set()
    for line, person in zip(table.lines, table.people, strict=True):
        email = person.email.strip().lower()
        if email and email in known:
            result.rejected.append(
                Rejected(
                    line,
                    _("Line %(line)s: %(email)s is already taking part.")
                    % {"line": line, "email": email},
                )
            )
        elif email and not programme.email_allowed(email):
            result.rejected.append(
                Rejected(
                    line,
                    _("Line %(line)s: %(email)s is not an allowed address for this programme.")
                    % {"line": line, "email": email},
                )
            )
        elif email and email in seen:
            result.rejected.append(
                Rejected(
                    line,
                    _("Line %(line)s: %(email)s appears twice in the file.")
                    % {"line": line, "email": email},
                )
            )
        else:
            seen.add(email)
            result.accepted.append((line, person))
    result.rejected.sort(key=lambda r: r.line)
    return result


def import_people(
    programme: Programme, data: bytes, fingerprint: str | None = None
) -> list[Participant]:
    """Adds every accepted person of the file, all or none, and welcomes them by e-mail.

    With ``fingerprint`` (of the preview the organiser saw), nothing is added unless the
    file would add exactly those people now: someone may have joined in between with an
    address of the file. The check and the import hold the programme's row lock, so two
    confirmations of the same file cannot both add it.
    """
    created: dict[str, Participant] = {}
    with transaction.atomic():
        Programme.objects.select_for_update().filter(pk=programme.pk).first()
        result = preview(programme, data)
        if not result.ok:
            raise ValueError("nothing to import")
        if fingerprint is not None and fingerprint != result.fingerprint:
            raise PreviewChanged("the preview changed")
        for _line, person in result.accepted:
            location = person.location
            participant = Participant(
                programme=programme,
                name=person.name[:120],
                email=person.email.strip().lower(),
                department=person.department[:120],
                organisation=person.organisation[:120],
                level=person.level[:80],
                languages=list(person.languages),
                place=(location.label if location else "")[:120],
                latitude=location.lat if location else None,
                longitude=location.lon if location else None,
                mode=person.mode.value,
                interests=list(person.interests),
                availability=[[s.weekday, s.start, s.end] for s in person.availability],
                language=programme.language,
                external_id=person.id[:120],
                added_by_organiser=True,
                # Without an address the organiser reaches them: by phone until told otherwise.
                reached_by=(
                    Participant.ReachedBy.EMAIL
                    if person.email.strip()
                    else Participant.ReachedBy.PHONE
                ),
            )
            participant.activate()
            participant.save()
            created[person.id] = participant
        for _line, person in result.accepted:
            targets = [created[b] for b in person.blocked if b in created]
            if targets:
                created[person.id].blocked.add(*targets)
        for participant in created.values():
            if participant.email:
                queue_welcome(participant)
    return list(created.values())
