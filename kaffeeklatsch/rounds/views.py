from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kaffeeklatsch.front.paging import KnownCountPaginator, page_links, page_number
from kaffeeklatsch.lib.requests import AuthenticatedHttpRequest
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import (
    LinkError,
    feedback_answer,
    feedback_path,
)
from kaffeeklatsch.programmes.access import organiser_view
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.checks import RoundError, RuleBroken, problem_text
from kaffeeklatsch.rounds.figures import of as figures_of
from kaffeeklatsch.rounds.forms import GroupSearchForm, TargetSearchForm
from kaffeeklatsch.rounds.models import Feedback, Group, LeftOut, Round, RoundTask
from kaffeeklatsch.rounds.moves import groups_to_join, move_participant, partners_for_new_group
from kaffeeklatsch.rounds.pages import (
    GROUPS_PER_PAGE,
    PEOPLE_PER_PAGE,
    TARGETS_SHOWN,
    filtered_groups,
    group_views,
    groups_to_fix,
    left_out_people,
    round_page_url,
    search_groups,
    summary,
    task_error_text,
    task_problems,
)
from kaffeeklatsch.rounds.schedule import letters_post_by
from kaffeeklatsch.rounds.storing import delete_preview
from kaffeeklatsch.rounds.tasks import Busy, active_task, request_preview, request_publish


@organiser_view
def round_list(request: HttpRequest, programme: Programme) -> HttpResponse:
    available = programme.participants.available_on(timezone.localdate()).count()
    # Each round with its number of groups, kept on the round (see rounds/figures.py):
    # counting them here read every group of every round, 50,000 of them for each round
    # of 100,000 people.
    rounds = [(rnd, figures_of(rnd)["counts"].get("groups", 0)) for rnd in programme.rounds.all()]
    return render(
        request,
        "rounds/list.html",
        {
            "programme": programme,
            "rounds": rounds,
            "available": available,
            "task": active_task(programme),
        },
    )


def _busy(request: HttpRequest, task: RoundTask) -> HttpResponse:
    messages.info(
        request,
        _(
            "A round of this programme is already being calculated or published. "
            "Here you see how far it is."
        ),
    )
    return redirect("rounds:task", programme_id=task.programme_id, task_id=task.pk)


@require_POST
@organiser_view
def round_preview(request: AuthenticatedHttpRequest, programme: Programme) -> HttpResponse:
    try:
        task = request_preview(programme, request.user)
    except Busy as exc:
        return _busy(request, exc.task)
    return redirect("rounds:task", programme_id=programme.pk, task_id=task.pk)


def _task_view(task: RoundTask) -> dict[str, Any]:
    """What the task page and its status poll show."""
    return {
        "status": task.status,
        "stage": str(task.get_stage_display()),
        "percent": task.percent,
        "done": task.status == RoundTask.Status.DONE,
        "failed": task.status == RoundTask.Status.FAILED,
        "error": task_error_text(task),
        "problems": task_problems(task),
    }


def _task_result_url(task: RoundTask) -> str:
    if task.status == RoundTask.Status.DONE and task.round_id:
        return reverse("rounds:detail", args=[task.programme_id, task.round_id])
    return ""


@organiser_view
def round_task(request: HttpRequest, programme: Programme, task_id: int) -> HttpResponse:
    """How far a preview or publication is; once it is done, its round."""
    task = get_object_or_404(programme.round_tasks.select_related("round"), pk=task_id)
    result = _task_result_url(task)
    if task.status == RoundTask.Status.DONE and not result:
        # Done, but its preview was replaced or discarded since.
        messages.info(request, _("This preview was replaced or discarded since."))
        return redirect("rounds:list", programme_id=programme.pk)
    if result:
        if task.kind == RoundTask.Kind.PUBLISH and task.round is not None:
            messages.success(
                request,
                _("Round %(number)s is published; the e-mails are on their way.")
                % {"number": task.round.number},
            )
        return redirect(result)
    return render(
        request,
        "rounds/task.html",
        {"programme": programme, "task": task, **_task_view(task)},
    )


