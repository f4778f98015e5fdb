"""How organisers sign in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from kaffeeklatsch.sso.provider import sso_required


class OrganiserBackend(ModelBackend):
    """Django's ModelBackend (user name and password, permissions), switched off
    where single sign-on is required."""

    def authenticate(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # An administrator who requires single sign-on switches passwords off
        # everywhere, the admin's sign-in page included.
        if sso_required():
            return None
        return super().authenticate(request, *args, **kwargs)
