"""What the organiser's round page shows, read so that it stays small and quick at any
size of round: figures aggregated in the database, and the members, answers and
reasons of one page of groups only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kaffeeklatsch.lib.names import NameOrder
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.checks import PROBLEMS_SHOWN, problem_text
from kaffeeklatsch.rounds.figures import BY_MEANING
from kaffeeklatsch.rounds.figures import of as figures_of
from kaffeeklatsch.rounds.models import Feedback, Group, LeftOut, Round, RoundTask, render_reasons

FIGURES = (
    "groups",
    "people",
    "without_email",
    "across_departments",
    "across_levels",
    "across_organisations",
    "in_person",
    "online",
    "either",
    "moved",
    "alone",
    "interests_same_words",
    "interests_by_meaning",
)
# A group scores low when it has less than this share of the round's average score.
LOW_SHARE = 0.5
GROUPS_PER_PAGE = 50
PEOPLE_PER_PAGE = 100
# Search results when choosing the group to move someone into.
TARGETS_SHOWN = 20
# People a search term may name before their groups are found in one query instead.
MATCHES = 500


def _share(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def round_page_url(rnd: Round, target: str = "") -> str:
    """``target`` if it is a page of this round's page (with a search and a filter),
    otherwise the round's first page: where forms on the page return to."""
    own = reverse("rounds:detail", args=[rnd.programme_id, rnd.pk])
    if target.startswith(own + "?") and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return target
    return own


def low_score_below(rnd: Round) -> float:
    counts = figures_of(rnd)["counts"]
    scored = counts.get("scored", 0)
    return LOW_SHARE * counts.get("score_sum", 0.0) / scored if scored else 0.0


def summary(rnd: Round) -> dict[str, Any]:
    """The round's figures: groups, people, mixes, ways of meeting, who was left out
    and why, and for a published round the answers to "Did you meet?"."""
    kept = figures_of(rnd)
    counts = {name: kept["counts"].get(name, 0) for name in FIGURES}
    groups = counts["groups"]
    left_out = sorted(
        (
            {"text": _left_out_text(json.loads(key)), "count": n}
            for key, n in kept["left_out"].items()
        ),
        key=lambda item: -item["count"],
    )
    result = {
        **counts,
        "left_out": left_out,
        "left_out_total": sum(item["count"] for item in left_out),
        "shares": [
            (_("across departments"), _share(counts["across_departments"], groups)),
            (_("across levels"), _share(counts["across_levels"], groups)),
            (_("across organisations"), _share(counts["across_organisations"], groups)),
            *_interest_shares(rnd, counts),
        ],
        "modes": [
            (_("in person"), counts["in_person"]),
            (_("online"), counts["online"]),
            (_("in person or online"), counts["either"]),
        ],
    }
    if rnd.status == Round.Status.PUBLISHED:
        answers = Feedback.objects.filter(group__round=rnd).aggregate(
            answers=Count("id"),
            said_met=Count("id", filter=Q(met=True)),
            groups_met=Count("group", filter=Q(met=True), distinct=True),
        )
        result.update(answers)
        result["met_share"] = _share(answers["groups_met"], groups)
    return result


def _interest_shares(rnd: Round, counts: dict[str, Any]) -> list[tuple[str, int]]:
    """The shares of groups whose members share interests in the same words, and by
    meaning only; the latter only where interests are matched by meaning (or were,
    when the round was formed)."""
    groups = counts["groups"]
    shares = [
        (_("share interests in the same words"), _share(counts["interests_same_words"], groups))
    ]
    if rnd.programme.match_by_meaning or counts["interests_by_meaning"]:
        shares.append(
            (
                _("share interests by meaning only"),
                _share(counts["interests_by_meaning"], groups),
            )
        )
    return shares


def groups_to_fix(rnd: Round) -> list[dict[str, Any]]:
    """The groups of fewer than two people, which keep a preview from being published:
    each with its number and what is wrong, in the active language."""
    groups = (rnd.groups.filter(size__lt=2).order_by("number", "id").prefetch_related("members"))[
        :PROBLEMS_SHOWN
    ]
    found = []
    for group in groups:
        members = list(group.members.all())
        problem = (
            {"rule": "alone", "group": group.number, "name": members[0].name}
            if members
            else {"rule": "empty", "group": group.number}
        )
        found.append({"number": group.number, "text": problem_text(problem)})
    return found


def _left_out_text(reason: dict | None) -> str:
    if not reason:
        return _("taken out by the organiser")
    return render_reasons([reason])[0]


def matching_people(rnd: Round, query: str) -> QuerySet[Participant]:
    """People of the round's programme whose name, e-mail address or department
    contains the search term."""
    return rnd.programme.participants.filter(
        Q(name__icontains=query) | Q(email__icontains=query) | Q(department__icontains=query)
    )


