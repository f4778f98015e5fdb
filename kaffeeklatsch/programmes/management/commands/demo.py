"""``kaffeeklatsch demo``: a demo organiser, a demo programme with demo people and
one finished round, so a newcomer sees a living product at once."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.profile import resolve_place
from kaffeeklatsch.programmes.models import Organiser, Programme
from kaffeeklatsch.rounds.models import Feedback, Round
from kaffeeklatsch.rounds.services import preview_round, publish_round

DEMO_USER = "demo"
DEMO_PROGRAMME = "Kaffeeklatsch im Caritas-Verbund (Demo)"

PEOPLE = [
    ("Anna Schmidt", "Pflege", "Fachkraft", "Köln"),
    ("Mehmet Yılmaz", "Jugendhilfe", "Teamleitung", "Köln"),
    ("Sabine Müller", "Verwaltung", "Sachbearbeitung", "Bonn"),
    ("Thomas Becker", "IT", "Fachkraft", "Köln"),
    ("Julia Wagner", "Kita", "Erzieherin", "Leverkusen"),
    ("Lukas Hoffmann", "Beratung", "Fachkraft", "Bonn"),
    ("Elif Demir", "Migrationsdienst", "Fachkraft", "Köln"),
    ("Monika Schulz", "Personal", "Bereichsleitung", "Köln"),
    ("Peter Koch", "Pflege", "Pflegedienstleitung", "Bergisch Gladbach"),
    ("Katharina Richter", "Öffentlichkeitsarbeit", "Referentin", "Köln"),
    ("Stefan Klein", "Finanzen", "Teamleitung", "Bonn"),
    ("Olga Petrova", "Pflege", "Auszubildende", "Köln"),
    ("Jonas Wolf", "Jugendhilfe", "Fachkraft", "Leverkusen"),
    ("Laura Neumann", "Kita", "Leitung", "Köln"),
    ("Andreas Schwarz", "Geschäftsführung", "Vorstand", "Köln"),
    ("Fatima Haddad", "Beratung", "Fachkraft", "Düsseldorf"),
    ("Markus Zimmermann", "Haustechnik", "Fachkraft", "Köln"),
    ("Christina Braun", "Verwaltung", "Teamleitung", "Bonn"),
    ("Daniel Krüger", "IT", "Auszubildender", "Köln"),
    ("Sarah Hofmann", "Ehrenamt", "Koordination", "Bergisch Gladbach"),
    ("Hans Lange", "Ehrenamt", "Ehrenamtlicher", "Köln"),
    ("Ingrid Schmitt", "Seniorenarbeit", "Fachkraft", "Leverkusen"),
    ("Nils Werner", "Jugendhilfe", "Auszubildender", "Bonn"),
    ("Aylin Kaya", "Pflege", "Fachkraft", "Köln"),
    ("Michael Krause", "Qualitätsmanagement", "Referent", "Köln"),
    ("Petra Meier", "Seniorenarbeit", "Teamleitung", "Bonn"),
    ("Tobias Lehmann", "Finanzen", "Sachbearbeitung", "Köln"),
    ("Svetlana Ivanova", "Migrationsdienst", "Teamleitung", "Düsseldorf"),
    ("Jan Köhler", "Beratung", "Auszubildender", "Köln"),
    ("Renate Huber", "Personal", "Sachbearbeitung", "Leverkusen"),
]
INTERESTS = [
    "Gärtnern",
    "Fußball",
    "Radfahren",
    "Kochen",
    "Digitalisierung",
    "Lesen",
    "Wandern",
    "Fotografie",
    "Musik",
    "Ehrenamt",
    "Yoga",
    "Nachhaltigkeit",
    "Reisen",
    "Brettspiele",
    "Künstliche Intelligenz",
    "Chor",
    "Tanzen",
    "Hunde",
]
LANGUAGES = [["de"], ["de", "en"], ["de", "tr"], ["de", "ru"], ["de", "ar"], ["de", "en", "fr"]]


class Command(BaseCommand):
    help = "Creates a demo organiser, a demo programme with demo people and one finished round."

    def handle(self, *args: Any, **options: Any) -> None:
        password = secrets.token_urlsafe(9)
        with transaction.atomic():
            user = self._organiser(password)
            programme = Programme.objects.filter(name=DEMO_PROGRAMME).first()
            if programme is None:
                programme = self._programme(user)
        self.stdout.write(
            self.style.SUCCESS("Demo ready: http://localhost:8000/accounts/login/\n")
            + f"  user name: {DEMO_USER}\n  password:  {password}\n"
            + f"  programme: {programme.name} ({programme.participants.count()} people)"
        )

    def _organiser(self, password: str) -> Any:
        User = get_user_model()
        user, _created = User.objects.get_or_create(
            username=DEMO_USER,
            defaults={"email": "demo@example.org", "first_name": "Demo", "last_name": "Organiser"},
        )
        user.set_password(password)
        user.save()
        return user

    def _programme(self, user: Any) -> Programme:
        rng = random.Random(7)
        programme = Programme.objects.create(
            name=DEMO_PROGRAMME,
            description="Jede zweite Woche ein Kaffee mit jemandem aus einem anderen Bereich.",
            language="de",
            cadence="fortnightly",
            weekday=1,
        )
        Organiser.objects.create(programme=programme, user=user, role=Organiser.Role.OWNER)
        places: dict[str, Any] = {}
        for index, (name, department, level, place) in enumerate(PEOPLE):
            if place not in places:
                places[place] = resolve_place(place)
            location = places[place]
            first, last = name.split(" ", 1)
            participant = Participant(
                programme=programme,
                name=name,
                email=f"{first.lower()}.{last.lower()}@example.org".replace("ı", "i")
                .replace("ü", "ue")
                .replace("ö", "oe")
                .replace("ä", "ae"),
                department=department,
                organisation="Caritas-Verbund",
                level=level,
                languages=LANGUAGES[index % len(LANGUAGES)],
                place=place,
                latitude=location.lat if location else None,
                longitude=location.lon if location else None,
                mode=["either", "in_person", "online"][index % 3],
                interests=rng.sample(INTERESTS, 3),
                language="de",
            )
            participant.activate()
            participant.save()
        week_ago = timezone.localdate() - dt.timedelta(days=7)
        rnd = publish_round(preview_round(programme, user, week_ago), notify=False)
        Round.objects.filter(pk=rnd.pk).update(published_at=timezone.now() - dt.timedelta(days=7))
        for group in rnd.groups.prefetch_related("members"):
            for member in group.members.all():
                if rng.random() < 0.7:
                    Feedback.objects.create(
                        group=group, participant=member, met=rng.random() < 0.85
                    )
        return programme
