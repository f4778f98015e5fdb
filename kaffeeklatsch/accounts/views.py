"""Pages of the organisers' accounts that Django's own views do not cover as needed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth
from django.http import HttpResponse, HttpResponseRedirect

from kaffeeklatsch.front.ratelimit import client_ip, hit


class PasswordResetView(auth.PasswordResetView):
    """Django's password reset, limited per client address and per e-mail address,
    with the link in the e-mail built on KAFFEEKLATSCH_BASE_URL, never on the Host
    header of the request.

    Over the limit the answer stays the same ("if an account exists, an e-mail is on
    its way"); only no e-mail goes out."""

    template_name = "accounts/form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        # The e-mail address is counted only for clients within their own limit, so
        # that someone flooding from one address cannot block the owner's request.
        allowed = hit(
            "password-reset", f"ip:{client_ip(self.request)}", settings.RATE_LIMIT_PER_HOUR
        )
        allowed = allowed and hit(
            "password-reset", f"email:{email}", settings.PASSWORD_RESETS_PER_EMAIL
        )
        if not allowed:
            return HttpResponseRedirect(self.get_success_url())
        base = urlsplit(settings.BASE_URL)
        self.extra_email_context = {"base_url": settings.BASE_URL}
        self.domain_override = base.netloc
        return super().form_valid(form)