@organiser_view
def round_task_status(request: HttpRequest, programme: Programme, task_id: int) -> JsonResponse:
    """The task's progress for the page to poll."""
    task = get_object_or_404(programme.round_tasks, pk=task_id)
    return JsonResponse(
        {
            **_task_view(task),
            "url": reverse("rounds:task", args=[programme.pk, task.pk]),
        },
        headers={"Cache-Control": "no-store"},
    )


@organiser_view
def round_detail(request: HttpRequest, programme: Programme, round_id: int) -> HttpResponse:
    rnd = get_object_or_404(programme.rounds, pk=round_id)
    form = GroupSearchForm(request.GET)
    # A field that does not validate shows its error and is left out of the search.
    form.is_valid()
    query = form.cleaned_data.get("q", "")
    show = form.cleaned_data.get("show", "")
    kept = {key: value for key, value in (("q", query), ("show", show)) if value}
    is_preview = rnd.status == Round.Status.PREVIEW
    context: dict[str, Any] = {
        "programme": programme,
        "round": rnd,
        "form": form,
        "show": show,
        "searched": bool(kept),
        "is_preview": is_preview,
        "summary": summary(rnd),
        "task": active_task(programme),
        "here": request.get_full_path(),
        "post_by": letters_post_by(rnd),
        "today": timezone.localdate(),
    }
    counts = context["summary"]
    # The kept figures say whether a group has one person: the page of a large round
    # does not look through its groups on each visit.
    context["to_fix"] = groups_to_fix(rnd) if is_preview and counts["alone"] else []
    paginator: Paginator[LeftOut] | Paginator[Group]
    page: Page[LeftOut] | Page[Group]
    if show == "left_out":
        people = left_out_people(rnd, query)
        paginator = (
            Paginator(people, PEOPLE_PER_PAGE)
            if query
            else KnownCountPaginator(people, PEOPLE_PER_PAGE, counts["left_out_total"])
        )
        page = paginator.get_page(page_number(request.GET.get("page", "")))
        context["left_out"] = list(page.object_list)
    else:
        groups = filtered_groups(rnd, query, show)
        paginator = (
            Paginator(groups, GROUPS_PER_PAGE)
            if query or show
            else KnownCountPaginator(groups, GROUPS_PER_PAGE, counts["groups"])
        )
        page = paginator.get_page(page_number(request.GET.get("page", "")))
        context["groups"] = group_views(list(page.object_list), with_answers=not is_preview)
    context.update(page=page, count=paginator.count, **page_links(paginator, page, kept))
    return render(request, "rounds/detail.html", context)


@organiser_view
def round_move_form(
    request: HttpRequest, programme: Programme, round_id: int, participant_id: int
) -> HttpResponse:
    """Choosing where a person goes: the group of someone the organiser finds, a new
    group, or out of the round."""
    rnd = get_object_or_404(programme.rounds, pk=round_id, status=Round.Status.PREVIEW)
    person = get_object_or_404(programme.participants, pk=participant_id)
    current = rnd.groups.filter(members=person).first()
    left = rnd.left_out.filter(participant=person).exists()
    if current is None and not left:
        raise Http404
    form = TargetSearchForm(request.GET)
    form.is_valid()
    query = form.cleaned_data.get("q", "")
    found = groups_to_join(rnd, person, search_groups(rnd, query), TARGETS_SHOWN)
    now_in = group_views([current], False)[0] if current else None
    return render(
        request,
        "rounds/move.html",
        {
            "programme": programme,
            "round": rnd,
            "person": person,
            "current": now_in,
            "form": form,
            "query": query,
            "targets": group_views(found, False),
            "partners": partners_for_new_group(rnd, person),
            "shown": TARGETS_SHOWN,
            "next": round_page_url(rnd, request.GET.get("next", "")),
            "others": [m for m in now_in.members if m.pk != person.pk] if now_in else [],
        },
    )


