from __future__ import annotations

import base64
import datetime as dt
import functools
import json
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kaffeeklatsch.front.paging import page_links, page_number
from kaffeeklatsch.front.ratelimit import limited
from kaffeeklatsch.front.templatetags.fields import form_fields
from kaffeeklatsch.lib.csvfiles import CONTENT_TYPE as CSV
from kaffeeklatsch.lib.names import NameOrder, sort_key
from kaffeeklatsch.notifications.emails import (
    queue_come_back_link,
    queue_confirmation,
    queue_sign_in_link,
)
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants import importing
from kaffeeklatsch.participants.adding import add_participant
from kaffeeklatsch.participants.erasure import erase_participant
from kaffeeklatsch.participants.export import export_data
from kaffeeklatsch.participants.forms import (
    BlockForm,
    CsvUploadForm,
    OrganiserParticipantForm,
    PauseForm,
    PeopleSearchForm,
    ProfileForm,
    SignInRequestForm,
    SignupForm,
)
from kaffeeklatsch.participants.models import Named, Participant, blocked_names
from kaffeeklatsch.participants.readable import readable
from kaffeeklatsch.participants.sessions import start_session
from kaffeeklatsch.participants.steps import STEP_FIELDS, finish, open_steps, step
from kaffeeklatsch.participants.tokens import LinkError, consume, participant_for, unsubscribing
from kaffeeklatsch.programmes.access import organiser_view, participant_view
from kaffeeklatsch.programmes.models import Programme, programme_of_broken_invitation
from kaffeeklatsch.reach.panels import participant_panel
from kaffeeklatsch.rounds.models import Feedback, Group, Round
from kaffeeklatsch.sso import provider as sso_provider
from kaffeeklatsch.sso import signout as sso_signout

LINK_THROTTLE = dt.timedelta(minutes=5)

