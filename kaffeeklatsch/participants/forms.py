from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.lib.validators import validate_one_line
from kaffeeklatsch.matching.languages import language_name
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.profile import (
    availability_choices,
    choices_from_slots,
    parse_interests,
    parse_languages,
    resolve_place,
    slots_from_choices,
    utc_offset_minutes,
)
from kaffeeklatsch.participants.steps import ANY_TIME_MEANS, STEP_FIELDS, TRAVEL_CHOICES
from kaffeeklatsch.programmes.kinds import Kind, offered_slots, slots_of, windows_of
from kaffeeklatsch.programmes.models import MeetingMode, Programme


def _with_email(programme_id: int, email: str) -> list[Participant]:
    """The participants of a programme with an address, oldest first."""
    return list(Participant.objects.filter(programme=programme_id, email=email).order_by("pk"))


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's field ``name``, which offers choices."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{name} is not a choice field")
    return field


class ParticipantForm(forms.ModelForm):
    """What people themselves and organisers enter about a participant; the forms
    below take the part of it they need."""

    languages_text = forms.CharField(
        label=_("Languages you can talk in"),
        required=False,
        max_length=200,
        validators=[validate_one_line],
        help_text=_("Separated by commas, e.g. Deutsch, Englisch, Türkisch."),
    )
    interests_text = forms.CharField(
        label=_("Interests"),
        required=False,
        max_length=500,
        validators=[validate_one_line],
        help_text=_("A few words, separated by commas, e.g. gardening, football, digital tools."),
    )

    email_required = True

    class Meta:
        model = Participant
        fields = [
            "name",
            "email",
            "department",
            "organisation",
            "level",
            "place",
            "travel_km",
            "mode",
            "language",
            "phone",
            "shares",
            "named_in_channels",
            "reminders",
        ]
        labels = {
            "shares": _("What the people I meet may see of me"),
            "named_in_channels": _("The programme's chat announcements may mention me"),
        }
        help_texts = {
            "place": _("Postcode or town, for meeting in person. Leave empty if you meet online."),
            "level": _("E.g. trainee, staff, team lead, management, volunteer."),
        }
        widgets: dict[str, forms.Widget] = {"travel_km": forms.Select(choices=TRAVEL_CHOICES)}

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.fields["email"].required = self.email_required
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["place"].widget.attrs["autocomplete"] = "postal-code"
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "type": "tel"})
        if programme.kind == Kind.NETWORK:
            self.fields["level"].label = _("Role")
            self.fields["level"].help_text = _(
                "E.g. social worker, counsellor, team lead, volunteer coordinator."
            )
        if programme.kind == Kind.NEIGHBOURHOOD:
            self.fields["place"].help_text = _(
                "Your postcode or part of town, so that you meet someone nearby."
            )
        # Forms sent without these choices keep what is stored (or the safe default).
        for name in ("shares", "reached_by"):
            if name in self.fields:
                self.fields[name].required = False
        if self.instance.pk:
            lang = (get_language() or settings.LANGUAGE_CODE)[:2]
            self.initial["languages_text"] = ", ".join(
                language_name(c, lang) for c in self.instance.languages
            )
            self.initial["interests_text"] = ", ".join(self.instance.interests)
        elif "language" not in self.initial:
            self.initial["language"] = programme.language

    # Whether an address that already takes part is an error (an organiser or the
    # person editing their own profile may learn that; the public sign-up may not).
    reveal_taken = True
    existing: Participant | None = None

    def keep_only(self, names: Iterable[str]) -> None:
        """Leaves only the fields ``names`` in the form; the others keep what is stored."""
        wanted = set(names)
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]

    def clean_email(self) -> str:
        email = self.cleaned_data.get("email", "").strip().lower()
        if not email:
            return ""
        if not self.programme.email_allowed(email):
            raise forms.ValidationError(
                _("This programme is only open to addresses ending in: %(domains)s"),
                params={"domains": ", ".join(self.programme.domain_list())},
            )
        taken = [p for p in _with_email(self.programme.pk, email) if p.pk != self.instance.pk]
        if not self.reveal_taken:
            self.existing = taken[0] if taken else None
        elif taken:
            raise forms.ValidationError(
                _("Someone with this e-mail address is already taking part."), code="taken"
            )
        return email

    def clean_languages_text(self) -> list[str]:
        codes, unknown = parse_languages(self.cleaned_data.get("languages_text", ""))
        if unknown:
            raise forms.ValidationError(
                _("Unknown language: %(names)s"), params={"names": ", ".join(unknown)}
            )
        return codes

    def clean_place(self) -> str:
        place = self.cleaned_data.get("place", "").strip()
        self._location = None
        if place:
            self._location = resolve_place(place)
            if self._location is None:
                raise forms.ValidationError(
                    _("We could not find this place. Please enter a German postcode or town.")
                )
        return place

    def clean_shares(self) -> str:
        return self.cleaned_data.get("shares") or self.instance.shares or Participant.Shares.EMAIL

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        shares = data.get("shares")
        if (
            shares in (Participant.Shares.PHONE, Participant.Shares.BOTH)
            and not data.get("phone", "").strip()
        ):
            self.add_error("phone", _("Please enter the phone number you want to share."))
        return data

    def availability(self) -> list[list[int]] | None:
        """The availability windows the form sets, or None to keep the stored ones."""
        return None

    def save(self, commit: bool = True) -> Participant:
        participant: Participant = super().save(commit=False)
        participant.programme = self.programme
        if "languages_text" in self.fields:
            participant.languages = self.cleaned_data["languages_text"]
        if "interests_text" in self.fields:
            participant.interests = parse_interests(self.cleaned_data.get("interests_text", ""))
        windows = self.availability()
        if windows is not None:
            participant.availability = windows
        if "place" in self.fields:
            location = getattr(self, "_location", None)
            if location is not None:
                participant.latitude, participant.longitude = location.lat, location.lon
            elif not participant.place:
                participant.latitude = participant.longitude = None
        if commit:
            participant.save()
        return participant


