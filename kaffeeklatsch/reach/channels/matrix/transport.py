"""Matrix: the Client-Server API of the bot's homeserver, with the bot's access token.

Announcements are ``m.room.message`` events sent with
``PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}``; the transaction
id is derived from the round, so a retried announcement is not posted twice. Direct
messages go to the bot's direct room with the person, found in the bot's ``m.direct``
account data or opened with ``POST /_matrix/client/v3/createRoom`` (``is_direct``).
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

    def _direct_room(self, handle: str) -> str:
        """The bot's direct room with ``handle``: the one recorded in the bot's ``m.direct``
        account data, or a new one (``createRoom`` with ``is_direct``), recorded there so
        that later rounds use the same room."""
        base = f"{self.config['homeserver']}/_matrix/client/v3"
        whoami = http("GET", f"{base}/account/whoami", headers=self._headers()).json() or {}
        bot = whoami.get("user_id") if isinstance(whoami, dict) else None
        if not isinstance(bot, str):
            raise TransportError("whoami returned no user_id")
        direct_url = f"{base}/user/{quote(bot, safe='')}/account_data/m.direct"
        try:
            direct = http("GET", direct_url, headers=self._headers()).json()
        except TransportError as exc:
            if exc.message != "HTTP 404":  # no direct rooms recorded yet
                raise
            direct = {}
        direct = direct if isinstance(direct, dict) else {}
        rooms = direct.get(handle)
        if isinstance(rooms, list) and rooms and isinstance(rooms[-1], str):
            return rooms[-1]
        created = http(
            "POST",
            f"{base}/createRoom",
            json={"is_direct": True, "invite": [handle], "preset": "trusted_private_chat"},
            headers=self._headers(),
        ).json()
        room_id = created.get("room_id") if isinstance(created, dict) else None
        if not isinstance(room_id, str):
            raise TransportError("createRoom returned no room_id")
        direct[handle] = [room_id]
        http("PUT", direct_url, json=direct, headers=self._headers())
        return room_id

    def direct_message(self, handle: str, text: str) -> None:
        room_id = self._direct_room(handle)
        digest = hashlib.sha256(f"{handle}\n{text}".encode()).hexdigest()[:24]
        self._send(room_id, f"kaffeeklatsch-dm-{digest}", text)
