"""Microsoft Teams: a Workflows ("Post to a channel when a webhook request is received")
or incoming-webhook URL, posted a message with one Adaptive Card attachment. Teams has
no direct messages through webhooks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.reach.channels.base import Setting, Transport, http, plain

if TYPE_CHECKING:
    from kaffeeklatsch.rounds.models import Round


def adaptive_card(lines: Sequence[str]) -> dict:
    head, *rest = lines or [""]
    body: list[dict] = [
        {"type": "TextBlock", "text": head, "weight": "bolder", "size": "medium", "wrap": True}
    ]
    body += [{"type": "TextBlock", "text": line, "wrap": True} for line in rest]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.2",
                    "fallbackText": plain(lines),
                    "body": body,
                },
            }
        ],
    }


class Teams(Transport):
    kind = "teams"
    label = "Microsoft Teams"
    settings = (
        Setting(
            "webhook_url",
            _("Workflow or incoming webhook URL"),
            secret=True,
            url=True,
            help=_("In Teams: Workflows → “Post to a channel when a webhook request is received”."),
        ),
    )

    def announce(self, rnd: Round, lines: Sequence[str]) -> None:
        http("POST", self.config["webhook_url"], json=adaptive_card(lines))
