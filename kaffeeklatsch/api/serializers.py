"""What the API answers, and (for the documentation) what it accepts.

Answers are read-only serializers of the models and of the figures the pages show;
the accepted bodies are validated by the pages' forms (:mod:`kaffeeklatsch.api.forms`),
the input serializers here only describe them in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.urls import reverse
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from kaffeeklatsch.api.schema import FILLED
from kaffeeklatsch.lib.fields import max_length, model_field
from kaffeeklatsch.matching.languages import language_words
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.profile import availability_choices, choices_from_slots
from kaffeeklatsch.programmes.kinds import Kind, Question
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Round, RoundTask
from kaffeeklatsch.rounds.pages import summary, task_error_text, task_problems


class ProgrammeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Programme
        fields = [
            "id",
            "name",
            "description",
            "language",
            "cadence",
            "weekday",
            "automatic",
            "next_round_on",
            "group_size",
            "repeat_window",
            "mode",
            "registration_open",
            "kind",
            "questions",
            "phone_sign_up",
            "match_by_meaning",
            "created_at",
        ]
        read_only_fields = fields

    questions = serializers.ListField(
        child=serializers.ChoiceField(Question.choices),
        read_only=True,
        help_text=gettext_lazy("The questions people are asked after joining, in that order."),
    )


class ProgrammeInputSerializer(serializers.Serializer):
    """A change of a programme's kind, questions, phone sign-up or matching of
    interests by meaning (each may be left out). Validated by the form of the
    programme's settings page: a new kind sets the questions, the way to meet and the
    lead time to its defaults unless they are sent too or were changed before."""

    kind = serializers.ChoiceField(Kind.choices, required=False)
    questions = serializers.ListField(
        child=serializers.ChoiceField(Question.choices), required=False
    )
    phone_sign_up = serializers.BooleanField(required=False)
    match_by_meaning = serializers.BooleanField(
        required=False,
        help_text=gettext_lazy(
            "Whether interests that mean much the same (in other words or another "
            "language) count as shared; off: only interests written the same way."
        ),
    )


PERSON_FIELDS = [
    "name",
    "email",
    "department",
    "organisation",
    "level",
    "place",
    "mode",
    "language",
    "languages",
    "interests",
    "availability",
    "phone",
    "shares",
    "named_in_channels",
    "reminders",
    "reached_by",
    "postal_address",
    "phone_note",
    "status",
]


class ParticipantSerializer(serializers.ModelSerializer):
    # Empty for a person reached by post or phone.
    email = serializers.EmailField(allow_blank=True, read_only=True)
    languages = serializers.ListField(child=serializers.CharField(), read_only=True)
    interests = serializers.ListField(child=serializers.CharField(), read_only=True)
    availability = serializers.SerializerMethodField()

    class Meta:
        model = Participant
        fields = [
            "id",
            *PERSON_FIELDS,
            "paused_until",
            "skip_next_round",
            "created_at",
            "confirmed_at",
            "left_at",
        ]
        read_only_fields = fields

    def get_availability(self, participant: Participant) -> list[str]:
        return choices_from_slots(participant.availability)


def _length(name: str) -> int:
    return max_length(Participant, name)


class PersonInputSerializer(serializers.Serializer):
    """A person as sent to add them (``name`` required; without an ``email`` they are
    reached by phone, so a ``phone`` or ``phone_note`` is needed) or to change them
    (every field may be left out). Validated by the form of the people page."""

    # More than blanks (the form strips them); the pattern only describes it.
    name = serializers.CharField(max_length=_length("name"), validators=[RegexValidator(FILLED)])
    email = serializers.EmailField(required=False, allow_blank=True, allow_null=True)
    department = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=_length("department")
    )
    organisation = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=_length("organisation")
    )
    level = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=_length("level")
    )
    place = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=_length("place"),
        help_text=gettext_lazy(
            "A German postcode or town (or “latitude, longitude”), found in the list the "
            "server keeps; another place gets 400."
        ),
    )
    mode = serializers.ChoiceField(model_field(Participant, "mode").choices or [], required=False)
    language = serializers.ChoiceField(
        model_field(Participant, "language").choices or [], required=False
    )
    languages = serializers.ListField(
        child=serializers.ChoiceField(
            language_words(),
            error_messages={"invalid_choice": gettext_lazy("Unknown language: {input}")},
        ),
        required=False,
        help_text=gettext_lazy("ISO 639-1 codes, or the languages' English or German names."),
    )
    # Empty and blank interests are left out, as the form does.
    interests = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False), required=False
    )
    availability = serializers.ListField(
        child=serializers.ChoiceField([c for c, _label in availability_choices()]),
        required=False,
    )
    phone = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=_length("phone")
    )
    shares = serializers.ChoiceField(Participant.Shares.choices, required=False)
    named_in_channels = serializers.BooleanField(required=False)
    reminders = serializers.BooleanField(required=False)
    reached_by = serializers.ChoiceField(Participant.ReachedBy.choices, required=False)
    postal_address = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=_length("postal_address")
    )
    phone_note = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=_length("phone_note")
    )
    status = serializers.ChoiceField(Participant.Status.choices, required=False)


class PauseInputSerializer(serializers.Serializer):
    paused_until = serializers.DateField(required=False, allow_null=True)
    skip_next_round = serializers.BooleanField(required=False)


class RoundSerializer(serializers.ModelSerializer):
    groups = serializers.SerializerMethodField()
    people = serializers.SerializerMethodField()

    class Meta:
        model = Round
        fields = [
            "id",
            "number",
            "status",
            "meet_from",
            "created_at",
            "published_at",
            "quality_percent",
            "exact",
            "edited",
            "groups",
            "people",
        ]
        read_only_fields = fields

    def get_groups(self, rnd: Round) -> int:
        return int(rnd.figures.get("counts", {}).get("groups", 0))

    def get_people(self, rnd: Round) -> int:
        return int(rnd.figures.get("counts", {}).get("people", 0))


class CountedTextSerializer(serializers.Serializer):
    text = serializers.CharField()
    count = serializers.IntegerField()


class RoundSummarySerializer(serializers.Serializer):
    groups = serializers.IntegerField()
    people = serializers.IntegerField()
    without_email = serializers.IntegerField()
    across_departments = serializers.IntegerField()
    across_levels = serializers.IntegerField()
    across_organisations = serializers.IntegerField()
    in_person = serializers.IntegerField()
    online = serializers.IntegerField()
    either = serializers.IntegerField()
    moved = serializers.IntegerField()
    left_out_total = serializers.IntegerField()
    left_out = CountedTextSerializer(many=True)


class RoundDetailSerializer(RoundSerializer):
    summary = serializers.SerializerMethodField()

    class Meta(RoundSerializer.Meta):
        fields = [*RoundSerializer.Meta.fields, "summary"]
        read_only_fields = fields

    def get_summary(self, rnd: Round) -> dict[str, Any]:
        return RoundSummarySerializer(summary(rnd)).data


class TaskSerializer(serializers.ModelSerializer):
    stage_text = serializers.CharField(source="get_stage_display")
    error_text = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    round_url = serializers.SerializerMethodField()

    class Meta:
        model = RoundTask
        fields = [
            "id",
            "kind",
            "status",
            "stage",
            "stage_text",
            "percent",
            "created_at",
            "finished_at",
            "error",
            "error_text",
            "problems",
            "round",
            "url",
            "round_url",
        ]
        read_only_fields = fields

    def get_error_text(self, task: RoundTask) -> str:
        return task_error_text(task)

    def get_problems(self, task: RoundTask) -> list[str]:
        return task_problems(task)

    def get_url(self, task: RoundTask) -> str:
        return task_url(task)

    def get_round_url(self, task: RoundTask) -> str | None:
        if task.status != RoundTask.Status.DONE or not task.round_id:
            return None
        return self.context["request"].build_absolute_uri(
            reverse("api:round", args=[task.programme_id, task.round_id])
        )


def task_url(task: RoundTask) -> str:
    return reverse("api:task", args=[task.programme_id, task.pk])


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    department = serializers.CharField()
    level = serializers.CharField()
    reached_by_email = serializers.SerializerMethodField()

    def get_reached_by_email(self, member: Any) -> bool:
        return not member.no_email


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    params = serializers.DictField()
    text = serializers.CharField()


class GroupSerializer(serializers.Serializer):
    """A group of a round with its members and why they were matched (a GroupView of
    the round page)."""

    id = serializers.IntegerField(source="group.pk")
    number = serializers.IntegerField(source="group.number")
    mode = serializers.CharField(source="group.mode")
    score = serializers.FloatField(source="group.score", allow_null=True)
    suggested_start = serializers.DateTimeField(source="group.suggested_start", allow_null=True)
    moved = serializers.BooleanField(source="group.moved")
    former_members = serializers.IntegerField(source="group.former_members")
    across_departments = serializers.BooleanField(source="group.across_departments")
    across_levels = serializers.BooleanField(source="group.across_levels")
    across_organisations = serializers.BooleanField(source="group.across_organisations")
    members = MemberSerializer(many=True)
    reasons = serializers.SerializerMethodField()

    def get_reasons(self, view: Any) -> list[dict[str, Any]]:
        items = [item for item in view.group.reasons if isinstance(item, dict)]
        return list(
            ReasonSerializer(
                [
                    {"code": item.get("code", ""), "params": item.get("params", {}), "text": text}
                    for item, text in zip(items, view.reasons, strict=False)
                ],
                many=True,
            ).data
        )


class RoundAnswersSerializer(serializers.Serializer):
    """A published round's "Did you meet?" answers as totals: how many people
    answered, for how many groups, and (when at least five people answered) in how
    many groups someone said yes and the share of the answered groups that is."""

    groups = serializers.IntegerField()
    answers = serializers.IntegerField()
    answered_groups = serializers.IntegerField()
    groups_met = serializers.IntegerField(allow_null=True)
    meeting_rate = serializers.IntegerField(allow_null=True)


class InsightRoundSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    meet_from = serializers.DateField()
    groups = serializers.IntegerField()
    people = serializers.IntegerField()
    left_out = serializers.IntegerField()
    score = serializers.FloatField()
    bound = serializers.FloatField()
    quality = serializers.IntegerField(allow_null=True)
    answers = serializers.IntegerField()
    answered_groups = serializers.IntegerField()
    met_groups = serializers.IntegerField(allow_null=True)
    meeting_rate = serializers.IntegerField(allow_null=True)
    new_connections = serializers.IntegerField()


class DepartmentSerializer(serializers.Serializer):
    # DRF's metaclass takes declared fields off the class; the stubs see Field.label.
    label = serializers.CharField()  # type: ignore[assignment]
    people = serializers.IntegerField(allow_null=True)
    connections = serializers.ListField(child=serializers.IntegerField(allow_null=True))


class SiloSerializer(serializers.Serializer):
    connections = serializers.IntegerField()
    across = serializers.IntegerField()
    observed = serializers.FloatField(allow_null=True)
    expected = serializers.FloatField(allow_null=True)
    index = serializers.FloatField(allow_null=True)


class TotalsSerializer(serializers.Serializer):
    rounds = serializers.IntegerField()
    new_connections = serializers.IntegerField()
    people_who_met = serializers.IntegerField()
    met_other_department = serializers.IntegerField()
    met_other_level = serializers.IntegerField()
    met_other_organisation = serializers.IntegerField()


class InsightsSerializer(serializers.Serializer):
    enough_people = serializers.BooleanField()
    notice = serializers.CharField(allow_blank=True)
    privacy_rule = serializers.CharField()
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    totals = TotalsSerializer(allow_null=True)
    rounds = InsightRoundSerializer(many=True, allow_null=True)
    departments = DepartmentSerializer(many=True, allow_null=True)
    silo = SiloSerializer(allow_null=True)
