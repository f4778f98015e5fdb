from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.programmes.models import Programme


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
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

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


class CoOrganiserForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address of the co-organiser"),
        help_text=_("They get an e-mail with a link to set their password."),
    )