class ProfileForm(ParticipantForm):
    """A person's own profile: the questions their programme asks, and times as a few
    broad slots."""

    times = forms.MultipleChoiceField(
        label=_("When do you have time?"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=(),
    )

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, programme=programme, **kwargs)
        _choice_field(self, "times").choices = [
            (s.key, s.label) for s in offered_slots(programme.kind)
        ]
        self.fields["times"].help_text = ANY_TIME_MEANS[programme.kind]
        self.initial["times"] = slots_of(self.instance.availability, utc_offset_minutes())
        for question, names in STEP_FIELDS.items():
            if not programme.asks(question):
                for name in names:
                    self.fields.pop(name, None)

    def availability(self) -> list[list[int]] | None:
        # Windows imported or set by the organiser may not be broad slots; keep them
        # unless the slots were changed.
        if "times" not in self.fields or (self.instance.pk and "times" not in self.changed_data):
            return None
        return windows_of(self.cleaned_data.get("times", []), utc_offset_minutes())


class SignupForm(ParticipantForm):
    """The short way in: only what a round cannot do without (a name, an address, the
    language, how to meet when the programme leaves it open, consent). Everything else
    is asked afterwards on the person's own page, one skippable step at a time.

    People signing up get e-mails in the language they read the page in.

    The public sign-up never says whether an address already takes part: such an
    address is accepted, and ``existing`` names its participant, who is sent their
    link instead of a new sign-up being stored."""

    reveal_taken = False

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, programme=programme, **kwargs)
        current = (get_language() or "")[:2]
        if current in {code for code, _name in settings.LANGUAGES}:
            self.initial["language"] = current
        asked = ["name", "email", "language", "consent"]
        if programme.phone_sign_up:
            asked.append("phone")
            self.fields["email"].required = False
            self.fields["email"].help_text = _(
                "If you have no e-mail, leave this empty and give your phone number below."
            )
            self.fields["phone"].label = _("Phone number, if you have no e-mail")
            self.fields["phone"].help_text = _(
                "The organisers call you to confirm, and tell you about your meetings."
            )
        if programme.mode == MeetingMode.EITHER:
            asked.append("mode")
            self.fields["mode"].label = _("How would you like to meet?")
            # django-stubs types the choices a field gives back as everything it takes
            # (mappings, enum types, callables); Django hands back the normalised list.
            self.fields["mode"].widget = forms.RadioSelect(
                choices=_choice_field(self, "mode").choices  # type: ignore[arg-type]
            )
        self.keep_only(asked)
        self.order_fields(["name", "email", "phone", "language", "mode", "consent"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "phone" in self.fields and not data.get("email") and "email" not in self.errors:
            if not data.get("phone", "").strip():
                self.add_error("email", _("Please enter an e-mail address or a phone number."))
        return data

    def save(self, commit: bool = True) -> Participant:
        participant = super().save(commit=False)
        # Until the person names more, they talk in the language they chose.
        participant.languages = [participant.language]
        if "mode" not in self.fields:
            # The programme decides how people meet.
            participant.mode = self.programme.mode
        if not participant.email:
            participant.reached_by = Participant.ReachedBy.PHONE
        if commit:
            participant.save()
        return participant

    consent = forms.BooleanField(
        label=_(
            "I agree that my profile is stored for this programme and shown to the "
            "people I am matched with. I can download or erase it at any time."
        ),
        required=True,
    )


# A profile field and the question of the programme that asks for it.
UNASKED_FIELDS = (
    ("department", "department"),
    ("organisation", "organisation"),
    ("level", "level"),
    ("travel_km", "distance"),
)


class OrganiserParticipantForm(ParticipantForm):
    """Organisers may add people without an e-mail address, and set times on the
    detailed grid the API also uses."""

    availability_choices = forms.MultipleChoiceField(
        label=_("When do you have time?"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=(),
        help_text=_("Nothing ticked means any time during working hours."),
    )

    email_required = False

    class Meta(ParticipantForm.Meta):
        fields = [
            *ParticipantForm.Meta.fields,
            "reached_by",
            "postal_address",
            "phone_note",
            "status",
        ]
        widgets = {"postal_address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, programme=programme, **kwargs)
        self.status_before = self.instance.status if self.instance.pk else None
        _choice_field(self, "availability_choices").choices = availability_choices()
        self.fields["availability_choices"].help_text = ANY_TIME_MEANS[programme.kind]
        if self.instance.pk:
            self.initial["availability_choices"] = choices_from_slots(self.instance.availability)
        if not self.instance.pk:
            # A new person: how they are reached follows from the address unless chosen.
            _choice_field(self, "reached_by").choices = [
                ("", _("by e-mail if an address is given, otherwise by phone")),
                *Participant.ReachedBy.choices,
            ]
            self.initial["reached_by"] = ""

    def leave_out_unasked(self) -> None:
        """Takes out the profile fields of questions the programme does not ask (no
        department or level in a neighbourhood); what is stored in them stays."""
        for name, question in UNASKED_FIELDS:
            if not self.programme.asks(question):
                self.fields.pop(name, None)

    def save(self, commit: bool = True) -> Participant:
        """Stores the person. One the organiser sets to "left" leaves as they would
        themselves (:meth:`Participant.leave`: their meetings ahead are cancelled and
        they are erased after the retention time); one set back from "left" takes part
        again."""
        participant: Participant = super().save(commit=False)
        left = Participant.Status.LEFT
        leaving = participant.status == left and self.status_before != left
        if participant.status != left:
            participant.left_at = None
        elif leaving and participant.pk is None:
            participant.left_at = timezone.now()
        if commit:
            if leaving and participant.pk is not None:
                participant.status = self.status_before or Participant.Status.ACTIVE
                participant.save()
                self.save_m2m()
                participant.leave()
            else:
                participant.save()
                self.save_m2m()
        return participant

    def availability(self) -> list[list[int]] | None:
        # Windows imported from a CSV file may not match the checkboxes; keep them
        # unless the boxes were changed.
        if self.instance.pk and "availability_choices" not in self.changed_data:
            return None
        return slots_from_choices(self.cleaned_data["availability_choices"])

    def clean_reached_by(self) -> str:
        given = self.cleaned_data.get("reached_by")
        if given:
            return given
        if self.instance.pk:
            return self.instance.reached_by
        # Added without saying how: by e-mail when there is an address, else by phone.
        email = (self.data.get(self.add_prefix("email")) or "").strip()
        return Participant.ReachedBy.EMAIL if email else Participant.ReachedBy.PHONE

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        reached_by = data.get("reached_by")
        if (
            reached_by == Participant.ReachedBy.EMAIL
            and not data.get("email")
            and ("email" not in self.errors)
        ):
            self.add_error(
                "reached_by",
                _("Without an e-mail address this person can only be reached by post or phone."),
            )
        if reached_by == Participant.ReachedBy.POST and not data.get("postal_address", "").strip():
            self.add_error("postal_address", _("Please enter the postal address for the letter."))
        if (
            reached_by == Participant.ReachedBy.PHONE
            and not data.get("phone", "").strip()
            and not data.get("phone_note", "").strip()
        ):
            self.add_error("phone", _("Please enter the phone number the volunteers call."))
        return data


class SignInRequestForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"))


class PauseForm(forms.Form):
    paused_until = forms.DateField(
        label=_("Pause until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty to take part again."),
    )
    skip_next_round = forms.BooleanField(label=_("Skip the next round"), required=False)

    def clean_paused_until(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get("paused_until")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("Please choose today or a later date."))
        return day


class BlockForm(forms.Form):
    person = forms.TypedChoiceField(label=_("Never match me again with"), coerce=int)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "person").choices = people


# Longer than any name, address, department or place a person can have.
SEARCH_MAX_LENGTH = 200


class PeopleSearchForm(forms.Form):
    """What the organiser's list of people shows: a search term and a status."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.SearchInput,
        help_text=_("Part of a name, e-mail address, department or place."),
    )
    status = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("everyone")), *Participant.Status.choices],
    )


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Saved from your spreadsheet as CSV (comma or semicolon separated), at most 5 MB."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.CSV_IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is too large (at most 5 MB)."))
        return upload