def search_groups(rnd: Round, query: str) -> QuerySet[Group]:
    """Groups of the round with someone the search term names; a term of digits only
    is the group's number."""
    groups = rnd.groups.all()
    query = query.strip()
    if not query:
        return groups
    if query.isdecimal():
        return groups.filter(number=int(query)) if len(query) < 10 else groups.none()
    # The people first (one scan of the programme), then their groups by index; a
    # term that names very many people is left to the database as one query.
    people = list(
        matching_people(rnd, query).order_by().values_list("pk", flat=True)[: MATCHES + 1]
    )
    if len(people) <= MATCHES:
        found = Group.members.through.objects.filter(group__round=rnd, participant_id__in=people)
        ids = set(found.values_list("group_id", flat=True))
        return groups.filter(pk__in=ids)
    return groups.filter(
        Exists(
            Group.members.through.objects.filter(
                group_id=OuterRef("pk"), participant_id__in=matching_people(rnd, query).values("pk")
            )
        )
    )


def filtered_groups(rnd: Round, query: str, show: str) -> QuerySet[Group]:
    groups = search_groups(rnd, query)
    if show == "low":
        groups = groups.filter(Q(score__lt=low_score_below(rnd)) | Q(score__isnull=True))
    elif show == "moved":
        groups = groups.filter(moved=True)
    elif show == "no_email":
        groups = groups.filter(unreached__gt=0)
    return groups.order_by("number", "id")


@dataclass
class Member:
    pk: int
    name: str
    department: str
    level: str
    no_email: bool
    # For people without e-mail: how the organiser reaches them.
    phone_note: str = ""


@dataclass
class GroupView:
    group: Group
    members: list[Member] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    answered: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def explained(self) -> list[tuple[str, bool]]:
        """Each reason in words, and whether it names interests shared by meaning (not
        in the same words), which the page marks as such."""
        codes = [item.get("code") for item in self.group.reasons if isinstance(item, dict)]
        return [(text, code == BY_MEANING) for text, code in zip(self.reasons, codes, strict=False)]


def group_views(groups: list[Group], with_answers: bool) -> list[GroupView]:
    """The members (and answers) of these groups only, in two queries."""
    views = {g.pk: GroupView(g, reasons=g.reason_texts()) for g in groups}
    through = (
        Group.members.through.objects.filter(group_id__in=list(views))
        .order_by("group_id", NameOrder("participant__name"), "participant_id")
        .values_list(
            "group_id",
            "participant_id",
            "participant__name",
            "participant__department",
            "participant__level",
            "participant__email",
            "participant__reached_by",
            "participant__phone_note",
        )
    )
    names: dict[int, str] = {}
    for group_id, pk, name, department, level, email, reached_by, note in through:
        no_email = not Participant.by_email(email, reached_by)
        member = Member(pk, name, department, level, no_email, note if no_email else "")
        views[group_id].members.append(member)
        names[pk] = name
    if with_answers:
        answers = Feedback.objects.filter(group_id__in=list(views)).values_list(
            "group_id", "participant_id", "met"
        )
        for group_id, pk, met in answers.order_by("group_id", "participant_id"):
            if pk in names:
                views[group_id].answered.append((names[pk], met))
    return list(views.values())


def left_out_people(rnd: Round, query: str) -> QuerySet[LeftOut]:
    left = rnd.left_out.select_related("participant").order_by(NameOrder("participant__name"), "id")
    if query:
        left = left.filter(participant__in=matching_people(rnd, query))
    return left


TASK_ERRORS = {
    "rules": gettext_lazy(
        "The rules of this programme cannot be used for a round. "
        "Please check the group size (2 to 4) and the maximum distance."
    ),
    "rule_broken": gettext_lazy(
        "The round cannot be published as it is. Move these people or calculate the round again:"
    ),
    "group_too_small": gettext_lazy(
        "The round cannot be published: every group needs at least two people."
    ),
    "published": gettext_lazy("This round was published already."),
    "gone": gettext_lazy("The preview was discarded or replaced before it could be published."),
    "internal": gettext_lazy(
        "Something went wrong on the server again and again. The administrator "
        "finds the details in the worker's log. Please try again later."
    ),
}


def task_error_text(task: RoundTask) -> str:
    """Why a round task failed, in the active language; empty if it did not."""
    if not task.error:
        return ""
    return str(TASK_ERRORS.get(task.error, TASK_ERRORS["internal"]))


def task_problems(task: RoundTask) -> list[str]:
    """The rules a publication found broken, in the active language."""
    if task.error != "rule_broken":
        return []
    return [problem_text(p) for p in task.problems if isinstance(p, dict)]
