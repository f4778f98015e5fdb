"""Slack: with a bot token, ``chat.postMessage`` (``POST https://slack.com/api/...``,
``Authorization: Bearer``, JSON); without one, an incoming webhook (JSON ``{"text"}``).
Direct messages open the conversation with ``conversations.open`` and post into it.
The Web API answers HTTP 200 with ``{"ok": false, "error": ...}`` on failure.

Texts are escaped for mrkdwn (:func:`.escaping.mrkdwn`), and every message asks Slack
not to parse names or links out of it nor to unfold link previews."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.reach.channels.base import Setting, Transport, TransportError, http
from kaffeeklatsch.reach.channels.escaping import Line, mrkdwn

if TYPE_CHECKING:
    from kaffeeklatsch.rounds.models import Round

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
PERMANENT = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "channel_not_found",
    "not_in_channel",
    "user_not_found",
    "missing_scope",
    "token_revoked",
}

#: Sent with every message: no "@name" or "#channel" turned into a mention or link,
#: no preview of a link unfolded.
QUIET = {"parse": "none", "link_names": False, "unfurl_links": False, "unfurl_media": False}


class Slack(Transport):
    kind = "slack"
    label = "Slack"
    settings = (
        Setting(
            "bot_token",
            _("Bot token (xoxb-…)"),
            secret=True,
            required=False,
            help=_("Needed for direct messages; otherwise use a webhook URL."),
        ),
        Setting("channel", _("Channel ID"), required=False, help=_("e.g. C0123456789")),
        Setting("webhook_url", _("Incoming webhook URL"), secret=True, url=True, required=False),
        Setting(
            "api_url",
            _("API address"),
            url=True,
            required=False,
            help=_("Leave empty for https://slack.com/api."),
        ),
    )
    direct_messages = True
    handle_label = _("Slack member ID")
    handle_help = _("In Slack: your profile → ⋮ → “Copy member ID”, e.g. U0123ABCD.")

    @classmethod
    def check(cls, config: dict[str, str]) -> None:
        if config.get("bot_token"):
            if not config.get("channel"):
                raise ValidationError({"channel": _("Please enter the channel ID.")})
        elif not config.get("webhook_url"):
            raise ValidationError(_("Enter a bot token and channel, or a webhook URL."))

    @classmethod
    def validate_handle(cls, handle: str) -> str:
        handle = handle.strip().upper()
        if not USER_ID.match(handle):
            raise ValidationError(_("A Slack member ID looks like U0123ABCD."))
        return handle

    def can_send_direct(self) -> bool:
        return bool(self.config.get("bot_token"))

    def _call(self, method: str, payload: dict) -> dict:
        base = self.config.get("api_url") or "https://slack.com/api"
        reply = http(
            "POST",
            f"{base}/{method}",
            json=payload,
            headers={"Authorization": f"Bearer {self.config['bot_token']}"},
        )
        data = reply.json()
        if not isinstance(data, dict) or not data.get("ok"):
            error = str(data.get("error", "unknown")) if isinstance(data, dict) else "unknown"
            raise TransportError(f"Slack: {error[:60]}", permanent=error in PERMANENT)
        return data

    def announce(self, rnd: Round, lines: Sequence[Line]) -> None:
        message = {"text": mrkdwn(lines), **QUIET}
        if self.config.get("bot_token"):
            self._call("chat.postMessage", {"channel": self.config["channel"], **message})
        else:
            http("POST", self.config["webhook_url"], json=message)

    def direct_message(self, handle: str, lines: Sequence[Line]) -> None:
        if not self.can_send_direct():
            raise TransportError("direct messages need a bot token", permanent=True)
        opened = self._call("conversations.open", {"users": handle})
        channel = opened.get("channel", {}).get("id")
        if not isinstance(channel, str):
            raise TransportError("Slack: conversations.open returned no channel")
        self._call("chat.postMessage", {"channel": channel, "text": mrkdwn(lines), **QUIET})
