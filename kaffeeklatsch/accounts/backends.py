"""How organisers sign in and are found again on every page they open."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from kaffeeklatsch.front.compiled import CompiledQuery
from kaffeeklatsch.sso.provider import sso_required

# Every organiser page starts with this lookup: its statement is built once.
_user_by_id: CompiledQuery[Any] = CompiledQuery(
    lambda pk: get_user_model()._default_manager.filter(pk=pk).order_by()[:1]
)


class OrganiserBackend(ModelBackend):
    """Django's ModelBackend (user name and password, permissions), finding the
    user behind a session with a statement built once instead of through the ORM on
    every request."""

    def authenticate(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # An administrator who requires single sign-on switches passwords off
        # everywhere, the admin's sign-in page included.
        if sso_required():
            return None
        return super().authenticate(request, *args, **kwargs)

    def get_user(self, user_id: Any) -> Any:
        if type(user_id) is not int:
            return super().get_user(user_id)
        found = _user_by_id(user_id)
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None
