"""``kaffeeklatsch demo``: a demo organiser, a demo programme with demo people and three
months of history (six finished rounds formed by the matching engine, answers to "Did
you meet?", people joining, pausing and leaving), so a newcomer sees a living product and
every picture of the insights shows something."""

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
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round

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

# Colleagues who join over the months, made from these names; the larger departments
# come up more often, a few small ones stay under five people.
FIRST_NAMES = [
    "Alexander",
    "Birgit",
    "Cem",
    "Doris",
    "Emil",
    "Franziska",
    "Gregor",
    "Hanna",
    "Ismail",
    "Jana",
    "Kevin",
    "Lena",
    "Malte",
    "Nadine",
    "Oskar",
    "Paula",
    "Rainer",
    "Selin",
    "Timo",
    "Ute",
    "Viktor",
    "Wiebke",
    "Yusuf",
    "Zoe",
    "Bernd",
    "Carla",
    "Dennis",
    "Esra",
]
LAST_NAMES = [
    "Albers",
    "Brandt",
    "Celik",
    "Dietrich",
    "Engel",
    "Fischer",
    "Günther",
    "Hartmann",
    "Jansen",
    "Kaiser",
    "Lorenz",
    "Marx",
    "Nowak",
    "Ostermann",
    "Pohl",
    "Roth",
    "Sommer",
    "Thiel",
    "Vogel",
    "Winter",
    "Ziegler",
    "Arslan",
    "Busch",
    "Franke",
]
DEPARTMENT_WEIGHTS = {
    "Pflege": 9,
    "Jugendhilfe": 7,
    "Kita": 7,
    "Verwaltung": 5,
    "Beratung": 5,
    "Seniorenarbeit": 5,
    "Migrationsdienst": 4,
    "Ehrenamt": 4,
    "IT": 3,
    "Finanzen": 2,
    "Personal": 2,
    "Haustechnik": 1,
    "Öffentlichkeitsarbeit": 1,
}
LEVELS = [
    "Fachkraft",
    "Fachkraft",
    "Fachkraft",
    "Teamleitung",
    "Sachbearbeitung",
    "Auszubildende",
    "Bereichsleitung",
]
PLACES = ["Köln", "Köln", "Köln", "Bonn", "Leverkusen", "Bergisch Gladbach", "Düsseldorf"]
ORGANISATIONS = {
    "Köln": "Caritasverband Köln",
    "Bonn": "Caritasverband Bonn",
    "Leverkusen": "Caritasverband Leverkusen",
    "Bergisch Gladbach": "Caritas Rhein-Berg",
    "Düsseldorf": "Caritasverband Düsseldorf",
}
ROUNDS = 6
JOIN_WAVES = [56, 8, 8, 6, 6, 6]  # people who join before each round (the first: at the start)


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
        today = timezone.localdate()
        days = [today - dt.timedelta(days=7 + 14 * k) for k in reversed(range(ROUNDS))]
        people = self._colleagues(rng)
        places: dict[str, Any] = {}
        for number, day in enumerate(days, start=1):
            joined_on = day - dt.timedelta(days=14 if number == 1 else 5)
            wave, people = people[: JOIN_WAVES[number - 1]], people[JOIN_WAVES[number - 1] :]
            for index, person in enumerate(wave):
                self._join(programme, person, joined_on, places, rng, index)
            self._breaks_and_leaving(programme, number, day, rng)
            rnd = publish_round(preview_round(programme, user, day), notify=False)
            published = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
            Round.objects.filter(pk=rnd.pk).update(published_at=published, created_at=published)
            self._answers(rnd, rng)
        # Today some people take a break from the next round.
        active = list(programme.participants.filter(status=Participant.Status.ACTIVE))
        for participant in rng.sample(active, 3):
            participant.paused_until = today + dt.timedelta(days=rng.choice([10, 20, 30]))
            participant.save(update_fields=["paused_until"])
        return programme

    def _colleagues(self, rng: random.Random) -> list[tuple[str, str, str, str]]:
        """The named people first, then generated colleagues, as (name, department,
        level, place)."""
        people = list(PEOPLE)
        names = {p[0] for p in people}
        departments = list(DEPARTMENT_WEIGHTS)
        weights = list(DEPARTMENT_WEIGHTS.values())
        while len(people) < sum(JOIN_WAVES):
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            if name in names:
                continue
            names.add(name)
            department = rng.choices(departments, weights)[0]
            people.append((name, department, rng.choice(LEVELS), rng.choice(PLACES)))
        return people

    def _join(
        self,
        programme: Programme,
        person: tuple[str, str, str, str],
        day: dt.date,
        places: dict[str, Any],
        rng: random.Random,
        index: int,
    ) -> Participant:
        name, department, level, place = person
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
            organisation=ORGANISATIONS.get(place, "Caritas-Verbund"),
            level=level,
            languages=LANGUAGES[index % len(LANGUAGES)],
            place=place,
            latitude=location.lat if location else None,
            longitude=location.lon if location else None,
            mode=["either", "in_person", "online"][index % 3],
            interests=rng.sample(INTERESTS, 3),
            language="de",
            confirmed_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10))),
        )
        participant.activate()
        participant.save()
        return participant

    def _breaks_and_leaving(
        self, programme: Programme, number: int, day: dt.date, rng: random.Random
    ) -> None:
        """Before each round a few people skip it; after the second and the fourth
        round some leave."""
        active = list(programme.participants.filter(status=Participant.Status.ACTIVE))
        if number in (3, 5):
            leaving = [p for p in rng.sample(active, 3) if p.name != PEOPLE[0][0]]
            for participant in leaving:
                participant.status = Participant.Status.LEFT
                participant.left_at = timezone.make_aware(
                    dt.datetime.combine(day - dt.timedelta(days=3), dt.time(12))
                )
                participant.save(update_fields=["status", "left_at"])
            active = [p for p in active if p not in leaving]
        skipping = [p.pk for p in rng.sample(active, rng.randint(2, 5)) if p.name != PEOPLE[0][0]]
        programme.participants.filter(pk__in=skipping).update(skip_next_round=True)

    def _answers(self, rnd: Round, rng: random.Random) -> None:
        """About half answer "Did you meet?"; most groups met."""
        for group in rnd.groups.prefetch_related("members"):
            met = rng.random() < 0.8
            for member in group.members.all():
                if rng.random() < 0.55:
                    Feedback.objects.create(group=group, participant=member, met=met)
