"""Matrix: the Client-Server API of the bot's homeserver, with the bot's access token.

Announcements are ``m.room.message`` events sent with
``PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}``, as plain
``body`` and as ``formatted_body`` (``org.matrix.custom.html``), every text escaped
for each (:mod:`.escaping`), and with an empty ``m.mentions``: the message mentions
nobody, so no name in it notifies the room or a person whose name it contains;
the transaction id is derived from the round, so a retried announcement is not posted
twice. A room the bot was invited to is joined on the first message. Room ids of every
room version are accepted: up to version 11 ``!opaque:server``, from version 12 the
bare ``!`` and 43 characters of the room's create event hash.

Direct messages go to the bot's direct room with the person, found in the bot's
``m.direct`` account data while the person is still in it; otherwise a new room is
created, the person invited, and the room recorded in ``m.direct`` by re-reading and
merging. All of this runs under ``exclusive`` named after the bot's user id (a lock
shared by every channel and programme that uses the bot), without waiting out a rate
limit inside it, so two workers never open two rooms nor lose each other's entries.
When the invitation fails, the new room is left and forgotten. A refusal (403, 404) is
permanent and remembered for the handle; a server that cannot be reached (502, which
a passing federation problem gives too) is tried again like any passing failure.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.reach.channels.base import (
    HandleRefused,
    HandleUnreachable,
    Setting,
    Transport,
    TransportError,
    http,
)
from kaffeeklatsch.reach.channels.escaping import Line, html, plain

if TYPE_CHECKING:
    from kaffeeklatsch.rounds.models import Round

USER_ID = re.compile(r"^@[^:\s]+:[^\s]+$")
# "!" then an opaque part without spaces or colons, and a server name up to room
# version 11; from version 12 the opaque part alone (the spec allows 255 bytes).
ROOM_ID = re.compile(r"^![^:\s]+(:[^\s:]+(:\d{1,5})?)?$")
IN_ROOM = ("join", "invite")


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
        room_id = config["room_id"]
        if len(room_id.encode("utf-8")) > 255 or not ROOM_ID.match(room_id):
            raise ValidationError(
                {
                    "room_id": _(
                        "A room ID starts with “!”, e.g. !abc123:example.org or "
                        "!zdq4jX6X2mGHZ3aD3ctw2VExOkPrjKchsSrR61BDaTE."
                    )
                }
            )

    @classmethod
    def validate_handle(cls, handle: str) -> str:
        handle = handle.strip()
        if not USER_ID.match(handle):
            raise ValidationError(_("A Matrix ID looks like @anna:example.org."))
        return handle

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config['access_token']}"}

    #: Set while the bot's lock is held: a rate limit then goes back to the job queue
    #: at once instead of being waited out with the lock.
    _locked = False

    def _api(self, method: str, path: str, json: Any = None) -> Any:
        url = f"{self.config['homeserver']}/_matrix/client/v3{path}"
        max_wait = 0 if self._locked else None
        return http(method, url, json=json, headers=self._headers(), max_wait=max_wait).json()

    def _send(self, room_id: str, txn_id: str, lines: Sequence[Line]) -> None:
        path = f"/rooms/{quote(room_id, safe='')}/send/m.room.message/{quote(txn_id, safe='')}"
        content = {
            "msgtype": "m.text",
            "body": plain(lines),
            "format": "org.matrix.custom.html",
            "formatted_body": html(lines),
            "m.mentions": {},
        }
        try:
            self._api("PUT", path, content)
        except TransportError as exc:
            if exc.status != 403:
                raise
            # Not in the room: join it if the bot was invited, then send once more.
            self._join(room_id)
            self._api("PUT", path, content)

    def _join(self, room_id: str) -> None:
        try:
            self._api("POST", f"/join/{quote(room_id, safe='')}", {})
        except TransportError as exc:
            if exc.status == 403:
                raise TransportError(
                    "the bot is not in the room and not invited", permanent=True, status=403
                ) from None
            raise

    def announce(self, rnd: Round, lines: Sequence[Line]) -> None:
        self._send(self.config["room_id"], f"kaffeeklatsch-round-{rnd.pk}", lines)

    def test_message(self, lines: Sequence[Line], key: str) -> None:
        self._send(self.config["room_id"], f"kaffeeklatsch-test-{key}", lines)

    def _bot(self) -> str:
        whoami = self._api("GET", "/account/whoami") or {}
        bot = whoami.get("user_id") if isinstance(whoami, dict) else None
        if not isinstance(bot, str):
            raise TransportError("whoami returned no user_id")
        return bot

    def _direct_rooms(self, bot: str) -> dict[str, Any]:
        try:
            direct = self._api("GET", f"/user/{quote(bot, safe='')}/account_data/m.direct")
        except TransportError as exc:
            if exc.status != 404:  # 404: no direct rooms recorded yet
                raise
            direct = {}
        return direct if isinstance(direct, dict) else {}

    def _membership(self, room_id: str, user: str) -> str:
        """``user``'s membership of the room as the bot sees it; "" when unknown."""
        path = f"/rooms/{quote(room_id, safe='')}/state/m.room.member/{quote(user, safe='')}"
        try:
            state = self._api("GET", path)
        except TransportError as exc:
            if exc.status in (403, 404):  # never a member, or the bot itself left
                return ""
            raise
        membership = state.get("membership") if isinstance(state, dict) else None
        return membership if isinstance(membership, str) else ""

    def _direct_room(self, handle: str) -> str:
        """The bot's direct room with ``handle``, where the person still is; or a new one,
        recorded in the bot's ``m.direct`` so that later rounds use it."""
        bot = self._bot()
        with self.exclusive(f"matrix:{bot}"):
            self._locked = True
            try:
                return self._find_or_open(bot, handle)
            finally:
                self._locked = False

    def _find_or_open(self, bot: str, handle: str) -> str:
        rooms = self._direct_rooms(bot).get(handle)
        if isinstance(rooms, list):
            for room_id in reversed(rooms):
                if (
                    isinstance(room_id, str)
                    and self._membership(room_id, handle) in IN_ROOM
                    and self._membership(room_id, bot) == "join"
                ):
                    return room_id
        created = self._api(
            "POST", "/createRoom", {"is_direct": True, "preset": "trusted_private_chat"}
        )
        room_id = created.get("room_id") if isinstance(created, dict) else None
        if not isinstance(room_id, str):
            raise TransportError("createRoom returned no room_id")
        try:
            self._api("POST", f"/rooms/{quote(room_id, safe='')}/invite", {"user_id": handle})
        except TransportError as exc:
            # No empty room is left behind: the bot leaves and forgets it.
            self._abandon(room_id)
            if exc.status in (403, 404):
                raise HandleRefused(
                    f"the Matrix ID cannot be invited (HTTP {exc.status})", status=exc.status
                ) from None
            if exc.status == 502:
                raise HandleUnreachable(
                    "the Matrix ID's server cannot be reached (HTTP 502)", status=502
                ) from None
            raise
        # Re-read just before writing: another client of the bot may have written since.
        direct = self._direct_rooms(bot)
        previous = direct.get(handle)
        direct[handle] = [
            *(r for r in (previous if isinstance(previous, list) else []) if r != room_id),
            room_id,
        ]
        self._api("PUT", f"/user/{quote(bot, safe='')}/account_data/m.direct", direct)
        return room_id

    def _abandon(self, room_id: str) -> None:
        quoted = quote(room_id, safe="")
        try:
            self._api("POST", f"/rooms/{quoted}/leave", {})
            self._api("POST", f"/rooms/{quoted}/forget", {})
        except TransportError:
            pass  # the invitation's failure is the news; an orphan room is only tidiness

    def direct_message(self, handle: str, lines: Sequence[Line]) -> None:
        room_id = self._direct_room(handle)
        digest = hashlib.sha256(f"{handle}\n{plain(lines)}".encode()).hexdigest()[:24]
        self._send(room_id, f"kaffeeklatsch-dm-{digest}", lines)
