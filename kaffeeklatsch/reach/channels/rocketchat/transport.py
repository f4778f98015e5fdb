"""Rocket.Chat: REST API ``POST /api/v1/chat.postMessage`` with the ``X-Auth-Token``
and ``X-User-Id`` headers of a bot user (a personal access token). A ``channel`` of
``#name`` posts to a channel, ``@username`` sends a direct message. Texts are escaped
for Rocket.Chat's Markdown (:data:`.escaping.ROCKETCHAT`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.reach.channels.base import (
    Setting,
    Transport,
    TransportError,
    http,
)
from kaffeeklatsch.reach.channels.escaping import ROCKETCHAT, Line

if TYPE_CHECKING:
    from kaffeeklatsch.rounds.models import Round


class RocketChat(Transport):
    kind = "rocketchat"
    label = "Rocket.Chat"
    settings = (
        Setting(
            "server_url", _("Server address"), url=True, help=_("e.g. https://chat.example.org")
        ),
        Setting("user_id", _("User ID of the bot")),
        Setting("auth_token", _("Personal access token of the bot"), secret=True),
        Setting("channel", _("Channel"), help=_("e.g. #kaffeeklatsch")),
    )
    direct_messages = True
    handle_label = _("Rocket.Chat user name")
    handle_help = _("without @, e.g. anna.schmidt")

    @classmethod
    def check(cls, config: dict[str, str]) -> None:
        if not config["channel"].startswith("#"):
            config["channel"] = "#" + config["channel"]

    @classmethod
    def validate_handle(cls, handle: str) -> str:
        handle = handle.strip().lstrip("@")
        if not handle or " " in handle:
            raise ValidationError(_("Please enter your user name without spaces."))
        return handle

    def _post(self, channel: str, text: str) -> None:
        reply = http(
            "POST",
            f"{self.config['server_url']}/api/v1/chat.postMessage",
            json={"channel": channel, "text": text},
            headers={
                "X-Auth-Token": self.config["auth_token"],
                "X-User-Id": self.config["user_id"],
            },
        )
        data = reply.json()
        if not isinstance(data, dict) or not data.get("success"):
            raise TransportError("Rocket.Chat did not accept the message")

    def announce(self, rnd: Round, lines: Sequence[Line]) -> None:
        self._post(self.config["channel"], ROCKETCHAT.render(lines))

    def direct_message(self, handle: str, lines: Sequence[Line]) -> None:
        self._post(f"@{handle}", ROCKETCHAT.render(lines))
