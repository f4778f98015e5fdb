"""The REST API of a programme, for HR and member systems and for scripts.

Every endpoint is for the token's own programme: a token of another programme gets
404 (the existence of other programmes is not revealed), a read token 403 on a change.
Changes go through the forms of the pages (:mod:`kaffeeklatsch.api.forms`), the
previews and publications through the worker's round tasks, and the figures through
the insights with their privacy rules.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, mixins, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kaffeeklatsch.api import serializers as s
from kaffeeklatsch.api.auth import token_of
from kaffeeklatsch.api.forms import checked, current_data, form_data
from kaffeeklatsch.api.schema import INVALID
from kaffeeklatsch.insights import present
from kaffeeklatsch.insights.forms import PeriodForm
from kaffeeklatsch.insights.metrics import MIN_GROUP, Insights, insights, load
from kaffeeklatsch.lib.names import NameOrder
from kaffeeklatsch.participants.adding import add_participant
from kaffeeklatsch.participants.forms import OrganiserParticipantForm, PauseForm
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.forms import ProgrammeForm
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Feedback, Group, Round, RoundTask
from kaffeeklatsch.rounds.pages import TASK_ERRORS, group_views
from kaffeeklatsch.rounds.tasks import Busy, request_preview, request_publish


@extend_schema(exclude=True)
class Unknown(APIView):
    """Any other address under the API: 404 as the API answers it (JSON, in the
    language of the request), after the token is checked like everywhere else."""

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        raise exceptions.NotFound()


# A page number as the pagination reads it: digits, from 1 (ASCII only, where
# int() would also take other digits, signs and blanks).
PAGE = re.compile(r"[1-9][0-9]*", re.ASCII)


class Pages(PageNumberPagination):
    page_size = 100

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters


class KnownQuery:
    """Refuses query parameters the endpoint does not know, as unknown fields of a
    body are refused, a parameter sent more than once, and a page that is not a whole
    number from 1 (after the token is checked)."""

    query: frozenset[str] = frozenset()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        params = request.query_params
        paged = isinstance(self, mixins.ListModelMixin)
        known = self.query | ({"page"} if paged else set())
        errors: dict[str, list[str]] = {}
        for name in sorted(params):
            if name not in known:
                errors[name] = [_("Unknown field.")]
            elif len(params.getlist(name)) > 1:
                errors[name] = [_("Please send this parameter once.")]
            elif name == "page" and not PAGE.fullmatch(params[name]):
                errors[name] = [_("Please send a page number from 1.")]
        if errors:
            raise exceptions.ValidationError(errors)


class ProgrammeView(KnownQuery, generics.GenericAPIView):
    """An endpoint of the programme in the URL, which must be the token's."""

    pagination_class = Pages

    def programme(self) -> Programme:
        token = token_of(self.request)
        if token is None or token.programme_id != self.kwargs.get("programme_id"):
            raise exceptions.NotFound()
        return token.programme


class ProgrammeList(KnownQuery, generics.ListAPIView):
    """The programmes this token belongs to (one)."""

    serializer_class = s.ProgrammeSerializer
    pagination_class = Pages

    def get_queryset(self) -> QuerySet[Programme]:
        token = token_of(self.request)
        if token is None:
            return Programme.objects.none()
        return Programme.objects.filter(pk=token.programme_id).order_by("pk")


class ProgrammeDetail(ProgrammeView, generics.RetrieveAPIView):
    """The programme; ``PATCH`` changes its kind, questions, phone sign-up or matching
    of interests by meaning as its settings page does (bad values get 400 and change nothing)."""

    serializer_class = s.ProgrammeSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self) -> Programme:
        return self.programme()

    @extend_schema(request=s.ProgrammeInputSerializer, responses={200: s.ProgrammeSerializer})
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        programme = self.programme()
        given = form_data(request.data, s.ProgrammeInputSerializer().fields)
        # What is not sent stays as the settings page shows it.
        shown = current_data(ProgrammeForm(instance=programme))
        checked(ProgrammeForm({**shown, **given}, instance=programme)).save()
        return Response(s.ProgrammeSerializer(programme).data)


# The code of the person form's error for an e-mail address someone already takes
# part with: the answer is 409 with that error when it is the only one.
TAKEN = "taken"
TAKEN_ANSWER = OpenApiResponse(
    response={"$ref": f"#/components/schemas/{INVALID}"},
    description=gettext_lazy("Someone with this e-mail address is already taking part."),
)


def _person_form(
    programme: Programme, body: Any, instance: Participant | None = None
) -> OrganiserParticipantForm:
    given = form_data(body, s.PersonInputSerializer().fields)
    # A field left out keeps what the page's form shows before a change: the stored
    # value, or for a new person the page's defaults.
    initial = (
        {"status": Participant.Status.ACTIVE, "language": programme.language}
        if instance is None
        else None
    )
    shown = OrganiserParticipantForm(instance=instance, initial=initial, programme=programme)
    return OrganiserParticipantForm(
        {**current_data(shown), **given}, instance=instance, programme=programme
    )