# ---------------------------------------------------------------------------
# Joining through the invitation link

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def _unknown_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link that does not work: for a link its organiser replaced,
    whom to ask for the current one; else the same advice without a name."""
    found = programme_of_broken_invitation(token)
    programme, replaced = found if found is not None else (None, False)
    owner = programme.owner() if programme is not None else None
    return render(
        request,
        "participants/invitation_unknown.html",
        {
            "programme": programme,
            "replaced": replaced,
            "organiser_name": (owner.get_full_name() or owner.get_username()) if owner else "",
            "organiser_email": owner.email if owner else "",
        },
        status=404,
    )


@limited("join")
def join(request: HttpRequest, token: str) -> HttpResponse:
    programme = Programme.objects.filter(invite_token=token).first()
    if programme is None:
        return _unknown_invitation(request, token)
    if not programme.registration_open:
        return render(request, "participants/closed.html", {"programme": programme}, status=403)
    if request.method != "POST":
        return render(
            request,
            "participants/join.html",
            {
                "programme": programme,
                "fields": _blank_signup_fields(
                    get_language(), programme.mode, programme.phone_sign_up
                ),
            },
        )
    form = SignupForm(request.POST, programme=programme)
    if form.is_valid():
        with transaction.atomic():
            if form.existing is not None:
                # Someone with this address already takes part: they get their link by
                # e-mail, and the page answers exactly as for a new address.
                _send_link(form.existing)
            else:
                participant = form.save()
                if not participant.email:
                    # Joined by phone: the organisers call to confirm.
                    return redirect(reverse("participants:joined", args=[token]) + "?by=phone")
                queue_confirmation(participant)
        return redirect("participants:joined", token=token)
    return render(
        request,
        "participants/join.html",
        {"programme": programme, "form": form, "fields": form_fields(form)},
    )


@functools.lru_cache(maxsize=16)
def _blank_signup_fields(language: str, mode: str, phone_sign_up: bool) -> SafeString:
    """The fields of the empty sign-up form: the same on every programme's page in
    one language whose way to meet is the same (labels, choices and the preselected
    language follow the language; the question how to meet is asked only where the
    programme leaves it open, the phone number only where it may replace the e-mail
    address), so drawn once for each."""
    return form_fields(SignupForm(programme=Programme(mode=mode, phone_sign_up=phone_sign_up)))


def joined(request: HttpRequest, token: str) -> HttpResponse:
    programme = Programme.objects.filter(invite_token=token).first()
    if programme is None:
        return _unknown_invitation(request, token)
    return render(
        request,
        "participants/joined.html",
        {"programme": programme, "by_phone": request.GET.get("by") == "phone"},
    )


def _link_page(request: HttpRequest, token: str, confirm: bool) -> HttpResponse:
    """Links from e-mails open a page with one button, so that mail scanners that
    follow links cannot use up a single-use link."""
    try:
        participant = participant_for(token)
    except LinkError as exc:
        return render(request, "participants/link_invalid.html", {"why": str(exc)}, status=400)
    if request.method == "POST":
        with transaction.atomic():
            participant = Participant.objects.select_for_update().get(pk=participant.pk)
            try:
                participant = participant_for(token)
            except LinkError as exc:
                return render(
                    request, "participants/link_invalid.html", {"why": str(exc)}, status=400
                )
            if not consume(participant):
                return render(
                    request, "participants/link_invalid.html", {"why": "used"}, status=400
                )
            if participant.status == Participant.Status.PENDING:
                participant.activate()
                participant.save(update_fields=["status", "confirmed_at"])
                messages.success(request, _("Thank you! You are taking part now."))
            elif participant.status == Participant.Status.LEFT:
                participant.rejoin()
                messages.success(request, _("Welcome back! You are taking part again."))
        start_session(request, participant)
        return redirect("participants:me")
    template = "participants/confirm.html" if confirm else "participants/sign_in.html"
    return render(request, template, {"participant": participant})


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    return _link_page(request, token, confirm=True)


def sign_in(request: HttpRequest, token: str) -> HttpResponse:
    return _link_page(request, token, confirm=False)


def _send_link(participant: Participant) -> None:
    """A confirmation or sign-in link, at most one per person every few minutes, so
    nobody can flood a mailbox."""
    recently = timezone.now() - LINK_THROTTLE
    if participant.messages.filter(
        kind__in=[OutboxMessage.Kind.LINK, OutboxMessage.Kind.CONFIRM],
        created_at__gte=recently,
    ).exists():
        return
    if participant.status == Participant.Status.PENDING:
        queue_confirmation(participant)
    elif participant.status == Participant.Status.LEFT:
        queue_come_back_link(participant)
    else:
        queue_sign_in_link(participant)


@limited("request_link")
def request_link(request: HttpRequest) -> HttpResponse:
    form = SignInRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        # People who left get a link that brings them back.
        people = Participant.objects.filter(email=email).select_related("programme")
        if sso_provider.configured():
            # Their programme lets them sign in with the organisation's account
            # instead of a link by e-mail.
            people = people.exclude(programme__sso_sign_in=True)
        for participant in people:
            _send_link(participant)
        # The same answer whether or not the address is known.
        return render(request, "participants/link_sent.html", {"sso": sso_provider.configured()})
    return render(
        request,
        "participants/request_link.html",
        {
            "form": form,
            "sso": sso_provider.configured()
            and Programme.objects.filter(sso_sign_in=True).exists(),
        },
    )


# ---------------------------------------------------------------------------
# The participant's own page


class _Met(TypedDict):
    met: bool | None


def _my_groups(pk: int) -> list[WithAnnotations[Group, _Met]]:
    """What the page shows of each group of a published round, newest first, with the
    participant's answer to "Did you meet?" as ``met`` (None: not answered)."""
    return list(
        Group.objects.filter(members=pk, round__status=Round.Status.PUBLISHED)
        .select_related("round")
        .only("former_members", "suggested_start", "round__number")
        .annotate(
            met=Subquery(
                Feedback.objects.filter(group=OuterRef("pk"), participant=pk).values("met")[:1]
            )
        )
        .order_by("-round__number", "pk")
    )


