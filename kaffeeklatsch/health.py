"""``kaffeeklatsch health web|worker``: whether the web process on this machine answers
and whether its worker is alive, for a container's (or a monitoring tool's) health check.

It loads no Django: a health check runs every half minute, and Django's start costs
seconds of processor time. The web check asks the local web process for the home page
under the site's public host name and scheme, as the reverse proxy does (so
``ALLOWED_HOSTS`` and the HTTPS redirect treat it like a visitor). The worker check reads
the time of the file the worker touches after every pass
(``kaffeeklatsch worker --heartbeat PATH``). Exit status 0: healthy; 1: not.
"""

from __future__ import annotations

import argparse
import gettext
import http.client
import os
import sys
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

LOCALE_DIR = Path(__file__).with_name("locale")
# As in settings.py, read here without loading Django.
DEFAULT_BASE_URL = "http://localhost:8000"
DEFAULT_LANGUAGE = "de"
# A pass with a large round takes about a minute per 100,000 people; a worker silent
# for longer than this is stuck or gone.
DEFAULT_MAX_AGE = 600.0


@cache
def _catalogue() -> gettext.NullTranslations:
    lang = os.environ.get("KAFFEEKLATSCH_LANGUAGE", DEFAULT_LANGUAGE)
    return gettext.translation("django", LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str) -> str:
    """The site's fallback language's text (the Django catalogue, read with the standard
    library)."""
    return _catalogue().gettext(message)


def check_web(address: str, base_url: str, timeout: float) -> tuple[bool, str]:
    """Whether the web process at ``address`` (``host:port``) answers the home page of
    the site at ``base_url`` with 200, and what to say about it."""
    site = urlsplit(base_url)
    host, _sep, port = address.rpartition(":")
    connection = http.client.HTTPConnection(host or address, int(port or 80), timeout=timeout)
    try:
        connection.request(
            "GET", "/", headers={"Host": site.netloc, "X-Forwarded-Proto": site.scheme}
        )
        status = connection.getresponse().status
    except OSError as exc:
        return False, _("The web process does not answer: %(error)s") % {
            "error": type(exc).__name__
        }
    finally:
        connection.close()
    if status != 200:
        return False, _("The web process answered with status %(status)s.") % {"status": status}
    return True, _("The web process answers.")


def check_worker(heartbeat: Path, max_age: float, now: float | None = None) -> tuple[bool, str]:
    """Whether the worker touched ``heartbeat`` within the last ``max_age`` seconds."""
    try:
        touched = heartbeat.stat().st_mtime
    except FileNotFoundError:
        return False, _("The worker has not finished a pass yet.")
    age = (time.time() if now is None else now) - touched
    if age > max_age:
        return False, _("The worker has not finished a pass for %(seconds)s seconds.") % {
            "seconds": int(age)
        }
    return True, _("The worker is alive.")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="kaffeeklatsch health",
        description=_("Checks whether the web process answers or the worker is alive."),
    )
    parts = parser.add_subparsers(dest="part", required=True)
    web = parts.add_parser("web", help=_("The web process on this machine."))
    web.add_argument(
        "--address", default="127.0.0.1:8000", help=_("Where the web process listens.")
    )
    web.add_argument("--timeout", type=float, default=10.0, help=_("Seconds to wait."))
    worker = parts.add_parser("worker", help=_("The worker on this machine."))
    worker.add_argument(
        "--heartbeat",
        type=Path,
        required=True,
        help=_("The file the worker touches after every pass."),
    )
    worker.add_argument(
        "--max-age",
        type=float,
        default=DEFAULT_MAX_AGE,
        help=_("Seconds since the last pass after which the worker counts as stuck."),
    )
    args = parser.parse_args(list(argv))
    if args.part == "web":
        base_url = os.environ.get("KAFFEEKLATSCH_BASE_URL", DEFAULT_BASE_URL)
        healthy, message = check_web(args.address, base_url, args.timeout)
    else:
        healthy, message = check_worker(args.heartbeat, args.max_age)
    print(message, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1
