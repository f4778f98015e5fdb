"""The request a view behind ``login_required`` gets: its user is signed in.

Django types ``request.user`` as a user or ``AnonymousUser``; a view that only signed-in
people reach says so with this annotation instead of checking again.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    user: User