class PeopleList(ProgrammeView, generics.ListCreateAPIView):
    """The people of the programme, in name order, a page of 100 at a time; ``POST``
    adds a person as the people page does (with their welcome or confirmation e-mail)."""

    serializer_class = s.ParticipantSerializer
    query = frozenset({"status"})

    def get_queryset(self) -> QuerySet[Participant]:
        people = self.programme().participants.order_by(NameOrder("name"), "pk")
        wanted = self.request.query_params.get("status", "")
        if wanted:
            if wanted not in Participant.Status.values:
                raise exceptions.ValidationError(
                    {"status": [_("Unknown status: %(status)s") % {"status": wanted}]}
                )
            people = people.filter(status=wanted)
        return people

    @extend_schema(
        parameters=[
            OpenApiParameter("status", enum=Participant.Status.values, required=False),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.PersonInputSerializer, responses={201: s.ParticipantSerializer, 409: TAKEN_ANSWER}
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        programme = self.programme()
        participant = add_participant(checked(_person_form(programme, request.data), TAKEN))
        return Response(s.ParticipantSerializer(participant).data, status=status.HTTP_201_CREATED)


class PersonView(ProgrammeView):
    def person(self) -> Participant:
        return get_object_or_404(self.programme().participants, pk=self.kwargs["participant_id"])


class PersonDetail(PersonView, generics.RetrieveAPIView):
    """One person; ``PATCH`` changes the fields sent, as the person's page does. The
    fields sent are checked together with what is stored: reached by post needs a
    postal address, sent now or stored before, for example; a change that would leave
    the person incomplete gets 400 with the errors per field."""

    serializer_class = s.ParticipantSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self) -> Participant:
        return self.person()

    @extend_schema(
        request=s.PersonInputSerializer, responses={200: s.ParticipantSerializer, 409: TAKEN_ANSWER}
    )
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.person()
        checked(_person_form(self.programme(), request.data, person), TAKEN).save()
        return Response(s.ParticipantSerializer(person).data)


class PersonPause(PersonView):
    """A break until a day (none: taking part again), or skipping the next round. The
    day is today or later; a day before today gets 400."""

    serializer_class = s.ParticipantSerializer

    @extend_schema(request=s.PauseInputSerializer, responses={200: s.ParticipantSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.person()
        form = checked(PauseForm(form_data(request.data, s.PauseInputSerializer().fields)))
        person.paused_until = form.cleaned_data["paused_until"]
        person.skip_next_round = form.cleaned_data["skip_next_round"]
        person.save(update_fields=["paused_until", "skip_next_round"])
        return Response(s.ParticipantSerializer(person).data)


class PersonLeave(PersonView):
    """The person leaves the programme, as when they leave on their own page: no more
    rounds or e-mails, and their data is erased after the retention period."""

    serializer_class = s.ParticipantSerializer

    @extend_schema(request=None, responses={200: s.ParticipantSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.person()
        if person.status != Participant.Status.LEFT:
            person.leave()
        return Response(s.ParticipantSerializer(person).data)


class RoundList(ProgrammeView, generics.ListAPIView):
    """The programme's rounds, newest first (a preview, if there is one, among them)."""

    serializer_class = s.RoundSerializer

    def get_queryset(self) -> QuerySet[Round]:
        return self.programme().rounds.order_by("-number", "-pk")


def _accepted(request: Request, task: RoundTask) -> Response:
    url = request.build_absolute_uri(s.task_url(task))
    body = s.TaskSerializer(task, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


def _busy(request: Request, task: RoundTask) -> Response:
    body = {
        "detail": _("A round of this programme is already being calculated or published."),
        "task": s.TaskSerializer(task, context={"request": request}).data,
    }
    return Response(body, status=status.HTTP_409_CONFLICT)


TASK_ANSWERS = {
    202: s.TaskSerializer,
    409: OpenApiResponse(description="A task of the programme is already waiting or running."),
}


class RoundPreview(ProgrammeView):
    """Asks the worker for a (new) preview of the next round; the answer is 202 with
    the task, whose status URL (``Location``) tells how far it is."""

    serializer_class = s.TaskSerializer

    @extend_schema(request=None, responses=TASK_ANSWERS)
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            task = request_preview(self.programme())
        except Busy as exc:
            return _busy(request, exc.task)
        return _accepted(request, task)


class TaskDetail(ProgrammeView, generics.RetrieveAPIView):
    """How far a preview or publication is; once done, the URL of its round."""

    serializer_class = s.TaskSerializer

    def get_object(self) -> RoundTask:
        return get_object_or_404(self.programme().round_tasks, pk=self.kwargs["task_id"])


class RoundView(ProgrammeView):
    found: Round | None = None

    def round(self) -> Round:
        if self.found is None:
            self.found = get_object_or_404(self.programme().rounds, pk=self.kwargs["round_id"])
        return self.found


class RoundDetail(RoundView, generics.RetrieveAPIView):
    """A round with its figures, as the round page sums them up."""

    serializer_class = s.RoundDetailSerializer

    def get_object(self) -> Round:
        return self.round()


class RoundGroups(RoundView, generics.ListAPIView):
    """The groups of a round, with their members and why they were matched, 100 at a
    time in the order of their numbers."""

    serializer_class = s.GroupSerializer

    def get_queryset(self) -> QuerySet[Group]:
        return self.round().groups.order_by("number", "id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        views = group_views(list(page or []), with_answers=False)
        return self.get_paginated_response(s.GroupSerializer(views, many=True).data)


class RoundPublish(RoundView):
    """Asks the worker to publish this preview (and send the introductions); 202 with
    the task."""

    serializer_class = s.TaskSerializer

    @extend_schema(request=None, responses=TASK_ANSWERS)
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rnd = self.round()
        if rnd.status != Round.Status.PREVIEW:
            return Response({"detail": str(TASK_ERRORS["published"])}, status=409)
        try:
            task = request_publish(rnd)
        except Busy as exc:
            return _busy(request, exc.task)
        return _accepted(request, task)


class RoundAnswers(RoundView, generics.RetrieveAPIView):
    """The answers to "Did you meet?" of a published round, as totals of the round
    only, with the privacy rule of the insights: never who answered what nor any
    group's answers (a group is fewer than five people), and how many groups met only
    when at least five people answered."""

    serializer_class = s.RoundAnswersSerializer

    def get_object(self) -> dict[str, Any]:
        rnd = self.round()
        if rnd.status != Round.Status.PUBLISHED:
            raise exceptions.NotFound(_("Only published rounds have answers."))
        totals = Feedback.objects.filter(group__round=rnd).aggregate(
            answers=Count("id"),
            answered_groups=Count("group", distinct=True),
            groups_met=Count("group", filter=Q(met=True), distinct=True),
        )
        groups = int(rnd.figures.get("counts", {}).get("groups", 0))
        shown = totals["answers"] >= MIN_GROUP
        return {
            "groups": groups,
            "answers": totals["answers"],
            "answered_groups": totals["answered_groups"],
            "groups_met": totals["groups_met"] if shown else None,
            "meeting_rate": (
                round(100 * totals["groups_met"] / totals["answered_groups"])
                if shown and totals["answered_groups"]
                else None
            ),
        }


def _insights_body(found: Insights) -> dict[str, Any]:
    body: dict[str, Any] = {
        "enough_people": found.enough_people,
        "notice": "" if found.enough_people else present.not_enough_people_text(),
        "privacy_rule": present.privacy_rule(),
        "start": found.start,
        "end": found.end,
        "totals": None,
        "rounds": None,
        "departments": None,
        "silo": None,
    }
    if not found.enough_people:
        return body
    mixing, net, silo = found.mixing, found.network, found.silo
    body["totals"] = {
        "rounds": len(found.rounds),
        "new_connections": found.total_new_connections,
        "people_who_met": mixing.people_who_met,
        "met_other_department": mixing.other_department,
        "met_other_level": mixing.other_level,
        "met_other_organisation": mixing.other_organisation,
    }
    body["rounds"] = [
        {
            **{name: getattr(r, name) for name in s.InsightRoundSerializer().fields.keys()},
            # As the page: a round with too few answers shows no count of groups that met.
            "met_groups": r.met_groups if r.meeting_rate is not None else None,
        }
        for r in found.rounds
    ]
    size = len(net.labels)
    body["departments"] = [
        {
            "label": present.department_label(net.labels[i]),
            "people": None if net.hidden[i] else net.people[i],
            "connections": [net.cell(i, j) for j in range(size)],
        }
        for i in range(size)
    ]
    body["silo"] = {
        "connections": silo.connections,
        "across": silo.across,
        "observed": silo.observed,
        "expected": silo.expected,
        "index": silo.index,
    }
    return body


class InsightsView(ProgrammeView):
    """The figures of the insights page, with its privacy rules: nothing about fewer
    than five people, no one's answers; a programme of fewer than five people has no
    figures at all. ``start`` and ``end`` choose the rounds by the day they met from;
    a period that ends before it starts gets 400."""

    serializer_class = s.InsightsSerializer
    query = frozenset({"start", "end"})

    @extend_schema(
        parameters=[
            OpenApiParameter("start", type=OpenApiTypes.DATE, required=False),
            OpenApiParameter("end", type=OpenApiTypes.DATE, required=False),
        ],
        responses={200: s.InsightsSerializer},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        programme = self.programme()
        period = {k: v for k, v in request.query_params.items() if k in ("start", "end")}
        form = checked(PeriodForm(period))
        found = insights(
            load(programme, timezone.localdate()),
            form.cleaned_data.get("start"),
            form.cleaned_data.get("end"),
        )
        return Response(s.InsightsSerializer(_insights_body(found)).data)