def _my_groups_members(pk: int) -> list[tuple[int, int, str]]:
    """(group id, person id, name) of everybody in those groups, the participant
    included."""
    return list(
        Participant.objects.filter(
            groups__members=pk, groups__round__status=Round.Status.PUBLISHED
        ).values_list("groups__id", "pk", "name")
    )


@participant_view
def me(request: HttpRequest, participant: Participant) -> HttpResponse:
    groups = _my_groups(participant.pk)
    others: dict[int, list[Named]] = {group.pk: [] for group in groups}
    for group_id, pk, name in _my_groups_members(participant.pk) if groups else []:
        if pk != participant.pk and group_id in others:
            others[group_id].append(Named(pk, name))
    blocked = [Named(*row) for row in blocked_names(participant.pk)]
    blocked_pks = {person.pk for person in blocked}
    meetings = [{"group": group, "others": others[group.pk], "met": group.met} for group in groups]
    # Whom the participant may block: everybody met and not blocked yet, in the order
    # of _met_people().
    met = {person for people in others.values() for person in people}
    people = sorted(
        (person for person in met if person.pk not in blocked_pks),
        key=lambda person: (sort_key(person.name), person.pk),
    )
    steps = open_steps(participant, participant.programme)
    return render(
        request,
        "participants/me.html",
        {
            "participant": participant,
            "step": steps[0] if steps else None,
            "step_fields": _step_form(participant, steps[0].question) if steps else None,
            "steps_left": len(steps),
            "meetings": meetings,
            "panel": participant_panel(participant, meetings),
            "blocked": blocked,
            "pause_fields": _pause_fields(
                get_language(), participant.paused_until, participant.skip_next_round
            ),
            "block_field": BlockForm(None, people=[(p.pk, p.name) for p in people])["person"]
            if people
            else None,
        },
    )


@functools.lru_cache(maxsize=512)
def _pause_fields(language: str, paused_until: dt.date | None, skip_next_round: bool) -> SafeString:
    """The fields of the pause form as the page shows them: the same for everybody
    who reads the page in the same language and gave the same answers, so drawn once
    for each (the language is part of the key: the labels follow it)."""
    return form_fields(
        PauseForm(initial={"paused_until": paused_until, "skip_next_round": skip_next_round})
    )


def _met_people(participant: Participant) -> list[tuple[int, str]]:
    people = (
        Participant.objects.filter(
            groups__members=participant, groups__round__status=Round.Status.PUBLISHED
        )
        .exclude(pk=participant.pk)
        .exclude(pk__in=participant.blocked.values("pk"))
        .distinct()
    )
    return [(p.pk, p.name) for p in people]


def _block_form(participant: Participant, data: Any = None) -> BlockForm:
    return BlockForm(data, people=_met_people(participant))


@participant_view
def edit_profile(request: HttpRequest, participant: Participant) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=participant, programme=participant.programme)
    if request.method == "POST" and form.is_valid():
        form.save()
        request.session["participant_language"] = participant.language
        request.session.pop("language", None)
        messages.success(request, _("Your profile is saved."))
        return redirect("participants:me")
    return render(
        request, "participants/edit_profile.html", {"form": form, "participant": participant}
    )


def _step_form(participant: Participant, question: str, data: Any = None) -> ProfileForm:
    """The profile form with only the fields of one question."""
    form = ProfileForm(data, instance=participant, programme=participant.programme)
    form.keep_only(STEP_FIELDS[question])
    if "times" in form.fields:
        # The step's heading already asks when; the boxes say what to do.
        form.fields["times"].label = _("Tick all that suit you")
    return form


