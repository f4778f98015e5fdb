from __future__ import annotations

import secrets

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kaffeeklatsch.downloads.build import CSV
from kaffeeklatsch.downloads.models import Download
from kaffeeklatsch.downloads.responses import file_response, send_or_offer
from kaffeeklatsch.jobs.queue import enqueue
from kaffeeklatsch.notifications.calendar import cancel_meeting
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import LinkError
from kaffeeklatsch.programmes.access import organiser_view, participant_view
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.reach import deliveries, letters
from kaffeeklatsch.reach.channels import TRANSPORTS
from kaffeeklatsch.reach.forms import (
    ChannelForm,
    HandleForm,
    MeetingUpdateForm,
    OrganiserAnswerForm,
    ReminderForm,
)
from kaffeeklatsch.reach.models import ChatChannel, ChatHandle, MeetingUpdate, ReminderSetting
from kaffeeklatsch.reach.tokens import update_answer
from kaffeeklatsch.rounds.models import Feedback, Group, Round
from kaffeeklatsch.rounds.pages import round_page_url
from kaffeeklatsch.rounds.views import linked_member

# ---------------------------------------------------------------------------
# Organisers: channels and reminders of a programme


def _reminder_setting(programme: Programme) -> ReminderSetting:
    return ReminderSetting.objects.filter(programme=programme).first() or ReminderSetting(
        programme=programme
    )


@organiser_view
def reach_settings(request: HttpRequest, programme: Programme) -> HttpResponse:
    setting = _reminder_setting(programme)
    form = ReminderForm(request.POST or None, instance=setting)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The reminder setting is saved."))
        return redirect("reach:settings", programme_id=programme.pk)
    waiting = deliveries.waiting_counts(programme)
    # Each channel with the number of its messages waiting for another try.
    channels = [(channel, waiting.get(channel.pk, 0)) for channel in programme.channels.all()]
    failed, failed_total = deliveries.undelivered(programme)
    return render(
        request,
        "reach/settings.html",
        {
            "programme": programme,
            "form": form,
            "channels": channels,
            "kinds": [(kind, t.label) for kind, t in TRANSPORTS.items()],
            "failed": failed,
            "failed_total": failed_total,
            "refused": deliveries.refused_handles(programme),
        },
    )


@require_POST
@organiser_view
def handle_try_again(request: HttpRequest, programme: Programme, handle_id: int) -> HttpResponse:
    """Lets later rounds (and the failed direct messages) try a refused handle again."""
    handle = deliveries.try_handle_again(programme, handle_id)
    if handle is None:
        raise Http404
    messages.success(
        request,
        _("%(name)s’s chat handle is tried again.") % {"name": handle.participant.name},
    )
    return redirect("reach:settings", programme_id=programme.pk)


@require_POST
@organiser_view
def send_again(request: HttpRequest, programme: Programme, job_id: int) -> HttpResponse:
    """Sends a chat message that finally failed once more, from its first attempt."""
    job = deliveries.send_again(programme, job_id)
    if job is None:
        raise Http404
    messages.success(
        request, _("The message is on its way again; reload this page in a minute to see it.")
    )
    rnd = programme.rounds.filter(pk=job.payload.get("round")).first()
    target = request.POST.get("next", "")
    if rnd is not None and target:
        return redirect(round_page_url(rnd, target))
    return redirect("reach:settings", programme_id=programme.pk)


@organiser_view
def channel_add(request: HttpRequest, programme: Programme, kind: str) -> HttpResponse:
    transport = TRANSPORTS.get(kind)
    if transport is None:
        raise Http404
    form = ChannelForm(request.POST or None, transport=transport)
    if request.method == "POST" and form.is_valid():
        ChatChannel.objects.create(
            programme=programme, kind=kind, name=form.cleaned_data["name"], config=form.config
        )
        messages.success(request, _("%(platform)s is connected.") % {"platform": transport.label})
        return redirect("reach:settings", programme_id=programme.pk)
    return render(
        request,
        "reach/channel_form.html",
        {"programme": programme, "form": form, "transport": transport},
    )


