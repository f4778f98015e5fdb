from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kaffeeklatsch.front.ratelimit import limited
from kaffeeklatsch.lib.requests import AuthenticatedHttpRequest
from kaffeeklatsch.notifications.emails import queue_organiser_invitation
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import absolute
from kaffeeklatsch.programmes.access import organiser_view, owner_view
from kaffeeklatsch.programmes.forms import CoOrganiserForm, ProgrammeForm
from kaffeeklatsch.programmes.models import (
    Organiser,
    OrganiserInvitation,
    Programme,
)
from kaffeeklatsch.rounds.figures import of as figures_of
from kaffeeklatsch.rounds.models import Feedback, Group, Round


@login_required
def programme_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    programmes = Programme.objects.for_organiser(request.user).annotate(
        people=Count("participants", filter=Q(participants__status="active"), distinct=True)
    )
    invitations = (
        OrganiserInvitation.objects.filter(user=request.user, expires_at__gt=timezone.now())
        .select_related("programme")
        .order_by("invited_at", "pk")
    )
    return render(
        request,
        "programmes/list.html",
        {"programmes": programmes, "invitations": invitations},
    )


def _schedule(programme: Programme) -> None:
    if programme.automatic and programme.next_round_on is None:
        today = timezone.localdate()
        days_ahead = (programme.weekday - today.weekday()) % 7 or 7
        programme.next_round_on = today + dt.timedelta(days=days_ahead)
    if not programme.automatic:
        programme.next_round_on = None


@login_required
def programme_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProgrammeForm(request.POST or None, initial={"language": get_language()})
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            programme = form.save(commit=False)
            _schedule(programme)
            programme.save()
            Organiser.objects.create(
                programme=programme, user=request.user, role=Organiser.Role.OWNER
            )
        messages.success(request, _("The programme is ready. Share the invitation link."))
        return redirect("programmes:detail", programme_id=programme.pk)
    return render(request, "programmes/form.html", {"form": form})


# The dashboard's figures. Each count groups by the programme, so it has one row, or
# none when there is nothing to count.
_ACTIVE = Q(status=Participant.Status.ACTIVE)


def _figures(programme_id: int) -> dict[str, int]:
    """The dashboard's figures: one aggregate over the people and one over the answers
    (joining them in one statement would multiply the rows of each by the other); the
    groups from the figures the published rounds keep."""
    published = list(Round.objects.filter(programme=programme_id, status=Round.Status.PUBLISHED))
    return {
        **Participant.objects.filter(programme=programme_id).aggregate(
            active=Count("pk", filter=_ACTIVE),
            pending=Count("pk", filter=Q(status=Participant.Status.PENDING)),
            departments=Count("department", filter=_ACTIVE & ~Q(department=""), distinct=True),
        ),
        "rounds": len(published),
        # From the figures each round keeps, instead of counting every group of
        # every round (half a million at 100,000 people and ten rounds).
        "groups": int(sum(figures_of(rnd)["counts"].get("groups", 0) for rnd in published)),
        # The answers of the programme's people, found by their programme rather than
        # through every group of every round; answers in groups of a round not
        # published (a preview has none) are left out.
        **Feedback.objects.filter(participant__programme=programme_id)
        .exclude(
            group__in=Group.objects.filter(round__programme=programme_id).exclude(
                round__status=Round.Status.PUBLISHED
            )
        )
        .aggregate(answers=Count("pk"), met=Count("pk", filter=Q(met=True))),
    }


@organiser_view
def programme_detail(request: HttpRequest, programme: Programme) -> HttpResponse:
    organisers = list(programme.organiser_set.select_related("user").order_by("pk"))
    return render(
        request,
        "programmes/detail.html",
        {
            "programme": programme,
            "figures": _figures(programme.pk),
            "invite_url": absolute(reverse("participants:join", args=[programme.invite_token])),
            "rounds": programme.rounds.all()[:10],
            "organisers": organisers,
            "is_owner": any(
                o.user_id == request.user.pk and o.role == Organiser.Role.OWNER for o in organisers
            ),
        },
    )


@organiser_view
def programme_edit(request: HttpRequest, programme: Programme) -> HttpResponse:
    was_automatic = programme.automatic
    form = ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        programme = form.save(commit=False)
        if programme.automatic != was_automatic:
            programme.next_round_on = None
        _schedule(programme)
        programme.save()
        messages.success(request, _("The programme is saved."))
        return redirect("programmes:detail", programme_id=programme.pk)
    return render(request, "programmes/form.html", {"form": form, "programme": programme})