@require_POST
@organiser_view
def round_move(request: HttpRequest, programme: Programme, round_id: int) -> HttpResponse:
    rnd = get_object_or_404(programme.rounds, pk=round_id, status=Round.Status.PREVIEW)
    back = round_page_url(rnd, request.POST.get("next", ""))
    if active_task(programme) is not None:
        messages.error(
            request,
            _("Please wait until the round is calculated or published before moving people."),
        )
        return redirect(back)
    try:
        participant_id = int(request.POST.get("participant", ""))
        partner = request.POST.get("partner", "")
        alone = move_participant(
            rnd,
            participant_id,
            request.POST.get("target", ""),
            int(partner) if partner else None,
        )
    except RuleBroken as exc:
        messages.error(
            request,
            _("This move is not possible: it breaks a rule of the programme. %(problems)s")
            % {"problems": " ".join(exc.problems)},
        )
        # Back to choosing another group.
        again = reverse("rounds:move_to", args=[programme.pk, rnd.pk, participant_id])
        return redirect(f"{again}?{urlencode({'next': back})}")
    except (ValueError, Participant.DoesNotExist, RoundError):
        messages.error(request, _("This move is not possible."))
    else:
        if alone:
            messages.warning(
                request,
                _("Moved, but the round cannot be published like this: %(problems)s")
                % {"problems": " ".join(problem_text(p) for p in alone)},
            )
        else:
            messages.success(request, _("Moved."))
    return redirect(back)


@require_POST
@organiser_view
def round_publish(
    request: AuthenticatedHttpRequest, programme: Programme, round_id: int
) -> HttpResponse:
    rnd = get_object_or_404(programme.rounds, pk=round_id, status=Round.Status.PREVIEW)
    try:
        task = request_publish(rnd, request.user)
    except Busy as exc:
        return _busy(request, exc.task)
    return redirect("rounds:task", programme_id=programme.pk, task_id=task.pk)


@require_POST
@organiser_view
def round_discard(request: HttpRequest, programme: Programme, round_id: int) -> HttpResponse:
    rnd = get_object_or_404(programme.rounds, pk=round_id, status=Round.Status.PREVIEW)
    task = active_task(programme)
    if task is not None:
        return _busy(request, task)
    with transaction.atomic():
        delete_preview(rnd)
    messages.info(request, _("The preview was discarded."))
    return redirect("rounds:list", programme_id=programme.pk)


def linked_member(group_id: int, participant_id: int) -> tuple[Group, Participant]:
    """The group of a published round and one of its members, as named by a signed
    e-mail link; 404 if the round is not published or the person is not in it."""
    group = get_object_or_404(
        Group.objects.select_related("round__programme"),
        pk=group_id,
        round__status=Round.Status.PUBLISHED,
    )
    return group, get_object_or_404(Participant, pk=participant_id, groups=group)


@require_http_methods(["GET", "HEAD", "POST"])
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    """An answer to "Did you meet?" from the e-mail. Opening the link only shows the
    answer and a button: mail scanners open links, and only the button's POST
    records it. The page after it lets people change their answer."""
    try:
        answer = feedback_answer(token)
    except LinkError as exc:
        return render(request, "participants/link_invalid.html", {"why": str(exc)}, status=400)
    group, participant = linked_member(answer.group_id, answer.participant_id)
    others = [m for m in group.members.all() if m.pk != participant.pk]
    if request.method != "POST":
        return render(
            request,
            "rounds/feedback_question.html",
            {"participant": participant, "others": others, "met": answer.met},
        )
    with transaction.atomic():
        Feedback.objects.update_or_create(
            group=group, participant=participant, defaults={"met": answer.met}
        )
    return render(
        request,
        "rounds/feedback.html",
        {
            "participant": participant,
            "others": others,
            "met": answer.met,
            "change_path": feedback_path(group.pk, participant.pk, not answer.met),
        },
    )
