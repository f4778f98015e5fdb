"""Zulip: ``POST /api/v1/messages``, form-encoded, HTTP basic auth with the bot's
e-mail address and API key. Channel ("stream") messages need a topic; direct messages
go to a JSON list of e-mail addresses. Texts are escaped for Zulip's Markdown
(:data:`.escaping.ZULIP`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.reach.channels.base import Setting, Transport, http
from kaffeeklatsch.reach.channels.escaping import ZULIP, Line

if TYPE_CHECKING:
    from kaffeeklatsch.rounds.models import Round


class Zulip(Transport):
    kind = "zulip"
    label = "Zulip"
    settings = (
        Setting("site", _("Zulip address"), url=True, help=_("e.g. https://example.zulipchat.com")),
        Setting("bot_email", _("E-mail address of the bot")),
        Setting("api_key", _("API key of the bot"), secret=True),
        Setting("stream", _("Channel (stream)")),
        Setting("topic", _("Topic"), required=False, help=_("Leave empty for “Kaffeeklatsch”.")),
    )
    direct_messages = True
    handle_label = _("Zulip e-mail address")
    handle_help = _("The address your Zulip account uses.")

    @classmethod
    def check(cls, config: dict[str, str]) -> None:
        try:
            validate_email(config["bot_email"])
        except ValidationError:
            raise ValidationError({"bot_email": _("Please enter an e-mail address.")}) from None
        config["topic"] = config.get("topic") or "Kaffeeklatsch"

    @classmethod
    def validate_handle(cls, handle: str) -> str:
        handle = handle.strip()
        validate_email(handle)
        return handle

    def _send(self, data: dict[str, str]) -> None:
        http(
            "POST",
            f"{self.config['site']}/api/v1/messages",
            form=data,
            basic_auth=(self.config["bot_email"], self.config["api_key"]),
        )

    def announce(self, rnd: Round, lines: Sequence[Line]) -> None:
        self._send(
            {
                "type": "stream",
                "to": self.config["stream"],
                "topic": self.config.get("topic") or "Kaffeeklatsch",
                "content": ZULIP.render(lines),
            }
        )

    def direct_message(self, handle: str, lines: Sequence[Line]) -> None:
        # "private" is understood by every Zulip server; newer ones also say "direct".
        self._send({"type": "private", "to": json.dumps([handle]), "content": ZULIP.render(lines)})
