"""A generic webhook: ``POST`` of a JSON body, signed so the receiver can trust it.

Headers: ``X-Kaffeeklatsch-Timestamp`` (Unix seconds) and
``X-Kaffeeklatsch-Signature: sha256=<hex>``, the HMAC-SHA256 with the shared secret
over ``<timestamp>.<body>``. Receivers recompute it, compare in constant time and
reject old timestamps, which stops forged and replayed requests.

Every delivery has an id, ``X-Kaffeeklatsch-Delivery`` and ``"delivery"`` in the body:
the same for every retry of one delivery (a round's announcement to this address, one
test message), different for any other, so a receiver drops what it has seen.

``title`` and ``lines`` are plain text exactly as written, names included: no markup
is added and none is meant. A receiver that shows them in a format of its own
(Markdown, HTML, a chat) escapes them for that format.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.reach.channels.base import Setting, Transport, http
from kaffeeklatsch.reach.channels.escaping import Line, headline_and_entries, text

if TYPE_CHECKING:
    from kaffeeklatsch.rounds.models import Round

SIGNATURE_HEADER = "X-Kaffeeklatsch-Signature"
TIMESTAMP_HEADER = "X-Kaffeeklatsch-Timestamp"
DELIVERY_HEADER = "X-Kaffeeklatsch-Delivery"
_DELIVERIES = uuid.UUID("0b7f6f0e-5a51-4c35-9c1f-6b0c6c8a4e21")


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class Webhook(Transport):
    kind = "webhook"
    label = _("Webhook (signed JSON)")
    settings = (
        Setting("url", _("Address that receives the POST"), url=True, secret=True),
        Setting(
            "secret",
            _("Shared secret"),
            secret=True,
            help=_("At least 16 characters; the receiver checks the signature with it."),
        ),
    )

    @classmethod
    def check(cls, config: dict[str, str]) -> None:
        if len(config["secret"]) < 16:
            raise ValidationError({"secret": _("The secret needs at least 16 characters.")})

    def delivery_id(self, what: str) -> str:
        """Stable for ``what`` sent to this address; the address keeps two webhooks of
        one receiver apart."""
        return str(uuid.uuid5(_DELIVERIES, f"{self.config['url']}\n{what}"))

    def post(self, payload: dict[str, Any], what: str) -> None:
        delivery = self.delivery_id(what)
        payload = {**payload, "delivery": delivery}
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        timestamp = str(int(time.time()))
        http(
            "POST",
            self.config["url"],
            body=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                TIMESTAMP_HEADER: timestamp,
                DELIVERY_HEADER: delivery,
                SIGNATURE_HEADER: signature(self.config["secret"], timestamp, body),
            },
        )

    def announce(self, rnd: Round, lines: Sequence[Line]) -> None:
        head, rest = headline_and_entries(lines)
        self.post(
            {
                "event": "round.published",
                "programme": rnd.programme.name,
                "round": rnd.number,
                "title": text(head),
                "lines": [text(line) for line in rest],
            },
            f"round-{rnd.pk}",
        )

    def test_message(self, lines: Sequence[Line], key: str) -> None:
        head, rest = headline_and_entries(lines)
        self.post({"event": "test", "title": text(head), "lines": [text(x) for x in rest]}, key)
