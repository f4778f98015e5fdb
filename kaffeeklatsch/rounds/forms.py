"""What the organiser's round page may be asked for."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

SEARCH_MAX_LENGTH = 120


class GroupSearchForm(forms.Form):
    """Which groups of a round the page shows: a search term and a filter."""

    SHOW = [
        ("", _("all groups")),
        ("low", _("groups with a low score")),
        ("moved", _("groups changed by hand")),
        ("no_email", _("groups with people without e-mail")),
        ("left_out", _("people not in a group")),
    ]

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.SearchInput,
        help_text=_("Part of a name, e-mail address or department, or the number of a group."),
    )
    show = forms.ChoiceField(label=_("Show"), required=False, choices=SHOW)


class TargetSearchForm(forms.Form):
    """Where a person is moved: the group of someone the organiser searches for."""

    q = forms.CharField(
        label=_("Find the group"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.SearchInput,
        help_text=_(
            "Part of the name, e-mail address or department of someone in it, or its number."
        ),
    )