@require_http_methods(["GET", "HEAD", "POST"])
@organiser_view
def new_invitation_link(request: HttpRequest, programme: Programme) -> HttpResponse:
    """Asks first, without JavaScript: the old link stops working for everyone it
    was shared with. Only a POST with the confirmation replaces it."""
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        programme.replace_invite_link()
        messages.success(request, _("A new invitation link was made; the old one no longer works."))
        return redirect("programmes:detail", programme_id=programme.pk)
    return render(request, "programmes/new_invitation.html", {"programme": programme})


@owner_view
@limited("invite", by_user=True)
def organisers(request: HttpRequest, programme: Programme) -> HttpResponse:
    """The programme's organisers and open invitations; the owner invites by e-mail.

    An account becomes co-organiser only by accepting (:func:`invitation`). For an
    address without an account, one is made without a password, and the e-mail also
    carries the link to set one."""
    form = CoOrganiserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        User = get_user_model()
        with transaction.atomic():
            user = User.objects.filter(email__iexact=email).first()
            if user is not None and programme.organiser_set.filter(user=user).exists():
                messages.info(
                    request, _("%(email)s already organises this programme.") % {"email": email}
                )
                return redirect("programmes:organisers", programme_id=programme.pk)
            if user is None:
                user = User.objects.create_user(username=email, email=email)
                user.set_unusable_password()
                user.save()
            now = timezone.now()
            invited, _made = OrganiserInvitation.objects.update_or_create(
                programme=programme,
                user=user,
                defaults={
                    "invited_by": request.user,
                    "invited_at": now,
                    "expires_at": now + OrganiserInvitation.VALID_FOR,
                },
            )
            password_url = ""
            if not user.has_usable_password():
                uid = urlsafe_base64_encode(force_bytes(user.pk))
                token = default_token_generator.make_token(user)
                password_url = absolute(
                    reverse("accounts:password_reset_confirm", args=[uid, token])
                )
            queue_organiser_invitation(
                invited,
                absolute(reverse("programmes:invitation", args=[invited.pk])),
                password_url,
                get_language() or "de",
            )
        messages.success(
            request,
            _("%(email)s is invited. They become co-organiser when they accept.")
            % {"email": email},
        )
        return redirect("programmes:organisers", programme_id=programme.pk)
    return render(
        request,
        "programmes/organisers.html",
        {
            "programme": programme,
            "form": form,
            "organisers": programme.organiser_set.select_related("user"),
            "invitations": programme.organiser_invitations.select_related("user").order_by(
                "invited_at", "pk"
            ),
        },
    )


@require_POST
@owner_view
def withdraw_invitation(
    request: HttpRequest, programme: Programme, invitation_id: int
) -> HttpResponse:
    get_object_or_404(programme.organiser_invitations, pk=invitation_id).delete()
    messages.success(request, _("The invitation was withdrawn."))
    return redirect("programmes:organisers", programme_id=programme.pk)


@login_required
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """An invitation to co-organise, as the invited account sees it (anyone else gets
    404): accepting or declining is a POST; opening the page changes nothing."""
    invited = get_object_or_404(
        OrganiserInvitation.objects.select_related("programme", "invited_by"),
        pk=invitation_id,
        user=request.user,
    )
    expired = invited.expired
    if request.method == "POST":
        answer = request.POST.get("answer")
        if answer == "decline":
            invited.delete()
            messages.success(request, _("You declined the invitation."))
            return redirect("programmes:list")
        if answer != "accept":
            messages.error(request, _("Please accept or decline the invitation."))
            return redirect("programmes:invitation", invitation_id=invited.pk)
        if expired:
            messages.error(
                request, _("This invitation has expired. Please ask the owner for a new one.")
            )
            return redirect("programmes:invitation", invitation_id=invited.pk)
        with transaction.atomic():
            Organiser.objects.get_or_create(
                programme=invited.programme, user=request.user, defaults={"role": Organiser.Role.CO}
            )
            invited.delete()
        messages.success(request, _("You now co-organise this programme."))
        return redirect("programmes:detail", programme_id=invited.programme_id)
    return render(
        request, "programmes/invitation.html", {"invitation": invited, "expired": expired}
    )


@require_POST
@owner_view
def remove_organiser(request: HttpRequest, programme: Programme, organiser_id: int) -> HttpResponse:
    organiser = get_object_or_404(programme.organiser_set, pk=organiser_id, role=Organiser.Role.CO)
    with transaction.atomic():
        organiser.delete()
        # The API tokens they made for this programme stop working with them.
        for token in programme.api_tokens.filter(created_by=organiser.user, revoked_at=None):
            token.revoke()
    messages.success(
        request, _("The co-organiser was removed; the API tokens they made are revoked.")
    )
    return redirect("programmes:organisers", programme_id=programme.pk)
