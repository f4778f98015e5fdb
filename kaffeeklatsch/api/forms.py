"""The API's input goes through the same Django forms as the pages' input.

A JSON body becomes the form data the page would send (lists of languages and
interests as the comma-separated text of the form's fields), the form decides, and its
errors come back under the API's field names, in the language of the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status
from rest_framework.settings import api_settings

from kaffeeklatsch.api.models import ApiToken

FormT = TypeVar("FormT", bound=forms.BaseForm)

# API field -> form field, where the two differ.
FORM_NAMES = {
    "languages": "languages_text",
    "interests": "interests_text",
    "availability": "availability_choices",
}
API_NAMES = {form: api for api, form in FORM_NAMES.items()}
# Fields the form reads as one comma-separated text, sent as a list.
JOINED = frozenset({"languages", "interests"})


def form_data(data: Any, fields: Mapping[str, serializers.Field]) -> dict[str, Any]:
    """The form data for a JSON body, by the ``fields`` of the input serializer that
    describes it: a body that is not an object, an unknown field or a value of
    another kind than described (a text, true or false, a list of texts; an empty
    text or null only where allowed, null meaning empty) is refused before the form
    sees it."""
    if not isinstance(data, Mapping):
        raise serializers.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [_("Please send a JSON object.")]}
        )
    # A JSON object's keys are texts.
    body: Mapping[str, Any] = data
    errors: dict[str, list[Any]] = {}
    result: dict[str, Any] = {}
    for key, value in body.items():
        field = fields.get(key)
        found = _kind_errors(field, value)
        if found:
            errors[key] = found
        elif isinstance(field, serializers.ListField):
            result[FORM_NAMES.get(key, key)] = ", ".join(value) if key in JOINED else value
        else:
            result[FORM_NAMES.get(key, key)] = "" if value is None else value
    if errors:
        raise serializers.ValidationError(errors)
    return result


def _kind_errors(field: serializers.Field | None, value: Any) -> list[Any]:
    """Why ``value`` is not of the kind ``field`` describes (none if it is)."""
    if field is None:
        return [_("Unknown field.")]
    if value is None:
        return [] if field.allow_null else [_("Please send a value instead of null.")]
    if isinstance(field, serializers.ListField):
        if not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
            return [_("Please send a list of texts.")]
        found: list[Any] = []
        for item in value:
            try:
                field.child.run_validation(item)
            except serializers.ValidationError as exc:
                found.extend(message for message in exc.detail if message not in found)
        return found
    if isinstance(field, serializers.BooleanField):
        return [] if isinstance(value, bool) else [_("Please send true or false.")]
    if not isinstance(value, str):
        return [_("Please send a text.")]
    if not value and not getattr(field, "allow_blank", False):
        return [_("Please do not send an empty text.")]
    return []


def current_data(form: forms.BaseForm) -> dict[str, Any]:
    """What an unbound form shows, as the data that form would be sent unchanged."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else value
    return data


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def checked(form: FormT, conflict: str | None = None) -> FormT:
    """The form if it is valid; otherwise its errors as the API's 400 answer, or as
    409 when every error has the code ``conflict``: the input itself is fine but
    clashes with what is stored (an e-mail address someone already takes part with)."""
    if form.is_valid():
        return form
    errors: dict[str, Any] = {}
    for name, messages in form.errors.items():
        key = api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else API_NAMES.get(name, name)
        errors[key] = [str(message) for message in messages]
    codes = {error.code for found in form.errors.as_data().values() for error in found}
    if conflict is not None and codes == {conflict}:
        raise Conflict(errors)
    raise serializers.ValidationError(errors)


class TokenForm(forms.ModelForm):
    """A new token of a programme: what it is for and what it may do."""

    class Meta:
        model = ApiToken
        fields = ["name", "scope"]
        widgets = {"scope": forms.RadioSelect}
