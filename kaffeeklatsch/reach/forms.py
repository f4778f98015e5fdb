from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.lib.validators import validate_one_line
from kaffeeklatsch.reach.channels.base import Transport
from kaffeeklatsch.reach.models import ChatChannel, MeetingUpdate, ReminderSetting


def masked(secret: str) -> str:
    """A stored secret as the form may show it: never more than its last four characters."""
    if len(secret) < 12:
        return "••••"
    return "••••" + secret[-4:]


class ChannelForm(forms.Form):
    """The settings of one platform; secret settings are never sent back to the browser,
    and an empty secret field keeps the stored value."""

    name = forms.CharField(
        label=_("Name shown to organisers"),
        required=False,
        max_length=80,
        validators=[validate_one_line],
        help_text=_("e.g. “#kaffeeklatsch in our Mattermost”."),
    )

    def __init__(
        self,
        *args: Any,
        transport: type[Transport],
        instance: ChatChannel | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.transport = transport
        self.instance = instance
        stored = instance.config if instance else {}
        if instance is not None:
            self.initial["name"] = instance.name
        for setting in transport.settings:
            help_text = str(setting.help)
            if setting.secret:
                field: forms.Field = forms.CharField(
                    label=setting.label,
                    required=False,
                    widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                )
                if stored.get(setting.name):
                    help_text = " ".join(
                        x
                        for x in (
                            help_text,
                            str(_("Stored: %(masked)s. Leave empty to keep it."))
                            % {"masked": masked(stored[setting.name])},
                        )
                        if x
                    )
            else:
                field = forms.CharField(label=setting.label, required=False, max_length=500)
                self.initial.setdefault(setting.name, stored.get(setting.name, ""))
            field.help_text = help_text
            field.required = False
            self.fields[setting.name] = field

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        stored = self.instance.config if self.instance else {}
        raw = {}
        for setting in self.transport.settings:
            value = (data.get(setting.name) or "").strip()
            if setting.secret and not value:
                value = stored.get(setting.name, "")
            raw[setting.name] = value
        try:
            self.config = self.transport.validate(raw)
        except ValidationError as exc:
            for name, errors in exc.error_dict.items():
                for error in errors:
                    self.add_error(None if name == "__all__" else name, error)
        return data


class ReminderForm(forms.ModelForm):
    class Meta:
        model = ReminderSetting
        fields = ["enabled", "hours_before"]

    def clean_hours_before(self) -> int:
        hours = self.cleaned_data["hours_before"]
        if not 1 <= hours <= 168:
            raise ValidationError(_("Between 1 and 168 hours (one week), please."))
        return hours


class HandleForm(forms.Form):
    """A participant's handle on each of the programme's channels with direct messages."""

    def __init__(
        self, *args: Any, channels: list[ChatChannel], current: dict[int, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.channels = channels
        for channel in channels:
            transport = channel.transport()
            name = f"handle_{channel.pk}"
            self.fields[name] = forms.CharField(
                label=f"{channel} – {transport.handle_label}",
                required=False,
                max_length=200,
                help_text=_("%(example)s Leave empty to get no direct messages.")
                % {"example": transport.handle_help},
            )
            self.initial[name] = current.get(channel.pk, "")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        self.handles: dict[int, str] = {}
        for channel in self.channels:
            name = f"handle_{channel.pk}"
            value = (data.get(name) or "").strip()
            if not value:
                continue
            try:
                self.handles[channel.pk] = channel.transport().validate_handle(value)
            except ValidationError as exc:
                self.add_error(name, exc)
        return data


class OrganiserAnswerForm(forms.Form):
    """The organiser enters "did you meet?" for someone who answered by phone or post."""

    participant = forms.IntegerField(label=_("Person"), widget=forms.HiddenInput, min_value=1)
    met = forms.TypedChoiceField(
        label=_("Did they meet?"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("yes, they met")), ("no", _("no, they did not meet"))],
    )


class MeetingUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=MeetingUpdate.Status.choices)
