from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.programmes.kinds import Question, defaults
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.sso import provider as sso_provider


class ProgrammeForm(forms.ModelForm):
    """A programme's settings. Choosing its kind sets the questions, the way to meet
    and the lead time to the kind's defaults, except those changed in the same form
    or set to something else before: every default can be adjusted after."""

    questions = forms.MultipleChoiceField(
        label=_("Questions asked after joining"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=Question.choices,
        help_text=_(
            "People answer each in one short step on their own page, or skip it. The "
            "invitation form itself asks only for a name, an e-mail address, the language, "
            "how to meet and consent."
        ),
    )

    # The settings a kind of programme gives defaults for.
    KIND_DEFAULTS = ("questions", "mode", "lead_days")

    class Meta:
        model = Programme
        fields = [
            "name",
            "kind",
            "description",
            "language",
            "cadence",
            "weekday",
            "automatic",
            "group_size",
            "repeat_window",
            "mode",
            "lead_days",
            "questions",
            "max_distance_km",
            "weight_interests",
            "match_by_meaning",
            "weight_department",
            "weight_level",
            "weight_organisation",
            "registration_open",
            "allowed_domains",
            "phone_sign_up",
            "sso_sign_in",
            "postal_days",
            "contact_name",
            "contact_phone",
            "meeting_places",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "meeting_places": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_postal_days(self) -> int:
        days = self.cleaned_data.get("postal_days")
        if days is None:
            return self.instance.postal_days
        return days

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Left empty, the programme keeps its postal days (five for a new one).
        self.fields["postal_days"].required = False
        # Forms sent without them (older clients, the API) keep what is stored.
        self.fields["kind"].required = False
        self.fields["lead_days"].required = False
        if self.is_bound and "kind" not in self.data:
            self.fields["questions"].disabled = True
        self.initial.setdefault("questions", self.instance.questions)

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or self.instance.kind

    def clean_lead_days(self) -> int:
        days = self.cleaned_data.get("lead_days")
        return self.instance.lead_days if days is None else days

    def clean_questions(self) -> list[str]:
        chosen = set(self.cleaned_data.get("questions", []))
        # In the order people are asked.
        return [q for q in Question.values if q in chosen]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "kind" in self.changed_data and data.get("kind"):
            before = defaults(self.initial.get("kind") or self.instance.kind)
            after = defaults(data["kind"])
            for name in self.KIND_DEFAULTS:
                if name in self.changed_data:
                    continue
                old = list(before.questions) if name == "questions" else getattr(before, name)
                if data.get(name) == old:
                    data[name] = (
                        list(after.questions) if name == "questions" else getattr(after, name)
                    )
        return data

    def clean_allowed_domains(self) -> str:
        text = self.cleaned_data.get("allowed_domains", "")
        domains = [d.strip().lower().lstrip("@") for d in text.split(",") if d.strip()]
        for domain in domains:
            if "." not in domain or " " in domain or "@" in domain:
                raise forms.ValidationError(
                    _("“%(domain)s” is not a domain such as example.org."),
                    params={"domain": domain},
                )
        return ", ".join(domains)

    def clean_sso_sign_in(self) -> bool:
        wanted = bool(self.cleaned_data.get("sso_sign_in"))
        if wanted and not sso_provider.configured():
            raise forms.ValidationError(
                _(
                    "Single sign-on is not set up on this server yet. The section “Single "
                    "sign-on” of the help (link at the foot of the page) says what to ask "
                    "the server's administrator for."
                )
            )
        return wanted


class CoOrganiserForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address of the co-organiser"),
        help_text=_(
            "They get an e-mail with an invitation and become co-organiser when they accept it."
        ),
    )
