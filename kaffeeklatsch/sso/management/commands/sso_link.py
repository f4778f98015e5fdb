"""Links an organiser account to an account at the identity provider, or unlinks it.

Staff and superuser accounts are never linked by their e-mail address at a sign-in;
an administrator links them here with the subject identifier the provider gives the
person (the ``sub`` claim, or the claim of KAFFEEKLATSCH_OIDC_SUBJECT_CLAIM)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from kaffeeklatsch.sso.models import OrganiserIdentity


class Command(BaseCommand):
    help = "Links an organiser account to an account at the identity provider (or unlinks it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the organiser account")
        parser.add_argument(
            "subject", nargs="?", default="", help="the subject identifier at the provider"
        )
        parser.add_argument(
            "--issuer",
            default="",
            help="the provider's issuer URL (default: KAFFEEKLATSCH_OIDC_ISSUER)",
        )
        parser.add_argument(
            "--unlink", action="store_true", help="remove the account's link instead"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        issuer = (options["issuer"] or settings.SSO_ISSUER).strip().rstrip("/")
        if not issuer:
            raise CommandError("no issuer: set KAFFEEKLATSCH_OIDC_ISSUER or give --issuer")
        User = get_user_model()
        try:
            user = User._default_manager.get_by_natural_key(options["username"])
        except User.DoesNotExist as exc:
            raise CommandError(f"no account {options['username']!r}") from exc
        if options["unlink"]:
            removed, _ = OrganiserIdentity.objects.filter(user=user, issuer=issuer).delete()
            if not removed:
                raise CommandError(f"{user.get_username()} is not linked at {issuer}")
            self.stdout.write(f"{user.get_username()} unlinked from {issuer}")
            return
        subject = options["subject"].strip()
        if not subject or len(subject) > 255:
            raise CommandError("give the subject identifier (at most 255 characters)")
        with transaction.atomic():
            other = (
                OrganiserIdentity.objects.filter(issuer=issuer, subject=subject)
                .exclude(user=user)
                .first()
            )
            if other is not None:
                raise CommandError(f"{subject} is linked to {other.user.get_username()} already")
            if OrganiserIdentity.objects.filter(issuer=issuer, user=user).exists():
                raise CommandError(
                    f"{user.get_username()} is linked at {issuer} already; unlink it first"
                )
            OrganiserIdentity.objects.create(user=user, issuer=issuer, subject=subject)
        self.stdout.write(f"{user.get_username()} linked to {subject} at {issuer}")
