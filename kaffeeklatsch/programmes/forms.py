from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.sso import provider as sso_provider


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = [
            "name",
            "description",
            "language",
            "cadence",
            "weekday",
            "automatic",
            "group_size",
            "repeat_window",
            "mode",
            "max_distance_km",
            "weight_interests",
            "weight_department",
            "weight_level",
            "weight_organisation",
            "registration_open",
            "allowed_domains",
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Left empty, the programme keeps its postal days (five for a new one).
        self.fields["postal_days"].required = False

    def clean_postal_days(self) -> int:
        days = self.cleaned_data.get("postal_days")
        if days is None:
            return self.instance.postal_days
        return days

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
