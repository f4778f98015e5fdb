"""Mattermost: announcements through an incoming webhook (``POST`` JSON ``{"text"}``);
direct messages through API v4 with a bot token: the bot's own id
(``GET /api/v4/users/me``), the person's id (``GET /api/v4/users/username/{name}``), the
direct channel (``POST /api/v4/channels/direct``) and the post (``POST /api/v4/posts``).
Texts are escaped for Mattermost's Markdown (:data:`.escaping.MATTERMOST`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.reach.channels.base import (
    Setting,
    Transport,
    TransportError,
    http,
)
from kaffeeklatsch.reach.channels.escaping import MATTERMOST, Line

if TYPE_CHECKING:
    from kaffeeklatsch.rounds.models import Round


class Mattermost(Transport):
    kind = "mattermost"
    label = "Mattermost"
    settings = (
        Setting("webhook_url", _("Incoming webhook URL"), secret=True, url=True),
        Setting(
            "server_url",
            _("Server address (for direct messages)"),
            required=False,
            url=True,
            help=_("e.g. https://chat.example.org; leave empty without direct messages."),
        ),
        Setting(
            "bot_token", _("Bot access token (for direct messages)"), secret=True, required=False
        ),
    )
    direct_messages = True
    handle_label = _("Mattermost user name")
    handle_help = _("without @, e.g. anna.schmidt")

    @classmethod
    def check(cls, config: dict[str, str]) -> None:
        if bool(config.get("server_url")) != bool(config.get("bot_token")):
            raise ValidationError(
                _("For direct messages enter both the server address and the bot token.")
            )

    @classmethod
    def validate_handle(cls, handle: str) -> str:
        handle = handle.strip().lstrip("@")
        if not handle or " " in handle:
            raise ValidationError(_("Please enter your user name without spaces."))
        return handle

    def can_send_direct(self) -> bool:
        return bool(self.config.get("server_url") and self.config.get("bot_token"))

    def announce(self, rnd: Round, lines: Sequence[Line]) -> None:
        http("POST", self.config["webhook_url"], json={"text": MATTERMOST.render(lines)})

    def _api(self, method: str, path: str, payload: object = None) -> dict:
        reply = http(
            method,
            f"{self.config['server_url']}/api/v4{path}",
            json=payload,
            headers={"Authorization": f"Bearer {self.config['bot_token']}"},
        )
        data = reply.json()
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise TransportError(f"unexpected answer from {path.split('/')[1]}")
        return data

    def direct_message(self, handle: str, lines: Sequence[Line]) -> None:
        if not self.can_send_direct():
            raise TransportError("direct messages are not configured", permanent=True)
        me = self._api("GET", "/users/me")["id"]
        other = self._api("GET", f"/users/username/{quote(handle, safe='')}")["id"]
        channel = self._api("POST", "/channels/direct", [me, other])["id"]
        self._api("POST", "/posts", {"channel_id": channel, "message": MATTERMOST.render(lines)})
