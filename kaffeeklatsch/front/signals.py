"""What the web shell tells the domain apps, which it must not import.

``language_chosen`` is sent when someone picks a language in the page's language
switcher, with the request (its session says who is signed in) and the language
code, already checked against ``settings.LANGUAGES``. The participants app stores it
as the signed-in person's language, so that their e-mails follow.
"""

from __future__ import annotations

from django.dispatch import Signal

# Arguments: request (the HttpRequest), language (a code of settings.LANGUAGES).
language_chosen = Signal()
