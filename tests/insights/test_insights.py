"""Organiser insights: figures checked against hand-computed ones, privacy, exports,
and who may see them.

The small programme below (built directly, without the engine):

    departments  A: a1..a5   B: b1..b5   C: c1, c2  (C has fewer than five people)
    levels       A and C "staff", B "lead";  organisations: C "Diakonie", the rest "Caritas"

    round 1 (2026-01-05, score 8 of bound 10)
        a1+b1 (a1: met)  a2+b2 (both: not met)  a3+a4  c1+b3 (b3 met, c1 not)  a5+c2
        b4 left out; b5 not in the round (taking a break)
    round 2 (2026-01-19, score 9 of bound 9)
        a1+b1 (a1: met)  a2+b4  a3+b5+c1  b2+c2
    a4 left on 2026-01-12; b3 is paused today (2026-02-01).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from fractions import Fraction
from html import unescape
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from kaffeeklatsch.insights.metrics import POOL, insights, load
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.models import Feedback, Group, LeftOut, Round
from tests.support.web import login

pytestmark = [pytest.mark.database, pytest.mark.django_db]

TODAY = dt.date(2026, 2, 1)


@dataclass
class Small:
    programme: Any
    owner: Any
    people: dict[str, Participant]


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def make_round(programme: Any, number: int, day: dt.date, score: float, bound: float) -> Round:
    return Round.objects.create(
        programme=programme,
        number=number,
        status=Round.Status.PUBLISHED,
        meet_from=day,
        published_at=_at(day),
        score=score,
        bound=bound,
    )


def make_group(rnd: Round, members: list[Participant], answers: dict[Participant, bool]) -> Group:
    group = Group.objects.create(round=rnd, mode="either", score=1.0, reasons=[])
    group.members.set(members)
    for person, met in answers.items():
        Feedback.objects.create(group=group, participant=person, met=met)
    return group


@pytest.fixture
def small(make_organiser: Any, make_programme: Any, make_participant: Any) -> Small:
    owner = make_organiser("owner")
    programme = make_programme(owner, name="Haus & Hof", language="en")
    people: dict[str, Participant] = {}
    for dept, level, org, names in [
        ("A", "staff", "Caritas", ["a1", "a2", "a3", "a4", "a5"]),
        ("B", "lead", "Caritas", ["b1", "b2", "b3", "b4", "b5"]),
        ("C", "staff", "Diakonie", ["c1", "c2"]),
    ]:
        for name in names:
            people[name] = make_participant(
                programme,
                name,
                department=dept,
                level=level,
                organisation=org,
                confirmed_at=_at(dt.date(2026, 1, 1)),
            )
    p = people
    p["a4"].status, p["a4"].left_at = Participant.Status.LEFT, _at(dt.date(2026, 1, 12))
    p["a4"].save()
    p["b3"].paused_until = dt.date(2026, 3, 1)
    p["b3"].save()

    r1 = make_round(programme, 1, dt.date(2026, 1, 5), 8, 10)
    make_group(r1, [p["a1"], p["b1"]], {p["a1"]: True})
    make_group(r1, [p["a2"], p["b2"]], {p["a2"]: False, p["b2"]: False})
    make_group(r1, [p["a3"], p["a4"]], {})
    make_group(r1, [p["c1"], p["b3"]], {p["b3"]: True, p["c1"]: False})
    make_group(r1, [p["a5"], p["c2"]], {})
    LeftOut.objects.create(round=r1, participant=p["b4"], reason={})

    r2 = make_round(programme, 2, dt.date(2026, 1, 19), 9, 9)
    make_group(r2, [p["a1"], p["b1"]], {p["a1"]: True})
    make_group(r2, [p["a2"], p["b4"]], {})
    make_group(r2, [p["a3"], p["b5"], p["c1"]], {})
    make_group(r2, [p["b2"], p["c2"]], {})
    return Small(programme, owner, people)


def test_round_figures_match_the_hand_computed_ones(small: Small) -> None:
    found = insights(load(small.programme, TODAY))
    r1, r2 = found.rounds
    assert (r1.groups, r1.people, r1.left_out, r1.quality) == (5, 10, 1, 80)
    assert (r2.groups, r2.people, r2.left_out, r2.quality) == (4, 9, 0, 100)
    # Round 1: five people answered; of the three answered groups two met.
    assert (r1.answers, r1.answered_groups, r1.met_groups, r1.meeting_rate) == (5, 3, 2, 67)
    # Round 2: one person answered, too few to show a rate.
    assert (r2.answers, r2.meeting_rate) == (1, None)
    # a2+b2 did not meet; a1+b1 is not new in round 2; a3+b5+c1 are three connections.
    assert [r.new_connections for r in found.rounds] == [4, 5]
    assert found.total_new_connections == 9


def test_people_over_time(small: Small) -> None:
    points = insights(load(small.programme, TODAY)).people
    as_tuples = [(p.round_number, p.joined, p.active, p.paused, p.left) for p in points]
    assert as_tuples == [
        (1, 12, 11, 1, 0),  # b5 took a break
        (2, 12, 9, 2, 1),  # a4 had left; a5 and b3 were in no group
        (None, 12, 10, 1, 1),  # today: b3 paused, a4 left
    ]


def test_mixing_counts_people_who_met_someone_different(small: Small) -> None:
    m = insights(load(small.programme, TODAY)).mixing
    # Everyone met someone except nobody; a4 only met a3 (same department, level, org).
    assert m.people_who_met == 12
    assert m.other_department == 11
    assert m.other_level == 10  # not a4, not a5 (a5 only met c2, both "staff")
    assert m.other_organisation == 7  # b3, c1, a5, c2, a3, b5, b2


def test_silo_index_against_random_pairing(small: Small) -> None:
    silo = insights(load(small.programme, TODAY)).silo
    # Round 1: 4 connections, 3 across; 8 people (A 4, B 2, C 2): p = 1 - 16/56 = 5/7.
    # Round 2: 6 connections, all across; 9 people (A 3, B 4, C 2): p = 1 - 20/72 = 13/18.
    expected = (4 * Fraction(5, 7) + 6 * Fraction(13, 18)) / 10
    assert (silo.connections, silo.across) == (10, 9)
    assert silo.observed == pytest.approx(0.9)
    assert silo.expected == pytest.approx(float(expected))
    assert silo.index == pytest.approx(float(Fraction(9, 10) / expected))
    assert round(silo.index, 4) == 1.2517


def test_department_matrix_hides_departments_of_fewer_than_five(small: Small) -> None:
    net = insights(load(small.programme, TODAY)).network
    assert net.labels == ["A", "B", POOL]
    assert net.people == [5, 5, 2]
    assert net.hidden == [False, False, True]
    a, b, pool = 0, 1, 2
    assert net.cell(a, a) == 1 and net.cell(a, b) == 4 and net.cell(b, b) == 0
    assert net.cell(a, pool) is None and net.cell(pool, pool) is None
    # The counts stay in the data (the silo index uses them), they are only not shown.
    assert net.matrix[a][pool] == 2 and net.matrix[b][pool] == 3


def test_a_period_chooses_rounds_and_counts_new_connections_against_all_before(
    small: Small,
) -> None:
    found = insights(load(small.programme, TODAY), start=dt.date(2026, 1, 10))
    assert [r.number for r in found.rounds] == [2]
    assert found.rounds[0].new_connections == 5
    assert (found.silo.connections, found.silo.across) == (6, 6)


def test_the_dashboard_shows_every_picture_with_its_table(small: Small, client: Any) -> None:
    login(client, small.owner)
    response = client.get(reverse("insights:dashboard", args=[small.programme.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for key in ["people", "quality", "meeting-rate", "connections", "heatmap", "network"]:
        assert f'id="chart-{key}" role="img"' in html
        assert f'id="chart-{key}-title"' in html and f'id="chart-{key}-desc"' in html
        assert f'id="table-{key}"' in html
    assert html.count('<th scope="col">') > 20 and '<th scope="row">' in html
    assert "<script" not in html and "onclick" not in html and "style=" not in html
    assert "1.25" in html  # the silo index
    assert "Smaller departments (fewer than 5 people each)" in html
    assert "–" in html and "fewer than 5 people of this department" in html
    assert "no export contains a person's or a group's answers" in unescape(html)
    programme_page = client.get(reverse("programmes:detail", args=[small.programme.pk]))
    assert (
        reverse("insights:dashboard", args=[small.programme.pk]) in programme_page.content.decode()
    )


def test_the_dashboard_speaks_german(small: Small, german_client: Any) -> None:
    login(german_client, small.owner)
    html = german_client.get(reverse("insights:dashboard", args=[small.programme.pk])).content
    text = html.decode()
    assert "Auswertung" in text and "Silo-Index" in text and "1,25" in text


def test_a_programme_of_fewer_than_five_people_shows_no_figures(
    organiser: Any, make_programme: Any, make_participant: Any, client: Any
) -> None:
    programme = make_programme(organiser, name="Tiny", language="en")
    people = [make_participant(programme) for _ in range(4)]
    rnd = make_round(programme, 1, dt.date(2026, 1, 5), 1, 1)
    make_group(rnd, people[:2], {people[0]: True})
    make_group(rnd, people[2:], {people[2]: False})
    login(client, organiser)
    html = client.get(reverse("insights:dashboard", args=[programme.pk])).content.decode()
    assert "This programme has fewer than 5 people" in html
    assert "<svg" not in html
    pdf = client.get(reverse("insights:report", args=[programme.pk])).content
    assert pdf.startswith(b"%PDF")
    assert "fewer than 5 people" in _pdf_text(pdf)


def test_a_wrong_period_is_refused_with_a_message(small: Small, client: Any) -> None:
    login(client, small.owner)
    for name in ["insights:dashboard", "insights:report", "insights:rounds_csv"]:
        response = client.get(
            reverse(name, args=[small.programme.pk]), {"start": "2026-02-01", "end": "2026-01-01"}
        )
        assert response.status_code == 400
        assert "The period must not end before it starts." in response.content.decode()
    response = client.get(reverse("insights:dashboard", args=[small.programme.pk]), {"start": "x"})
    assert response.status_code == 400 and "Enter a valid date." in response.content.decode()


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_groups_csv_is_sent_while_it_is_read_with_every_group_as_before(
    small: Small, client: Any
) -> None:
    """Streamed, a few thousand groups at a time: the rows are those the groups and
    their members give as model instances (members by name, reasons in the reader's
    language), groups nobody is left in included."""
    from kaffeeklatsch.insights import exports

    rnd = Round.objects.get(programme=small.programme, number=2)
    reasons = [{"code": "departments", "params": {"departments": ["A", "B"]}}]
    Group.objects.filter(round=rnd).update(reasons=reasons, score=2.5)
    Group.objects.create(round=rnd, mode="online", score=None, reasons=[])
    exports.GROUPS_AT_ONCE, before = 2, exports.GROUPS_AT_ONCE
    try:
        login(client, small.owner)
        response = client.get(reverse("insights:groups_csv", args=[small.programme.pk]))
        assert response.streaming
        header, *rows = _csv(response)
    finally:
        exports.GROUPS_AT_ONCE = before
    expected = []
    with translation.override("en"):
        for number in (1, 2):
            groups = Group.objects.filter(round__programme=small.programme, round__number=number)
            for k, group in enumerate(groups.order_by("id").prefetch_related("members"), 1):
                members = list(group.members.all())
                expected.append(
                    [
                        str(number),
                        group.round.meet_from.isoformat(),
                        str(k),
                        group.get_mode_display(),
                        str(len(members)),
                        "; ".join(m.name for m in members),
                        "; ".join(m.department for m in members),
                        "" if group.score is None else str(round(group.score, 3)),
                        " ".join(group.reason_texts("en")),
                    ]
                )
    assert rows == expected
    assert rows[-1][3:6] == ["Online", "0", ""]
    assert all(r[8] for r in rows if r[0] == "2" and r[4] != "0")


def test_rounds_csv_and_xlsx(small: Small, client: Any) -> None:
    from openpyxl import load_workbook

    login(client, small.owner)
    rows = _csv(client.get(reverse("insights:rounds_csv", args=[small.programme.pk])))
    header, r1, r2 = rows
    assert header[:2] == ["Round", "Meeting from"] and "Meeting rate (%)" in header
    record = dict(zip(header, r1, strict=True))
    assert record["Meeting from"] == "2026-01-05" and record["Quality (%)"] == "80"
    assert record["People who answered"] == "5" and record["Meeting rate (%)"] == "67"
    assert record["New connections"] == "4"
    assert dict(zip(header, r2, strict=True))["Meeting rate (%)"] == ""  # one answer only

    response = client.get(reverse("insights:rounds_xlsx", args=[small.programme.pk]))
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == header
    assert values[1][0] == 1 and values[1][1].date() == dt.date(2026, 1, 5)
    assert values[1][header.index("Meeting rate (%)")] == 67
    assert values[2][header.index("Meeting rate (%)")] is None


def test_groups_exports_have_the_groups_but_no_answers(small: Small, client: Any) -> None:
    from openpyxl import load_workbook

    login(client, small.owner)
    rows = _csv(client.get(reverse("insights:groups_csv", args=[small.programme.pk])))
    header, *groups = rows
    assert len(groups) == 9
    assert header == [
        "Round",
        "Meeting from",
        "Group",
        "How",
        "Size",
        "People",
        "Departments",
        "Score",
        "Why these people",
    ]
    assert groups[0][:6] == ["1", "2026-01-05", "1", "In person or online", "2", "a1; b1"]
    assert ["2", "2026-01-19", "3"] == groups[7][:3] and groups[7][5] == "a3; b5; c1"
    content = client.get(reverse("insights:groups_xlsx", args=[small.programme.pk])).content
    sheet = load_workbook(io.BytesIO(content)).active
    xlsx_rows = list(sheet.iter_rows(values_only=True))
    assert len(xlsx_rows) == 10 and xlsx_rows[8][5] == "a3; b5; c1"
    # Nobody agreed to share their answers: no column says who met.
    for text in header:
        assert "met" not in text.lower() and "answer" not in text.lower()
    period = client.get(
        reverse("insights:groups_csv", args=[small.programme.pk]), {"start": "2026-01-10"}
    )
    assert len(_csv(period)) == 5


def test_exports_defuse_spreadsheet_formulas(small: Small, client: Any) -> None:
    small.people["a1"].name = '=HYPERLINK("http://x")'
    small.people["a1"].save()
    login(client, small.owner)
    rows = _csv(client.get(reverse("insights:groups_csv", args=[small.programme.pk])))
    assert rows[1][5].startswith("'=HYPERLINK")


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_report_of_a_period(small: Small, client: Any) -> None:
    login(client, small.owner)
    response = client.get(
        reverse("insights:report", args=[small.programme.pk]),
        {"start": "2026-01-01", "end": "2026-01-31"},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = " ".join(_pdf_text(response.content).split())
    assert "Kaffeeklatsch report: Haus & Hof" in text
    assert "Rounds from" in text
    for title in [
        "People over time",
        "Quality of each round",
        "Meeting rate per round",
        "New connections per round",
        "Meetings between departments",
        "Who met whom, by department",
    ]:
        assert title in text
    assert "Silo index: 1.25" in text
    only_round_two = client.get(
        reverse("insights:report", args=[small.programme.pk]), {"start": "2026-01-10"}
    )
    assert "Round 1 " not in " ".join(_pdf_text(only_round_two.content).split())


def test_a_period_without_rounds_and_a_programme_without_rounds(
    small: Small, make_programme: Any, make_participant: Any, client: Any
) -> None:
    login(client, small.owner)
    url = reverse("insights:dashboard", args=[small.programme.pk])
    response = client.get(url, {"start": "2020-01-01", "end": "2020-01-31"})
    assert response.status_code == 200
    assert "No rounds in this period." in response.content.decode()
    pdf = client.get(
        reverse("insights:report", args=[small.programme.pk]),
        {"start": "2020-01-01", "end": "2020-01-31"},
    )
    assert pdf.content.startswith(b"%PDF")

    fresh = make_programme(small.owner, name="Fresh", language="en")
    for _ in range(6):
        make_participant(fresh, confirmed_at=_at(dt.date(2026, 1, 1)))
    html = client.get(reverse("insights:dashboard", args=[fresh.pk])).content.decode()
    assert 'id="chart-people" role="img"' in html
    assert "The silo index needs meetings of people from at least two departments." in html
    rows = _csv(client.get(reverse("insights:rounds_csv", args=[fresh.pk])))
    assert len(rows) == 1


def test_the_network_stays_readable_at_a_thousand_people() -> None:
    """1,000 people in 40 departments: the picture keeps its size and shows at most
    MAX_DEPARTMENTS departments plus one pool, whatever the number of people."""
    from kaffeeklatsch.insights import charts as ch
    from kaffeeklatsch.insights.metrics import (
        MAX_DEPARTMENTS,
        Data,
        GroupRecord,
        PersonRecord,
        RoundRecord,
    )
    from kaffeeklatsch.insights.present import network_chart

    joined = dt.date(2026, 1, 1)
    people = {
        i: PersonRecord(i, f"Department {i % 40:02d}", "", "", "active", joined, None, False)
        for i in range(1000)
    }
    rounds = tuple(
        RoundRecord(
            id=n,
            number=n,
            meet_from=joined + dt.timedelta(days=14 * n),
            score=1,
            bound=1,
            groups=tuple(
                GroupRecord(n * 1000 + k, (k, (k * 7 + n * 13 + 1) % 1000))
                for k in range(0, 1000, 2)
            ),
        )
        for n in range(1, 7)
    )
    found = insights(Data(people, rounds, dt.date(2026, 6, 1)))
    assert len(found.network.labels) == MAX_DEPARTMENTS + 1
    assert found.network.labels[-1] == POOL and not any(found.network.hidden)
    assert sum(found.network.people) == 1000
    chart = network_chart(found)
    circles = [s for s in chart.shapes if isinstance(s, ch.Circle)]
    assert len(circles) == MAX_DEPARTMENTS + 1
    assert (chart.width, chart.height) == (640.0, 520.0)
    assert all(0 <= c.cx - c.r and c.cx + c.r <= chart.width for c in circles)
    assert all(0 <= c.cy - c.r and c.cy + c.r <= chart.height for c in circles)


def test_the_pdf_report_writes_names_beyond_latin_1(small: Small, client: Any) -> None:
    Participant.objects.filter(department="A").update(department="Açık Kapı")
    login(client, small.owner)
    content = client.get(reverse("insights:report", args=[small.programme.pk])).content
    assert "Açık Kapı" in _pdf_text(content)