@participant_view
def profile_step(request: HttpRequest, participant: Participant) -> HttpResponse:
    """One step after joining, named by ``question`` (in the form, or in the query to
    show it on a page of its own; without one, the next step ahead): answered, or
    skipped for good ("skip" in the form)."""
    programme = participant.programme
    question = request.POST.get("question") or request.GET.get("question", "")
    if not question:
        ahead = open_steps(participant, programme)
        if not ahead:
            return redirect("participants:me")
        question = ahead[0].question
    if question not in STEP_FIELDS or not programme.asks(question):
        raise Http404
    form = _step_form(participant, question, request.POST or None)
    if request.method == "POST":
        if "skip" in request.POST:
            finish(participant, question)
            return redirect("participants:me")
        if form.is_valid():
            with transaction.atomic():
                form.save()
                finish(participant, question)
            messages.success(request, _("Thank you! This helps us find good matches for you."))
            return redirect("participants:me")
    return render(
        request,
        "participants/step.html",
        {
            "participant": participant,
            "step": step(question, programme.kind),
            "step_fields": form,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@participant_view
def pause(request: HttpRequest, participant: Participant) -> HttpResponse:
    form = PauseForm(request.POST)
    if form.is_valid():
        participant.paused_until = form.cleaned_data["paused_until"]
        participant.skip_next_round = form.cleaned_data["skip_next_round"]
        participant.save(update_fields=["paused_until", "skip_next_round"])
        messages.success(request, _("Your break is saved."))
    else:
        messages.error(request, " ".join(str(e) for e in form.errors.get("paused_until", [])))
    return redirect("participants:me")


@require_POST
@participant_view
def block(request: HttpRequest, participant: Participant) -> HttpResponse:
    form = _block_form(participant, request.POST)
    if form.is_valid():
        participant.blocked.add(form.cleaned_data["person"])
        messages.success(request, _("You will not be matched with this person again."))
    else:
        messages.error(request, _("You can only block people you have met."))
    return redirect("participants:me")


@require_POST
@participant_view
def unblock(request: HttpRequest, participant: Participant, other_id: int) -> HttpResponse:
    participant.blocked.remove(other_id)
    return redirect("participants:me")


@participant_view
def leave(request: HttpRequest, participant: Participant) -> HttpResponse:
    if request.method == "POST":
        participant.leave()
        messages.success(
            request,
            _(
                "You have left the programme. You will get no more e-mails, but for the "
                "cancellation of a meeting still ahead."
            ),
        )
        return redirect("participants:me")
    return render(request, "participants/leave.html", {"participant": participant})


ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click link of every e-mail (``List-Unsubscribe``, RFC 8058): a POST
    with ``List-Unsubscribe=One-Click``, from a mail provider or the page's own
    button, leaves the programme as the participant's page does. Neither needs a
    session, so there is no CSRF token; the signed link is the authority. A GET only
    shows what the POST would do: mail scanners open links."""
    try:
        participant = unsubscribing(token)
    except LinkError:
        return render(request, "participants/unsubscribe.html", {"invalid": True}, status=400)
    context: dict[str, Any] = {
        "participant": participant,
        "programme": participant.programme,
        "one_click": ONE_CLICK,
    }
    if request.method == "POST":
        if request.POST.get("List-Unsubscribe") != ONE_CLICK["List-Unsubscribe"]:
            context["error"] = _("This request is incomplete. Please use the button below.")
            return render(request, "participants/unsubscribe.html", context, status=400)
        participant.leave()
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    context["left"] = participant.status == Participant.Status.LEFT
    return render(request, "participants/unsubscribe.html", context)


@participant_view
def rejoin(request: HttpRequest, participant: Participant) -> HttpResponse:
    if request.method == "POST" and participant.status == Participant.Status.LEFT:
        participant.rejoin()
        messages.success(request, _("Welcome back! You are taking part again."))
    return redirect("participants:me")


@participant_view
def export(request: HttpRequest, participant: Participant) -> HttpResponse:
    data = export_data(participant)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="kaffeeklatsch-my-data.json"'
    return response


@participant_view
def export_readable(request: HttpRequest, participant: Participant) -> HttpResponse:
    """The same data as a document to read, in the person's language."""
    with translation.override(participant.language):
        response = render(
            request,
            "participants/my_data.html",
            {
                "participant": participant,
                "document": readable(export_data(participant)),
                "made": timezone.now(),
                "LANGUAGE_CODE": participant.language,
            },
        )
        filename = _("my-data") + ".html"
    response["Content-Disposition"] = f'attachment; filename="kaffeeklatsch-{filename}"'
    return response


@participant_view
def erase(request: HttpRequest, participant: Participant) -> HttpResponse:
    if request.method == "POST":
        erase_participant(participant)
        request.session.flush()
        return render(request, "participants/erased.html")
    return render(request, "participants/erase.html", {"participant": participant})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    request.session.pop("participant_id", None)
    request.session.pop("participant_language", None)
    id_token = request.session.pop(sso_signout.PARTICIPANT_ID_TOKEN, None)
    elsewhere = sso_signout.end_session_url(request, id_token)
    if elsewhere:
        return sso_signout.continue_at_provider(request, elsewhere)
    return redirect("front:home")


# ---------------------------------------------------------------------------
# Organisers: people of a programme


PEOPLE_PER_PAGE = 100


# The columns of a row of the list of people, and the row as the page shows it.
_ROW_COLUMNS = (
    "pk", "name", "email", "reached_by", "department", "level", "place", "travel_km", "status",
    "paused_until",
)  # fmt: skip


class PersonRow(NamedTuple):
    edit_url: str
    name: str
    # How the person is reached when it is not by e-mail, or that there is no
    # address; empty otherwise.
    badge: str
    department: str
    level: str
    place: str
    travel_km: int | None
    status: str
    is_paused: bool


def _people_rows(programme: Programme, rows: Any) -> list[PersonRow]:
    marker = "2147483647"
    edit_url = reverse("participants:edit", args=[programme.pk, int(marker)]).replace(marker, "{}")
    reached = dict(Participant.ReachedBy.choices)
    statuses = dict(Participant.Status.choices)
    no_email = _("no e-mail")
    today = timezone.localdate()
    return [
        PersonRow(
            edit_url.format(pk),
            name,
            str(reached.get(reached_by, reached_by))
            if reached_by != Participant.ReachedBy.EMAIL
            else ("" if email else no_email),
            department,
            level,
            place,
            travel_km,
            str(statuses.get(status, status)),
            Participant.paused_on(paused_until, today),
        )
        for (
            pk,
            name,
            email,
            reached_by,
            department,
            level,
            place,
            travel_km,
            status,
            paused_until,
        ) in rows
    ]


@organiser_view
def participant_list(request: HttpRequest, programme: Programme) -> HttpResponse:
    form = PeopleSearchForm(request.GET)
    # A field that does not validate shows its error and is left out of the search.
    form.is_valid()
    status = form.cleaned_data.get("status", "")
    query = form.cleaned_data.get("q", "")
    # What the list shows and nothing more, as tuples: no model instances, no JSON
    # fields to decode, one link reversed for all rows and the labels looked up once.
    people = programme.participants.values_list(*_ROW_COLUMNS)
    if status:
        people = people.filter(status=status)
    if query:
        people = people.filter(
            Q(name__icontains=query)
            | Q(email__icontains=query)
            | Q(department__icontains=query)
            | Q(place__icontains=query)
        )
    # One COUNT for the paginator and one query for the rows of the page.
    paginator = Paginator(people.order_by(NameOrder("name"), "pk"), PEOPLE_PER_PAGE)
    page = paginator.get_page(page_number(request.GET.get("page", "")))
    rows = _people_rows(programme, page.object_list)
    asks = {q: programme.asks(q) for q in ("department", "level", "place", "distance")}
    # Links to other pages keep the search and the filter.
    kept = {key: value for key, value in (("status", status), ("q", query)) if value}
    return render(
        request,
        "participants/list.html",
        {
            "programme": programme,
            "form": form,
            "people": rows,
            # The profile columns of the questions the programme asks.
            "asks": asks,
            "columns": 2 + sum(asks.values()),
            "page": page,
            **page_links(paginator, page, kept),
            "searched": bool(kept),
            "count_text": ngettext("%(counter)s person", "%(counter)s people", paginator.count)
            % {"counter": paginator.count},
        },
    )


@organiser_view
def participant_add(request: HttpRequest, programme: Programme) -> HttpResponse:
    form = OrganiserParticipantForm(
        request.POST or None,
        programme=programme,
        initial={"status": Participant.Status.ACTIVE, "language": programme.language},
    )
    form.leave_out_unasked()
    if request.method == "POST" and form.is_valid():
        participant = add_participant(form)
        messages.success(request, _("%(name)s was added.") % {"name": participant.name})
        return redirect("participants:list", programme_id=programme.pk)
    return render(request, "participants/form.html", {"programme": programme, "form": form})


@organiser_view
def participant_edit(
    request: HttpRequest, programme: Programme, participant_id: int
) -> HttpResponse:
    participant = get_object_or_404(programme.participants, pk=participant_id)
    form = OrganiserParticipantForm(request.POST or None, instance=participant, programme=programme)
    form.leave_out_unasked()
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("%(name)s was saved.") % {"name": participant.name})
        return redirect("participants:list", programme_id=programme.pk)
    return render(
        request,
        "participants/form.html",
        {"programme": programme, "form": form, "participant": participant},
    )


@organiser_view
def participant_remove(
    request: HttpRequest, programme: Programme, participant_id: int
) -> HttpResponse:
    participant = get_object_or_404(programme.participants, pk=participant_id)
    if request.method == "POST":
        erase_participant(participant)
        messages.success(
            request, _("%(name)s and all their data were removed.") % {"name": participant.name}
        )
        return redirect("participants:list", programme_id=programme.pk)
    return render(
        request, "participants/remove.html", {"programme": programme, "participant": participant}
    )


IMPORT_KEY = "csv_import"


@organiser_view
def participant_import(request: HttpRequest, programme: Programme) -> HttpResponse:
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        request.session[IMPORT_KEY] = {
            "programme": programme.pk,
            "data": base64.b64encode(data).decode("ascii"),
        }
        return redirect("participants:import_preview", programme_id=programme.pk)
    return render(
        request,
        "participants/import.html",
        {"programme": programme, "form": form, "columns": importing.COLUMNS},
    )


@organiser_view
def participant_import_example(request: HttpRequest, programme: Programme) -> HttpResponse:
    """An example file in the reader's language, which the import reads as it is."""
    language = get_language()
    response = HttpResponse(importing.example_file(language), content_type=CSV)
    name = _("kaffeeklatsch-people-example.csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _pending_import(request: HttpRequest, programme: Programme) -> bytes:
    pending = request.session.get(IMPORT_KEY)
    if not pending or pending.get("programme") != programme.pk:
        raise Http404
    return base64.b64decode(pending["data"])


@organiser_view
def participant_import_preview(request: HttpRequest, programme: Programme) -> HttpResponse:
    try:
        data = _pending_import(request, programme)
    except Http404:
        return redirect("participants:import", programme_id=programme.pk)
    if request.method == "POST":
        if "cancel" in request.POST:
            request.session.pop(IMPORT_KEY, None)
            messages.info(request, _("Nothing was imported."))
            return redirect("participants:list", programme_id=programme.pk)
        try:
            created = importing.import_people(
                programme, data, fingerprint=request.POST.get("fingerprint", "")
            )
        except importing.PreviewChanged:
            messages.error(
                request,
                _(
                    "Nothing was imported: the people of the programme changed since this "
                    "preview. Please check the preview again."
                ),
            )
            return redirect("participants:import_preview", programme_id=programme.pk)
        except ValueError:
            messages.error(request, _("Nothing was imported."))
            return redirect("participants:import", programme_id=programme.pk)
        request.session.pop(IMPORT_KEY, None)
        messages.success(request, _("%(count)s people were added.") % {"count": len(created)})
        return redirect("participants:list", programme_id=programme.pk)
    result = importing.preview(programme, data)
    return render(
        request, "participants/import_preview.html", {"programme": programme, "result": result}
    )
