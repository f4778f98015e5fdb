"""The insights as pictures, tables and sentences, in the reader's language.

The dashboard and the PDF report both use :func:`charts` and :func:`key_figures`, so
they always say the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kaffeeklatsch.insights import charts as ch
from kaffeeklatsch.insights.metrics import MIN_GROUP, NO_DEPARTMENT, POOL, Insights

DASH = "–"


def department_label(label: str) -> str:
    if label == POOL:
        return _("Smaller departments (fewer than %(n)s people each)") % {"n": MIN_GROUP}
    if label == NO_DEPARTMENT:
        return _("No department given")
    return label


def percent(value: float | None) -> str:
    return DASH if value is None else f"{number_format(value, 0)} %"


def privacy_rule() -> str:
    return _(
        "Privacy: no figure is shown about fewer than %(n)s people. Departments with fewer "
        "than %(n)s people who met are pooled, and a pool that is still too small shows “–”. "
        "The meeting rate of a round shows “–” when fewer than %(n)s people answered. "
        "Nobody has agreed to share their own “Did you meet?” answers, so no export contains "
        "a person's or a group's answers: only these totals."
    ) % {"n": MIN_GROUP}


def not_enough_people_text() -> str:
    return _(
        "This programme has fewer than %(n)s people. To protect their privacy, no figures "
        "are shown until at least %(n)s people have joined."
    ) % {"n": MIN_GROUP}


def definitions() -> list[str]:
    return [
        _(
            "A meeting is a group of a published round, unless everyone in it who answered "
            "“Did you meet?” said no. A connection is a pair of people in one meeting (a group "
            "of three makes three connections); it is new in the first round it appears in."
        ),
        _(
            "The silo index is the share of connections between people of different "
            "departments, divided by the share that pairing the same people at random would "
            "give in each round. 1 means as mixed as chance; above 1 the rounds connect "
            "departments more than chance would; below 1 people stay within their departments."
        ),
    ]


@dataclass(frozen=True)
class KeyFigure:
    value: str
    label: str
    # One plain sentence saying what the figure counts, where it is not obvious.
    meaning: str = ""


def key_figures(insights: Insights) -> list[KeyFigure]:
    m = insights.mixing
    silo = insights.silo
    figures = [
        KeyFigure(str(len(insights.rounds)), _("rounds")),
        KeyFigure(
            str(insights.total_new_connections),
            _("new connections"),
            _("Pairs of people who met for the first time."),
        ),
        KeyFigure(str(m.people_who_met), _("people met someone")),
        KeyFigure(str(m.other_department), _("met someone from another department")),
        KeyFigure(str(m.other_level), _("met someone from another level")),
        KeyFigure(str(m.other_organisation), _("met someone from another organisation")),
    ]
    figures.append(interests_figure(insights))
    index = silo.index
    figures.append(
        KeyFigure(
            DASH if index is None else number_format(index, 2),
            _("silo index"),
            _("1 is as mixed as chance; above 1 more meetings across departments."),
        )
    )
    return figures


def interests_figure(insights: Insights) -> KeyFigure:
    """The groups that shared interests by meaning only: related interests written in
    other words or languages, which only matching by meaning brings together."""
    same_words = sum(r.same_words for r in insights.rounds)
    by_meaning = sum(r.by_meaning for r in insights.rounds)
    return KeyFigure(
        str(by_meaning),
        _("groups shared interests by meaning only"),
        ngettext(
            "Their members wrote related interests in other words or languages, such as "
            "“Wandern” and “Bergsteigen”; %(same)s group shared an interest in the same words.",
            "Their members wrote related interests in other words or languages, such as "
            "“Wandern” and “Bergsteigen”; %(same)s groups shared an interest in the same words.",
            same_words,
        )
        % {"same": same_words},
    )


def silo_sentence(insights: Insights) -> str:
    silo = insights.silo
    if silo.index is None:
        return _("The silo index needs meetings of people from at least two departments.")
    return _(
        "%(across)s of %(total)s connections were across departments (%(observed)s); random "
        "pairing of the same people would give %(expected)s. Silo index: %(index)s."
    ) % {
        "across": silo.across,
        "total": silo.connections,
        "observed": percent(100 * (silo.observed or 0)),
        "expected": percent(100 * (silo.expected or 0)),
        "index": number_format(silo.index, 2),
    }


def _round_label(number: int) -> str:
    return _("Round %(number)s") % {"number": number}


def _day(value: dt.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def charts(insights: Insights) -> list[ch.Chart]:
    return [
        people_chart(insights),
        quality_chart(insights),
        meeting_rate_chart(insights),
        connections_chart(insights),
        heatmap_chart(insights),
        network_chart(insights),
    ]


def people_chart(insights: Insights) -> ch.Chart:
    points = insights.people
    names = [_("Joined"), _("Active"), _("Taking a break"), _("Left")]
    table = ch.Table(
        _("People over time"),
        [_("Day"), *names],
        [
            [
                (_round_label(p.round_number) if p.round_number else _("Today"))
                + f" ({_day(p.day)})",
                str(p.joined),
                str(p.active),
                str(p.paused),
                str(p.left),
            ]
            for p in points
        ],
    )
    description = _(
        "Lines of the people who joined, were active, took a break and had left, on the "
        "day of each round and today. On %(day)s: %(joined)s joined, %(active)s active, "
        "%(paused)s taking a break, %(left)s left."
    )
    if points:
        last = points[-1]
        description %= {
            "day": _day(last.day),
            "joined": last.joined,
            "active": last.active,
            "paused": last.paused,
            "left": last.left,
        }
    else:
        description = _("No rounds in this period.")
    chart = ch.line_chart(
        "people",
        _("People over time"),
        description,
        [(f"#{p.round_number}" if p.round_number else _("Today")) for p in points],
        [
            (names[0], [p.joined for p in points]),
            (names[1], [p.active for p in points]),
            (names[2], [p.paused for p in points]),
            (names[3], [p.left for p in points]),
        ],
        table,
    )
    chart.terms = [
        (names[0], _("Everyone who had joined by that day, also those who left later.")),
        (names[1], _("People who had joined, had not left and were not taking a break.")),
        (names[2], _("People who had not left but paused or skipped that round.")),
        (names[3], _("People who had left the programme by that day.")),
    ]
    return chart


def quality_chart(insights: Insights) -> ch.Chart:
    rounds = insights.rounds
    table = ch.Table(
        _("Rounds and their quality"),
        [
            _("Round"),
            _("Meeting from"),
            _("Groups"),
            _("People"),
            _("Left out"),
            _("Score"),
            _("Best possible (bound)"),
            _("Quality"),
        ],
        [
            [
                _round_label(r.number),
                _day(r.meet_from),
                str(r.groups),
                str(r.people),
                str(r.left_out),
                number_format(r.score, 1),
                number_format(r.bound, 1),
                percent(r.quality),
            ]
            for r in rounds
        ],
    )
    chart = ch.bar_chart(
        "quality",
        _("Quality of each round"),
        _(
            "Bars of each round's score as a percentage of the best score possible (the "
            "proven bound); at 100 the round could not have been better."
        ),
        [f"#{r.number}" for r in rounds],
        [r.quality for r in rounds],
        table,
        top_value=100,
        unit=" %",
    )
    chart.terms = [
        (_("Left out"), _("People of the round who could not be put in any group.")),
        (
            _("Score"),
            _(
                "Points the matching gives a round's groups for what the programme asks for "
                "(new acquaintances, other departments and levels, shared interests, place "
                "and language), added up; higher is better."
            ),
        ),
        (
            _("Best possible (bound)"),
            _("A proven upper limit: no grouping of the same people could score more."),
        ),
        (
            _("Quality"),
            _("The score as a percentage of the best possible; 100 means it could not be better."),
        ),
    ]
    return chart


def meeting_rate_chart(insights: Insights) -> ch.Chart:
    rounds = insights.rounds
    table = ch.Table(
        _("Meeting rate from the “Did you meet?” answers"),
        [
            _("Round"),
            _("People who answered"),
            _("Groups with answers"),
            _("Groups that met"),
            _("Meeting rate"),
        ],
        [
            [
                _round_label(r.number),
                str(r.answers),
                str(r.answered_groups),
                str(r.met_groups) if r.meeting_rate is not None else DASH,
                percent(r.meeting_rate),
            ]
            for r in rounds
        ],
    )
    chart = ch.bar_chart(
        "meeting-rate",
        _("Meeting rate per round"),
        _(
            "Bars of the share of groups with answers in which someone said “we met”. A round "
            "in which fewer than %(n)s people answered shows “–”."
        )
        % {"n": MIN_GROUP},
        [f"#{r.number}" for r in rounds],
        [r.meeting_rate for r in rounds],
        table,
        top_value=100,
        unit=" %",
    )
    chart.terms = [
        (_("People who answered"), _("People who answered “Did you meet?” after the round.")),
        (_("Groups with answers"), _("Groups in which at least one person answered.")),
        (_("Groups that met"), _("Groups with answers in which someone said “we met”.")),
        (_("Meeting rate"), _("Groups that met as a percentage of the groups with answers.")),
    ]
    if any(r.meeting_rate is None for r in rounds):
        chart.note = _("“–”: fewer than %(n)s people answered in this round.") % {"n": MIN_GROUP}
    return chart


def connections_chart(insights: Insights) -> ch.Chart:
    rounds = insights.rounds
    running = 0
    rows = []
    for r in rounds:
        running += r.new_connections
        rows.append([_round_label(r.number), str(r.new_connections), str(running)])
    table = ch.Table(
        _("New connections per round"), [_("Round"), _("New connections"), _("In total")], rows
    )
    chart = ch.bar_chart(
        "connections",
        _("New connections per round"),
        _("Bars of the pairs of people who met for the first time in each round; %(total)s in all.")
        % {"total": running},
        [f"#{r.number}" for r in rounds],
        [r.new_connections for r in rounds],
        table,
    )
    chart.terms = [
        (_("New connections"), _("Pairs of people who met in this round for the first time.")),
        (_("In total"), _("The new connections of this round and all rounds before it.")),
    ]
    return chart


def heatmap_chart(insights: Insights) -> ch.Chart:
    net = insights.network
    labels = [department_label(label) for label in net.labels]
    n = len(labels)
    cells = [[net.cell(i, j) for j in range(n)] for i in range(n)]
    table = ch.Table(
        _("Meetings between departments"),
        [_("Department"), _("People"), *labels],
        [
            [labels[i], DASH if net.hidden[i] else str(net.people[i])]
            + [DASH if v is None else str(v) for v in cells[i]]
            for i in range(n)
        ],
    )
    chart = ch.heatmap(
        "heatmap",
        _("Meetings between departments"),
        _(
            "A matrix with one row and one column per department; each cell holds the number "
            "of connections between people of the two departments, the darker the more. The "
            "diagonal counts meetings within a department."
        ),
        labels,
        cells,
        table,
    )
    chart.terms = [
        (_("People"), _("People of the department who met someone in these rounds.")),
        (
            _("The other columns"),
            _(
                "Each further column counts the connections between people of the row's "
                "department and the column's; where both are the same, within the department."
            ),
        ),
    ]
    if any(net.hidden):
        chart.note = _(
            "“–”: fewer than %(n)s people of this department met anyone, so its figures are "
            "not shown."
        ) % {"n": MIN_GROUP}
    return chart


def network_chart(insights: Insights) -> ch.Chart:
    net = insights.network
    shown = net.shown
    position = {i: k for k, i in enumerate(shown)}
    nodes = [(department_label(net.labels[i]), net.people[i]) for i in shown]
    edges = [
        (position[i], position[j], net.matrix[i][j])
        for i in shown
        for j in shown
        if i < j and net.matrix[i][j]
    ]
    rows = []
    for i in shown:
        across = sum(net.matrix[i][j] for j in shown if j != i)
        rows.append(
            [
                department_label(net.labels[i]),
                str(net.people[i]),
                str(net.matrix[i][i]),
                str(across),
            ]
        )
    table = ch.Table(
        _("Who met whom, by department"),
        [
            _("Department"),
            _("People who met"),
            _("Meetings within"),
            _("Meetings with the other departments shown"),
        ],
        rows,
    )
    chart = ch.network(
        "network",
        _("Who met whom, by department"),
        _(
            "A network of departments: each circle is a department, larger with more people; "
            "each line joins two departments whose people met, thicker with more meetings."
        ),
        nodes,
        edges,
        table,
    )
    chart.terms = [
        (_("People who met"), _("People of the department who met someone in these rounds.")),
        (_("Meetings within"), _("Connections between two people of the department.")),
        (
            _("Meetings with the other departments shown"),
            _("Connections between its people and people of the other departments shown."),
        ),
    ]
    hidden = [department_label(net.labels[i]) for i in range(len(net.labels)) if net.hidden[i]]
    if hidden:
        chart.note = _("Not shown because fewer than %(n)s people: %(names)s.") % {
            "n": MIN_GROUP,
            "names": ", ".join(hidden),
        }
    return chart