@organiser_view
def channel_edit(request: HttpRequest, programme: Programme, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(programme.channels, pk=channel_id)
    transport = TRANSPORTS[channel.kind]
    form = ChannelForm(request.POST or None, transport=transport, instance=channel)
    if request.method == "POST" and form.is_valid():
        channel.name = form.cleaned_data["name"]
        channel.config = form.config
        channel.last_error = ""
        channel.save()
        messages.success(request, _("The channel is saved."))
        return redirect("reach:settings", programme_id=programme.pk)
    return render(
        request,
        "reach/channel_form.html",
        {"programme": programme, "form": form, "transport": transport, "channel": channel},
    )


@require_POST
@organiser_view
def channel_remove(request: HttpRequest, programme: Programme, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(programme.channels, pk=channel_id)
    channel.delete()
    messages.success(request, _("The channel is disconnected and its settings are erased."))
    return redirect("reach:settings", programme_id=programme.pk)


@require_POST
@organiser_view
def channel_test(request: HttpRequest, programme: Programme, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(programme.channels, pk=channel_id)
    enqueue("reach_test", {"channel": channel.pk, "key": secrets.token_hex(8)})
    messages.success(
        request, _("A test message is on its way; reload this page in a minute to see the result.")
    )
    return redirect("reach:settings", programme_id=programme.pk)


# ---------------------------------------------------------------------------
# Organisers: a round's letters, phone list and answers entered by hand


def _published(programme: Programme, round_id: int) -> Round:
    return get_object_or_404(programme.rounds, pk=round_id, status=Round.Status.PUBLISHED)


@organiser_view
def letters_pdf(request: HttpRequest, programme: Programme, round_id: int) -> HttpResponseBase:
    rnd = _published(programme, round_id)
    return send_or_offer(request, programme, Download.Kind.LETTERS_PDF, rnd)


@organiser_view
def phone_list_pdf(request: HttpRequest, programme: Programme, round_id: int) -> HttpResponseBase:
    rnd = _published(programme, round_id)
    return send_or_offer(request, programme, Download.Kind.PHONE_LIST_PDF, rnd)


@organiser_view
def phone_list_csv(request: HttpRequest, programme: Programme, round_id: int) -> HttpResponseBase:
    rnd = _published(programme, round_id)
    # Sent while it is read: the phone list of a large round is long.
    lines = letters.phone_list_csv(rnd)
    return file_response(lines, CSV, f"kaffeeklatsch-phone-{rnd.number}.csv")


@require_POST
@organiser_view
def enter_answer(request: HttpRequest, programme: Programme, round_id: int) -> HttpResponse:
    rnd = _published(programme, round_id)
    form = OrganiserAnswerForm(request.POST)
    back = round_page_url(rnd, request.POST.get("next", ""))
    group = None
    if form.is_valid():
        group = rnd.groups.filter(members__pk=form.cleaned_data["participant"]).first()
    if group is not None:
        participant = group.members.get(pk=form.cleaned_data["participant"])
        with transaction.atomic():
            Feedback.objects.update_or_create(
                group=group, participant=participant, defaults={"met": form.cleaned_data["met"]}
            )
        messages.success(
            request, _("The answer of %(name)s is saved.") % {"name": participant.name}
        )
    else:
        messages.error(request, _("Please choose a person of this round and an answer."))
    return redirect(back)


# ---------------------------------------------------------------------------
# Participants: direct messages, and news about their meeting


@participant_view
def chat(request: HttpRequest, participant: Participant) -> HttpResponse:
    channels = [c for c in participant.programme.channels.all() if c.sends_direct_messages]
    current = {h.channel_id: h.handle for h in participant.chat_handles.all()}
    form = HandleForm(request.POST or None, channels=channels, current=current)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            for channel in channels:
                handle = form.handles.get(channel.pk)
                if not handle:
                    ChatHandle.objects.filter(participant=participant, channel=channel).delete()
                elif current.get(channel.pk) != handle:
                    # A new handle is tried afresh, whatever the old one's fate was.
                    ChatHandle.objects.update_or_create(
                        participant=participant,
                        channel=channel,
                        defaults={"handle": handle, "refused": False, "last_error": ""},
                    )
        messages.success(request, _("Your chat settings are saved."))
        return redirect("participants:me")
    return render(
        request,
        "reach/chat.html",
        {"participant": participant, "form": form, "channels": channels},
    )


def _record_update(group: Group, participant: Participant, status: str) -> MeetingUpdate:
    cannot = MeetingUpdate.Status.CANNOT_MEET
    with transaction.atomic():
        first_no = status == cannot and not group.updates.filter(status=cannot).exists()
        update, _created = MeetingUpdate.objects.update_or_create(
            group=group, participant=participant, defaults={"status": status}
        )
        if first_no:
            # The meeting is off: out of everyone's calendar.
            cancel_meeting(group, participant)
    return update


@require_POST
@participant_view
def meeting_update(request: HttpRequest, participant: Participant, group_id: int) -> HttpResponse:
    group = get_object_or_404(
        Group, pk=group_id, members=participant, round__status=Round.Status.PUBLISHED
    )
    form = MeetingUpdateForm(request.POST)
    if form.is_valid():
        _record_update(group, participant, form.cleaned_data["status"])
        messages.success(request, _("Thank you, the organisers can see it."))
    else:
        messages.error(request, _("Please choose one of the answers."))
    return redirect("participants:me")


@require_http_methods(["GET", "HEAD", "POST"])
def meeting_update_link(request: HttpRequest, token: str) -> HttpResponse:
    """An answer from the reminder e-mail ("we rescheduled", "we cannot meet"), like the
    "Did you meet?" links: opening the link only shows what the button will do; the
    button's POST records it (and a "cannot meet" cancels the meeting)."""
    try:
        answer = update_answer(token)
    except LinkError as exc:
        return render(request, "participants/link_invalid.html", {"why": str(exc)}, status=400)
    group, participant = linked_member(answer.group_id, answer.participant_id)
    if group.suggested_start is not None and group.suggested_start < timezone.now():
        return render(request, "participants/link_invalid.html", {"why": "over"}, status=400)
    if request.method != "POST":
        others = [m for m in group.members.all() if m.pk != participant.pk]
        return render(
            request,
            "reach/update_question.html",
            {"participant": participant, "others": others, "status": answer.status},
        )
    update = _record_update(group, participant, answer.status)
    return render(
        request,
        "reach/update_thanks.html",
        {"participant": participant, "update": update, "now": timezone.now()},
    )
