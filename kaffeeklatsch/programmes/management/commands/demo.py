"""``kaffeeklatsch demo``: a demo organiser and one demo programme of each kind — a
workplace, a network across organisations and a neighbourhood café — with fitting
people and history (finished rounds formed by the matching engine, answers to "Did you
meet?", people joining, pausing and leaving), so a newcomer sees a living product and
every picture of the insights shows something. It prints each programme's invitation
link."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.profile import resolve_place, utc_offset_minutes
from kaffeeklatsch.participants.tokens import absolute
from kaffeeklatsch.programmes.kinds import Kind, defaults, windows_of
from kaffeeklatsch.programmes.models import Organiser, Programme
from kaffeeklatsch.rounds.models import Feedback, Round
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round

DEMO_USER = "demo"
DEMO_PROGRAMME = "Kaffeeklatsch im Caritas-Verbund (Demo)"
DEMO_NETWORK = "Netzwerk Soziale Arbeit Rheinland (Demo)"
DEMO_NEIGHBOURHOOD = "Nachbarschaftscafé Südstadt (Demo)"

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

NETWORK_ORGANISATIONS = [
    ("Diakonie Düsseldorf", "Düsseldorf"),
    ("AWO Köln", "Köln"),
    ("Caritasverband Bonn", "Bonn"),
    ("DRK Leverkusen", "Leverkusen"),
    ("Paritätischer Wuppertal", "Wuppertal"),
    ("Sozialdienst katholischer Frauen Aachen", "Aachen"),
]
NETWORK_ROLES = [
    "Sozialarbeiterin",
    "Sozialarbeiter",
    "Schuldnerberatung",
    "Streetwork",
    "Quartiersmanagement",
    "Ehrenamtskoordination",
    "Fachbereichsleitung",
    "Digitalisierungsbeauftragte",
]
NETWORK_INTERESTS = [
    "Digitalisierung",
    "Fundraising",
    "Ehrenamt",
    "Wohnungslosenhilfe",
    "Kinderschutz",
    "Supervision",
    "Öffentlichkeitsarbeit",
    "Künstliche Intelligenz",
    "Datenschutz",
    "Inklusion",
]
NEIGHBOURS = [
    # name, postcode, how they are reached, interests
    ("Gisela Brandt", "50677", "email", ["Spazierengehen", "Stricken"]),
    ("Helmut Vogel", "50678", "phone", ["Karten spielen", "Fußball"]),
    ("Erika Sommer", "50677", "post", ["Garten", "Kochen"]),
    ("Werner Albers", "50676", "phone", ["Geschichte des Viertels", "Spazierengehen"]),
    ("Ursula Engel", "50678", "email", ["Singen", "Kochen"]),
    ("Günter Pohl", "50677", "post", ["Karten spielen", "Garten"]),
    ("Hildegard Roth", "50676", "phone", ["Stricken", "Lesen"]),
    ("Ayşe Yıldız", "50678", "email", ["Kochen", "Spazierengehen"]),
    ("Marianne Thiel", "50677", "email", ["Lesen", "Singen"]),
    ("Klaus Dietrich", "50676", "phone", ["Fußball", "Geschichte des Viertels"]),
    ("Renate Winter", "50678", "email", ["Garten", "Lesen"]),
    ("Dieter Lorenz", "50677", "post", ["Spazierengehen", "Karten spielen"]),
    ("Irmgard Busch", "50676", "email", ["Stricken", "Kochen"]),
    ("Ali Haddad", "50678", "email", ["Fußball", "Kochen"]),
    ("Waltraud Kaiser", "50677", "phone", ["Singen", "Garten"]),
    ("Heinz Marx", "50676", "email", ["Geschichte des Viertels", "Lesen"]),
    ("Olena Kovalenko", "50678", "email", ["Spazierengehen", "Singen"]),
    ("Brigitte Nowak", "50677", "phone", ["Kochen", "Karten spielen"]),
    ("Lisa Franke", "50676", "email", ["Garten", "Spazierengehen"]),
    ("Jonas Ostermann", "50678", "email", ["Fußball", "Lesen"]),
]
JOIN_WAVES = [56, 8, 8, 6, 6, 6]  # people who join before each round (the first: at the start)


class Command(BaseCommand):
    help = "Creates a demo organiser, a demo programme with demo people and one finished round."

    def handle(self, *args: Any, **options: Any) -> None:
        password = secrets.token_urlsafe(9)
        with transaction.atomic():
            user = self._organiser(password)
            programmes = [
                Programme.objects.filter(name=name).first() or make(user)
                for name, make in (
                    (DEMO_PROGRAMME, self._programme),
                    (DEMO_NETWORK, self._network),
                    (DEMO_NEIGHBOURHOOD, self._neighbourhood),
                )
            ]
        lines = [f"  user name: {DEMO_USER}", f"  password:  {password}"]
        for programme in programmes:
            lines += [
                f"  programme: {programme.name} ({programme.participants.count()} people, "
                f"{programme.get_kind_display()})",
                "    invitation link: "
                + absolute(reverse("participants:join", args=[programme.invite_token])),
            ]
        self.stdout.write(
            self.style.SUCCESS("Demo ready: http://localhost:8000/accounts/login/\n")
            + "\n".join(lines)
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

    def _network(self, user: Any) -> Programme:
        """Peers from six organisations of a regional network: monthly, mostly online,
        often in the evening."""
        rng = random.Random(11)
        programme = Programme.objects.create(
            name=DEMO_NETWORK,
            description="Einmal im Monat ein Gespräch mit Fachleuten aus anderen Organisationen.",
            kind=Kind.NETWORK,
            questions=list(defaults(Kind.NETWORK).questions),
            lead_days=defaults(Kind.NETWORK).lead_days,
            language="de",
            cadence="monthly",
            weekday=2,
            weight_organisation=4.0,
            weight_department=0.0,
        )
        Organiser.objects.create(programme=programme, user=user, role=Organiser.Role.OWNER)
        offset = utc_offset_minutes()
        people: list[dict[str, Any]] = []
        names: set[str] = set()
        while len(people) < 28:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            if name in names:
                continue
            names.add(name)
            organisation, place = NETWORK_ORGANISATIONS[len(people) % len(NETWORK_ORGANISATIONS)]
            times = rng.choice([["weekday-evening"], ["weekday-afternoon", "weekday-evening"], []])
            people.append(
                {
                    "name": name,
                    "organisation": organisation,
                    "level": rng.choice(NETWORK_ROLES),
                    "place": place,
                    "mode": rng.choice(["online", "online", "either"]),
                    "interests": rng.sample(NETWORK_INTERESTS, 3),
                    "availability": windows_of(times, offset),
                }
            )
        self._history(programme, user, people, rounds=4, every=28, rng=rng)
        return programme

    def _neighbourhood(self, user: Any) -> Programme:
        """Neighbours in one part of town, many older, some reached by phone or
        letter: every two weeks, in person nearby, afternoons and weekends."""
        rng = random.Random(13)
        programme = Programme.objects.create(
            name=DEMO_NEIGHBOURHOOD,
            description="Gemeinsam statt einsam: alle zwei Wochen ein Kaffee mit jemandem "
            "aus der Nachbarschaft.",
            kind=Kind.NEIGHBOURHOOD,
            questions=list(defaults(Kind.NEIGHBOURHOOD).questions),
            lead_days=defaults(Kind.NEIGHBOURHOOD).lead_days,
            mode=defaults(Kind.NEIGHBOURHOOD).mode,
            max_distance_km=5.0,
            weight_department=0.0,
            weight_level=0.0,
            weight_organisation=0.0,
            language="de",
            cadence="fortnightly",
            weekday=0,
        )
        Organiser.objects.create(programme=programme, user=user, role=Organiser.Role.OWNER)
        offset = utc_offset_minutes()
        people = []
        for index, (name, postcode, reached_by, interests) in enumerate(NEIGHBOURS):
            person: dict[str, Any] = {
                "name": name,
                "place": postcode,
                "mode": "in_person",
                "interests": interests,
                "travel_km": [1, 3, 1, 10][index % 4],
                "reached_by": reached_by,
                "availability": windows_of(
                    [["weekday-afternoon"], ["weekday-morning", "weekend-afternoon"], []][
                        index % 3
                    ],
                    offset,
                ),
            }
            if reached_by != "email":
                person["email"] = ""
                person["phone"] = f"0221 5550{index:03d}"
                person["shares"] = Participant.Shares.PHONE
            if reached_by == "post":
                person["postal_address"] = f"{name}\nMusterstraße {index + 1}\n{postcode} Köln"
            people.append(person)
        self._history(programme, user, people, rounds=4, every=14, rng=rng)
        return programme

    def _history(
        self,
        programme: Programme,
        user: Any,
        people: list[dict[str, Any]],
        rounds: int,
        every: int,
        rng: random.Random,
    ) -> None:
        """Everybody joins before the first of ``rounds`` rounds, ``every`` days apart,
        the last a week ago; a few answer "Did you meet?" and one person leaves."""
        today = timezone.localdate()
        days = [today - dt.timedelta(days=7 + every * k) for k in reversed(range(rounds))]
        joined = timezone.make_aware(
            dt.datetime.combine(days[0] - dt.timedelta(days=10), dt.time(10))
        )
        places: dict[str, Any] = {}
        for index, person in enumerate(people):
            place = person["place"]
            if place not in places:
                places[place] = resolve_place(place)
            location = places[place]
            first, last = person["name"].split(" ", 1)
            fields = {
                "email": _address(first, last),
                "languages": LANGUAGES[index % len(LANGUAGES)][:2],
                **person,
            }
            participant = Participant(
                programme=programme,
                latitude=location.lat if location else None,
                longitude=location.lon if location else None,
                language="de",
                confirmed_at=joined,
                **fields,
            )
            participant.activate()
            participant.save()
        for number, day in enumerate(days, start=1):
            if number == 3:
                leaving = rng.choice(list(programme.participants.filter(status="active")))
                leaving.status = Participant.Status.LEFT
                leaving.left_at = timezone.make_aware(dt.datetime.combine(day, dt.time(8)))
                leaving.save(update_fields=["status", "left_at"])
            rnd = publish_round(preview_round(programme, user, day), notify=False)
            published = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
            Round.objects.filter(pk=rnd.pk).update(published_at=published, created_at=published)
            self._answers(rnd, rng)

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
            email=_address(first, last),
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


def _address(first: str, last: str) -> str:
    """A made-up address at example.org for a demo person."""
    text = f"{first.lower()}.{last.lower()}@example.org"
    for letter, spelled in (("ı", "i"), ("ş", "s"), ("ü", "ue"), ("ö", "oe"), ("ä", "ae")):
        text = text.replace(letter, spelled)
    return text
