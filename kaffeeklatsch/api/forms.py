"""The API's input goes through the same Django forms as the pages' input.

A JSON body becomes the form data the page would send (lists of languages and
interests as the comma-separated text of the form's fields), the form decides, and its
errors come back under the API's field names, in the language of the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.settings import api_settings

from kaffeeklatsch.api.models import ApiToken

# API field -> form field, where the two differ.
FORM_NAMES = {
    "languages": "languages_text",
    "interests": "interests_text",
    "availability": "availability_choices",
}
API_NAMES = {form: api for api, form in FORM_NAMES.items()}
# Fields the form reads as one comma-separated text, sent as a list.
JOINED = frozenset({"languages", "interests"})
# Fields the form reads as a list.
LISTS = frozenset({"availability"})
SCALARS = (str, int, float, bool, type(None))


def form_data(data: Any, allowed: Iterable[str]) -> dict[str, Any]:
    """The form data for a JSON body; a body that is not an object, an unknown field or
    a value of the wrong kind is refused before the form sees it."""
    if not isinstance(data, Mapping):
        raise serializers.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [_("Please send a JSON object.")]}
        )
    allowed = set(allowed)
    errors: dict[str, list[Any]] = {}
    result: dict[str, Any] = {}
    for key, value in data.items():
        if key not in allowed:
            errors[key] = [_("Unknown field.")]
        elif key in JOINED or key in LISTS:
            if isinstance(value, str) and key in JOINED:
                result[FORM_NAMES[key]] = value
            elif isinstance(value, list) and all(isinstance(item, str) for item in value):
                result[FORM_NAMES[key]] = ", ".join(value) if key in JOINED else value
            else:
                errors[key] = [_("Please send a list of texts.")]
        elif isinstance(value, SCALARS):
            result[key] = "" if value is None else value
        else:
            errors[key] = [_("Please send a text, a number, true or false.")]
    if errors:
        raise serializers.ValidationError(errors)
    return result


def current_data(form: forms.BaseForm) -> dict[str, Any]:
    """What an unbound form shows, as the data that form would be sent unchanged."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else value
    return data


def checked(form: forms.BaseForm) -> forms.BaseForm:
    """The form if it is valid; otherwise its errors as the API's 400 answer."""
    if form.is_valid():
        return form
    errors = {}
    for name, messages in form.errors.items():
        key = api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else API_NAMES.get(name, name)
        errors[key] = list(messages)
    raise serializers.ValidationError(errors)


class TokenForm(forms.ModelForm):
    """A new token of a programme: what it is for and what it may do."""

    class Meta:
        model = ApiToken
        fields = ["name", "scope"]
        widgets = {"scope": forms.RadioSelect}
