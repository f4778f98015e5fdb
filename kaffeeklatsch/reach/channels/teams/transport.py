"""Microsoft Teams: a Workflows ("Post to a channel when a webhook request is received")
or incoming-webhook URL, posted a message with one Adaptive Card attachment. Teams has
no direct messages through webhooks.

The card's text is in ``TextRun`` elements of ``RichTextBlock`` s, which Adaptive Cards
never read as Markdown (a ``TextBlock`` would); the text is neutralised as for every
chat (:func:`.escaping.neutral`), and the product's own link is a run that opens it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.reach.channels.base import Setting, Transport, http
from kaffeeklatsch.reach.channels.escaping import (
    Line,
    Link,
    headline_and_entries,
    neutral,
    pieces,
    plain,
)

if TYPE_CHECKING:
    from kaffeeklatsch.rounds.models import Round


def _runs(line: Line, **style: str) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    for piece in pieces(line):
        if isinstance(piece, Link):
            action = {"type": "Action.OpenUrl", "url": piece.url}
            runs.append({"type": "TextRun", "text": piece.url, "selectAction": action, **style})
        else:
            runs.append({"type": "TextRun", "text": neutral(piece), **style})
    return runs


def adaptive_card(lines: Sequence[Line]) -> dict[str, Any]:
    """The headline in bold, then one "•" block per entry."""
    head, rest = headline_and_entries(lines)
    body: list[dict[str, Any]] = [
        {"type": "RichTextBlock", "inlines": _runs(head, weight="bolder", size="medium")}
    ]
    body += [
        {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": "• "}, *_runs(line)]}
        for line in rest
    ]
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

    def announce(self, rnd: Round, lines: Sequence[Line]) -> None:
        http("POST", self.config["webhook_url"], json=adaptive_card(lines))
