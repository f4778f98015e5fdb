from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaffeeklatsch.matching.engine import RulesError
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import LinkError, feedback_answer
from kaffeeklatsch.programmes.access import organiser_view
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Feedback, Group, Round
from kaffeeklatsch.rounds.services import (
    RoundError,
    RuleBroken,
    move_participant,
    preview_round,
    publish_round,
)


@organiser_view
def round_list(request: HttpRequest, programme: Programme) -> HttpResponse:
    available = programme.participants.available_on(timezone.localdate()).count()
    return render(
        request,
        "rounds/list.html",
        {"programme": programme, "rounds": programme.rounds.all(), "available": available},
    )


@require_POST
@organiser_view
def round_preview(request: HttpRequest, programme: Programme) -> HttpResponse:
    try:
        rnd = preview_round(programme, request.user)
    except RulesError:
        messages.error(
            request,
            _(
                "The rules of this programme cannot be used for a round. "
                "Please check the group size (2 to 4) and the maximum distance."
            ),
        )
        return redirect("programmes:edit", programme_id=programme.pk)
    return redirect("rounds:detail", programme_id=programme.pk, round_id=rnd.pk)


@organiser_view
def round_detail(request: HttpRequest, programme: Programme, round_id: int) -> HttpResponse:
    rnd = get_object_or_404(programme.rounds, pk=round_id)
    groups = list(rnd.groups.prefetch_related("members", "feedback"))
    left_out = list(rnd.left_out.select_related("participant"))
    no_email = [m for g in groups for m in g.members.all() if not m.email]
    return render(
        request,
        "rounds/detail.html",
        {
            "programme": programme,
            "round": rnd,
            "groups": groups,
            "left_out": left_out,
            "no_email": no_email,
            "is_preview": rnd.status == Round.Status.PREVIEW,
        },
    )


@require_POST
@organiser_view
def round_move(request: HttpRequest, programme: Programme, round_id: int) -> HttpResponse:
    rnd = get_object_or_404(programme.rounds, pk=round_id, status=Round.Status.PREVIEW)
    try:
        participant_id = int(request.POST.get("participant", ""))
        move_participant(rnd, participant_id, request.POST.get("target", ""))
    except RuleBroken as exc:
        messages.error(
            request,
            _("This move is not possible: it breaks a rule of the programme. %(problems)s")
            % {"problems": " ".join(exc.problems)},
        )
    except (ValueError, Participant.DoesNotExist, RoundError):
        messages.error(request, _("This move is not possible."))
    else:
        messages.success(request, _("Moved."))
    return redirect("rounds:detail", programme_id=programme.pk, round_id=rnd.pk)


@require_POST
@organiser_view
def round_publish(request: HttpRequest, programme: Programme, round_id: int) -> HttpResponse:
    rnd = get_object_or_404(programme.rounds, pk=round_id, status=Round.Status.PREVIEW)
    try:
        rnd = publish_round(rnd)
    except RuleBroken as exc:
        messages.error(
            request,
            _(
                "The round cannot be published as it is: %(problems)s Move these people "
                "or calculate the round again."
            )
            % {"problems": " ".join(exc.problems)},
        )
    except RoundError:
        messages.error(
            request, _("The round cannot be published: every group needs at least two people.")
        )
    else:
        messages.success(
            request,
            _("Round %(number)s is published; the e-mails are on their way.")
            % {"number": rnd.number},
        )
    return redirect("rounds:detail", programme_id=programme.pk, round_id=rnd.pk)


@require_POST
@organiser_view
def round_discard(request: HttpRequest, programme: Programme, round_id: int) -> HttpResponse:
    rnd = get_object_or_404(programme.rounds, pk=round_id, status=Round.Status.PREVIEW)
    rnd.delete()
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


def feedback(request: HttpRequest, token: str) -> HttpResponse:
    """One-click answer to "Did you meet?" from the e-mail; the page lets people change it."""
    try:
        answer = feedback_answer(token)
    except LinkError as exc:
        return render(request, "participants/link_invalid.html", {"why": str(exc)}, status=400)
    group, participant = linked_member(answer.group_id, answer.participant_id)
    with transaction.atomic():
        Feedback.objects.update_or_create(
            group=group, participant=participant, defaults={"met": answer.met}
        )
    from kaffeeklatsch.participants.tokens import feedback_url

    others = [m for m in group.members.all() if m.pk != participant.pk]
    return render(
        request,
        "rounds/feedback.html",
        {
            "participant": participant,
            "others": others,
            "met": answer.met,
            "change_url": feedback_url(group.pk, participant.pk, not answer.met),
        },
    )
