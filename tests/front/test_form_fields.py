"""``{% form_fields %}`` marks up every form as the reference template
``tests/support/form_fields_reference.html`` does (the markup the accessibility tests
were written against)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.template import engines
from django.utils import translation

from kaffeeklatsch.front.templatetags.fields import form_fields
from kaffeeklatsch.insights.forms import PeriodForm
from kaffeeklatsch.participants import forms as pf
from kaffeeklatsch.programmes.forms import CoOrganiserForm, ProgrammeForm
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.reach.channels import TRANSPORTS
from kaffeeklatsch.reach.forms import ChannelForm, ReminderForm

pytestmark = pytest.mark.django_db

REFERENCE = Path(__file__).parents[1] / "support" / "form_fields_reference.html"


def _normalised(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


class WithHidden(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, initial="a<b")
    note = forms.CharField(label="Note & <more>", help_text="Say <why>", required=False)

    def clean(self) -> dict[str, Any]:
        raise forms.ValidationError("Everything is <wrong>")


def _forms(programme: Programme, anna: Any, user: Any) -> list[forms.BaseForm]:
    kw: dict[str, Any] = {"programme": programme}
    signup_bad = {"name": "", "email": "x", "availability_choices": ["0-morning"], "consent": ""}
    return [
        pf.SignupForm(**kw),
        pf.SignupForm(signup_bad, **kw),
        pf.ProfileForm(instance=anna, **kw),
        pf.OrganiserParticipantForm(**kw),
        pf.OrganiserParticipantForm({"name": "", "reached_by": "post"}, **kw),
        pf.PauseForm(initial={"paused_until": dt.date(2030, 1, 2)}),
        pf.PauseForm({"paused_until": "2001-01-01", "skip_next_round": "on"}),
        pf.SignInRequestForm(),
        pf.SignInRequestForm({"email": "nope"}),
        pf.PeopleSearchForm({"q": "x" * 300}),
        pf.CsvUploadForm(),
        PeriodForm(),
        ProgrammeForm(instance=programme),
        ProgrammeForm({"name": ""}),
        CoOrganiserForm(),
        ChannelForm(transport=TRANSPORTS["mattermost"]),
        ChannelForm({"name": "x"}, transport=TRANSPORTS["matrix"]),
        ReminderForm({"enabled": "on", "hours_before": "999"}),
        AuthenticationForm(),
        AuthenticationForm(data={"username": "olga", "password": "wrong"}),
        PasswordChangeForm(user),
        WithHidden({"token": "x", "note": "<b>"}),
    ]


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_form_is_marked_up_as_the_reference_does(
    language: str, programme: Programme, organiser: Any, make_participant: Any
) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org", interests=["Jazz"])
    reference = engines["django"].from_string(REFERENCE.read_text())
    with translation.override(language):
        for form in _forms(programme, anna, organiser):
            if form.is_bound:
                form.is_valid()
            expected = _normalised(reference.render({"form": form}))
            assert _normalised(str(form_fields(form))) == expected, type(form).__name__


def test_labels_help_and_errors_are_escaped() -> None:
    form = WithHidden({"token": "x", "note": "<b>"})
    html = str(form_fields(form))
    assert "Note &amp; &lt;more&gt;" in html
    assert "Say &lt;why&gt;" in html
    assert "Everything is &lt;wrong&gt;" in html
    assert "<wrong>" not in html and "<more>" not in html
