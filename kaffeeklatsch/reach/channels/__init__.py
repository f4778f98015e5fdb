"""Chat channels, one folder per platform, each with a ``transport.py``."""

from __future__ import annotations

from kaffeeklatsch.reach.channels.base import (
    HandleRefused,
    HandleUnreachable,
    Transport,
    TransportError,
)
from kaffeeklatsch.reach.channels.matrix.transport import Matrix
from kaffeeklatsch.reach.channels.mattermost.transport import Mattermost
from kaffeeklatsch.reach.channels.rocketchat.transport import RocketChat
from kaffeeklatsch.reach.channels.slack.transport import Slack
from kaffeeklatsch.reach.channels.teams.transport import Teams
from kaffeeklatsch.reach.channels.webhook.transport import Webhook
from kaffeeklatsch.reach.channels.zulip.transport import Zulip

TRANSPORTS: dict[str, type[Transport]] = {
    t.kind: t for t in (Matrix, Mattermost, Teams, Slack, RocketChat, Zulip, Webhook)
}

__all__ = ["TRANSPORTS", "HandleRefused", "HandleUnreachable", "Transport", "TransportError"]
