"""The forms' and models' validator for one-line texts (see :mod:`.text`)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.matching.text import describe, forbidden_characters

ONE_LINE_MESSAGE = _(
    "Please write this on one line, without tabs, line breaks or invisible control "
    "characters (found: %(characters)s)."
)


def validate_one_line(value: object) -> None:
    """Refuses a text with a character a one-line text may not hold, naming the
    characters by their code points (they are invisible or break lines)."""
    if not isinstance(value, str):
        return
    found = forbidden_characters(value)
    if found:
        raise ValidationError(
            ONE_LINE_MESSAGE, code="one_line", params={"characters": describe(found)}
        )
