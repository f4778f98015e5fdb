"""Matrix: the Client-Server API of the bot's homeserver, with the bot's access token.

Announcements are ``m.room.message`` events sent with
``PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}``; the transaction
id is derived from the round, so a retried announcement is not posted twice. Direct
messages open a private room with ``POST /_matrix/client/v3/createRoom`` (``is_direct``)
and send the match there.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.reach.channels.base import Setting, Transport, TransportError, http, plain

if TYPE_CHECKING:
    from kaffeeklatsch.rounds.models import Round

USER_ID = re.compile(r"^@[^:\s]+:[^\s]+$")


class Matrix(Transport):
    kind = "matrix"
    label = "Matrix"
    settings = (
        Setting("homeserver", _("Homeserver address"), url=True, help=_("e.g. https://matrix.org")),
        Setting("access_token", _("Access token of the bot account"), secret=True),
        Setting("room_id", _("Room ID"), help=_("Starts with “!”, e.g. !abc123:example.org")),
    )
    direct_messages = True
    handle_label = _("Matrix ID")
    handle_help = _("e.g. @anna:example.org")

    @classmethod
    def check(cls, config: dict[str, str]) -> None:
        if not config["room_id"].startswith("!") or ":" not in config["room_id"]:
            raise ValidationError({"room_id": _("A room ID looks like !abc123:example.org.")})

    @classmethod
    def validate_handle(cls, handle: str) -> str:
        handle = handle.strip()
        if not USER_ID.match(handle):
            raise ValidationError(_("A Matrix ID looks like @anna:example.org."))
        return handle

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config['access_token']}"}

    def _send(self, room_id: str, txn_id: str, text: str) -> None:
        url = (
            f"{self.config['homeserver']}/_matrix/client/v3/rooms/{quote(room_id, safe='')}"
            f"/send/m.room.message/{quote(txn_id, safe='')}"
        )
        http("PUT", url, json={"msgtype": "m.text", "body": text}, headers=self._headers())

    def announce(self, rnd: Round, lines: Sequence[str]) -> None:
        self._send(self.config["room_id"], f"kaffeeklatsch-round-{rnd.pk}", plain(lines))

    def direct_message(self, handle: str, text: str) -> None:
        reply = http(
            "POST",
            f"{self.config['homeserver']}/_matrix/client/v3/createRoom",
            json={"is_direct": True, "invite": [handle], "preset": "trusted_private_chat"},
            headers=self._headers(),
        )
        data = reply.json() or {}
        room_id = data.get("room_id") if isinstance(data, dict) else None
        if not isinstance(room_id, str):
            raise TransportError("createRoom returned no room_id")
        digest = hashlib.sha256(f"{handle}\n{text}".encode()).hexdigest()[:24]
        self._send(room_id, f"kaffeeklatsch-dm-{digest}", text)
