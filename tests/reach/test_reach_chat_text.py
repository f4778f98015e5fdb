"""Names are data, never markup: people with hostile names are matched, the round is
published, and what each platform's listener on loopback receives is checked for mass
mentions, links and fake lines that the platform would act on, for the product's own
markup, and for names that still read as the names."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from kaffeeklatsch.jobs.queue import run_due
from kaffeeklatsch.programmes.models import MeetingMode
from kaffeeklatsch.reach.channels.escaping import (
    MATTERMOST,
    ROCKETCHAT,
    WORD_JOINER,
    ZULIP,
    Link,
    mrkdwn,
    neutral,
)
from kaffeeklatsch.reach.models import ChatChannel, ChatHandle
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.reach.test_reach_channels import Recorder

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback", "public_dns")]

PROGRAMME = "Kaffee <!here> [Win](http://evil.example/prize) @all"
HOSTILE = [
    "Eve <!channel> <http://evil.example/reset|Reset your password>",
    "Mallory [Reset](http://evil.example/x) @here www.evil.example",
    "Trent\n# Fake heading\n> quote @room @everyone <@U0123ABCD>",
    "Oscar `code` _it_ ~~gone~~ **loud** <b>bold</b> <!everyone> @channel @**all**",
]
#: The words of each name that must still be read.
WORDS = ["Eve", "Reset your password", "Mallory", "Fake heading", "Trent", "Oscar", "loud"]
MASS_MENTION = re.compile(r"(?<![^\W_])@(\*\*)?(all|here|channel|everyone|room|stream)\b", re.I)
SLACK_SPECIAL = re.compile(r"<[!@#]")
WEB_ADDRESS = re.compile(r"https?://|www\.evil")
VIDEO = "https://meet.example.org/"


def no_mention_no_link(text: str, *, slack: bool = False, markdown: bool = False) -> None:
    """Nothing in ``text`` notifies a whole room or person, or links to the names'
    addresses: no mass mention, no address a client turns into a link, and in Slack's
    or Markdown's syntax no mention or link markup."""
    assert not MASS_MENTION.search(text), text
    assert not WEB_ADDRESS.search(text.replace(VIDEO, "")), text
    if slack:
        assert not SLACK_SPECIAL.search(text), text
    if markdown:
        assert "](" not in text and "<http" not in text and "<!" not in text, text


def markdown_read(text: str) -> str:
    """What a Markdown reader shows, less the formatting: escapes and joiners gone."""
    return re.sub(r"\\(.)", r"\1", text).replace(WORD_JOINER, "")


def slack_read(text: str) -> str:
    lookalikes = {"\u2217": "*", "\u02cd": "_", "\u223c": "~", "\u02cb": "`"}
    text = html.unescape(text).replace(WORD_JOINER, "")
    return "".join(lookalikes.get(c, c) for c in text)


def assert_readable(shown: str) -> None:
    for word in WORDS:
        assert word in shown, (word, shown)


def markdown_checks(text: str, lines: int, escapes_brackets: bool = True) -> None:
    no_mention_no_link(text, markdown=True)
    head, *rest = text.split("\n")
    # The product's markup works: a bold headline and one list entry per line, and no
    # name adds a line, a heading or a quote.
    assert head.startswith("**Kaffeeklatsch") and head.endswith("**")
    assert len(rest) == lines and all(line.startswith("- ") for line in rest), text
    for entry in [head[2:-2]] + [line[2:] for line in rest]:
        # No formatting character of a name is left to the parser.
        assert not re.search(r"(?<!\\)[*_`]", entry), entry
        assert not re.match(r"[#>\-+*=|0-9]", entry), entry
        if escapes_brackets:
            assert not re.search(r"(?<!\\)[\[\]]", entry), entry
    assert_readable(markdown_read(text))


# ---------------------------------------------------------------------------
# Announcements, per platform, through the job queue


@pytest.fixture
def hostile_round(programme: Any, make_participant: Any) -> Callable[[], None]:
    programme.name = PROGRAMME
    programme.save()
    for name in HOSTILE:
        make_participant(programme, name, named_in_channels=True)

    def publish() -> None:
        publish_round(preview_round(programme))
        run_due()

    return publish


def channel(programme: Any, kind: str, **config: str) -> ChatChannel:
    return ChatChannel.objects.create(programme=programme, kind=kind, config=config)


def test_slack_gets_escaped_mrkdwn_and_asks_for_no_parsing(
    httpserver: HTTPServer, programme: Any, hostile_round: Callable[[], None]
) -> None:
    base = httpserver.url_for("").rstrip("/")
    post = Recorder(httpserver, "/api/chat.postMessage", {"ok": True})
    hook = Recorder(httpserver, "/services/T/B/X")
    channel(programme, "slack", bot_token="xoxb-1", channel="C0123", api_url=f"{base}/api")
    channel(programme, "slack", webhook_url=f"{base}/services/T/B/X")
    hostile_round()
    for payload in (post.json(), hook.json()):
        text = payload["text"]
        assert payload["parse"] == "none" and payload["link_names"] is False
        assert payload["unfurl_links"] is False and payload["unfurl_media"] is False
        no_mention_no_link(text, slack=True)
        assert "<" not in text and ">" not in text
        assert "&lt;!channel&gt;" in text and "&lt;!everyone&gt;" in text
        head, *rest = text.split("\n")
        # Only the headline's own asterisks format; names add neither marks nor lines.
        assert head.startswith("*Kaffeeklatsch") and head.endswith("*")
        assert text.count("*") == 2 and not re.search(r"[_~`]", text)
        assert all(line.startswith("• ") for line in rest) and len(rest) == 3
        assert_readable(slack_read(text))
        assert "Kaffee <!here> [Win]" in slack_read(text)


@pytest.mark.parametrize(
    ("kind", "path", "escapes_brackets"),
    [("mattermost", "/hooks/xyz", True), ("rocketchat", "/api/v1/chat.postMessage", False)],
)
def test_mattermost_and_rocketchat_get_escaped_markdown(
    kind: str,
    path: str,
    escapes_brackets: bool,
    httpserver: HTTPServer,
    programme: Any,
    hostile_round: Callable[[], None],
) -> None:
    base = httpserver.url_for("").rstrip("/")
    post = Recorder(httpserver, path, {"success": True})
    if kind == "mattermost":
        channel(programme, kind, webhook_url=f"{base}{path}")
    else:
        channel(programme, kind, server_url=base, user_id="u", auth_token="t", channel="#c")
    hostile_round()
    markdown_checks(post.json()["text"], 3, escapes_brackets)


def test_zulip_gets_escaped_markdown_without_wildcard_mentions(
    httpserver: HTTPServer, programme: Any, hostile_round: Callable[[], None]
) -> None:
    base = httpserver.url_for("").rstrip("/")
    post = Recorder(httpserver, "/api/v1/messages", {"result": "success"})
    channel(programme, "zulip", site=base, bot_email="bot@z.example.org", api_key="k", stream="s")
    hostile_round()
    [content] = post.requests[0]["form"]["content"]
    markdown_checks(content, 3)
    assert "@**" not in content and "@_**" not in content and "~~" not in content


def test_teams_gets_text_runs_that_are_never_markdown(
    httpserver: HTTPServer, programme: Any, hostile_round: Callable[[], None]
) -> None:
    base = httpserver.url_for("").rstrip("/")
    hook = Recorder(httpserver, "/workflows/abc")
    channel(programme, "teams", webhook_url=f"{base}/workflows/abc")
    hostile_round()
    card = hook.json()["attachments"][0]["content"]
    assert {block["type"] for block in card["body"]} == {"RichTextBlock"}
    runs = [run for block in card["body"] for run in block["inlines"]]
    assert {run["type"] for run in runs} == {"TextRun"}
    assert not any("selectAction" in run for run in runs)
    assert runs[0]["weight"] == "bolder"
    shown = ["".join(run["text"] for run in block["inlines"]) for block in card["body"]]
    assert len(shown) == 4 and all("\n" not in text for text in shown)
    for text in (*shown, card["fallbackText"]):
        no_mention_no_link(text)
    assert_readable(" ".join(shown).replace(WORD_JOINER, ""))


def test_matrix_gets_neutral_body_escaped_html_and_mentions_nobody(
    httpserver: HTTPServer, programme: Any, hostile_round: Callable[[], None]
) -> None:
    base = httpserver.url_for("").rstrip("/")
    send = Recorder(httpserver, re.compile("^/_matrix/client/v3/rooms/.*/send/.*"))
    channel(programme, "matrix", homeserver=base, access_token="syt_x", room_id="!c:example.org")
    hostile_round()
    content = send.json()
    assert content["m.mentions"] == {}
    no_mention_no_link(content["body"])
    no_mention_no_link(content["formatted_body"])
    assert "<a" not in content["formatted_body"] and "<b>" not in content["formatted_body"]
    assert "&lt;b&gt;bold&lt;/b&gt;" in content["formatted_body"]
    assert content["formatted_body"].count("<li>") == 3
    assert_readable(content["body"].replace(WORD_JOINER, ""))


def test_the_webhook_gets_the_names_as_plain_json_strings(
    httpserver: HTTPServer, programme: Any, hostile_round: Callable[[], None]
) -> None:
    base = httpserver.url_for("").rstrip("/")
    hook = Recorder(httpserver, "/receive")
    channel(programme, "webhook", url=f"{base}/receive", secret="a-shared-secret-of-some-length")
    hostile_round()
    payload = hook.json()
    # Data, exactly as written: the receiver escapes for whatever it shows them in.
    assert payload["programme"] == PROGRAMME and PROGRAMME in payload["title"]
    assert all(isinstance(line, str) for line in payload["lines"])
    for name in HOSTILE:
        assert name in "\n".join(payload["lines"])


# ---------------------------------------------------------------------------
# Direct messages: the partner's name escaped, the video room still a link


def direct_text(kind: str, post: Recorder) -> str:
    """The direct message among what the platform's listener received."""
    if kind == "zulip":
        [text] = [
            r["form"]["content"][0] for r in post.requests if r["form"]["type"] == ["private"]
        ]
        return str(text)
    if kind == "mattermost":
        return str(post.json()["message"])
    bodies = [json.loads(r["body"]) for r in post.requests]
    [text] = [b["text"] for b in bodies if b["channel"] in ("D1", "@anna")]
    return str(text)


@pytest.mark.parametrize(
    ("kind", "config", "handle", "path"),
    [
        ("slack", {"bot_token": "xoxb-1", "channel": "C1"}, "U0ANNA", "/api/chat.postMessage"),
        ("mattermost", {"bot_token": "tok"}, "anna", "/api/v4/posts"),
        ("rocketchat", {"user_id": "u", "auth_token": "t", "channel": "#c"}, "anna", None),
        (
            "zulip",
            {"bot_email": "bot@z.example.org", "api_key": "k", "stream": "s"},
            "a@x.org",
            None,
        ),
    ],
)
def test_direct_messages_escape_the_partner_and_keep_the_video_link(
    kind: str,
    config: dict[str, str],
    handle: str,
    path: str | None,
    httpserver: HTTPServer,
    programme: Any,
    make_participant: Any,
    settings: Any,
) -> None:
    settings.VIDEO_URL_TEMPLATE = VIDEO + "{room}"
    programme.mode = MeetingMode.ONLINE
    programme.save()
    base = httpserver.url_for("").rstrip("/")
    urls = {
        "slack": {"api_url": f"{base}/api"},
        "mattermost": {"webhook_url": f"{base}/hooks/x", "server_url": base},
        "rocketchat": {"server_url": base},
        "zulip": {"site": base},
    }[kind]
    Recorder(httpserver, "/api/conversations.open", {"ok": True, "channel": {"id": "D1"}})
    for step in ("users/me", "users/username/anna", "channels/direct"):
        Recorder(httpserver, f"/api/v4/{step}", {"id": "x"})
    Recorder(httpserver, "/hooks/x")
    post = Recorder(
        httpserver,
        path or {"rocketchat": "/api/v1/chat.postMessage", "zulip": "/api/v1/messages"}[kind],
        {"ok": True, "id": "p", "success": True, "result": "success"},
    )
    anna = make_participant(programme, "Anna")
    make_participant(programme, HOSTILE[2], email="trent_b@example.org", shares="email")
    chat = channel(programme, kind, **config, **urls)
    ChatHandle.objects.create(participant=anna, channel=chat, handle=handle)
    publish_round(preview_round(programme))
    run_due()
    assert ChatHandle.objects.get().last_error == ""
    text = direct_text(kind, post)
    # Trent's e-mail address is kept as written (it can only open a mail to itself).
    assert "trent" in text and "@example.org" in text
    room = re.search(re.escape(VIDEO) + r"kaffeeklatsch-[\w-]+", text)
    assert room is not None
    if kind == "slack":
        assert f"<{room.group(0)}>" in text and text.count("<") == 1
        without_link = text.replace(f"<{room.group(0)}>", "")
        assert not re.search(r"[<>]", without_link)
        shown = slack_read(without_link)
    else:
        without_link = text.replace(room.group(0), "")
        shown = markdown_read(without_link)
    no_mention_no_link(without_link, slack=kind == "slack", markdown=kind != "slack")
    assert "Trent # Fake heading > quote" in shown
    assert text.count("\n") == 4  # headline, the partner, when, how, the question


# ---------------------------------------------------------------------------
# The escaping itself


def test_names_stay_readable_and_only_addresses_and_mentions_change() -> None:
    assert neutral("Anna-Lena Müller, J.R.R. Tolkien, St. Anna, 12.05.2025") == (
        "Anna-Lena Müller, J.R.R. Tolkien, St. Anna, 12.05.2025"
    )
    assert neutral("anna.schmidt@example.org") == "anna.schmidt@example.org"
    assert neutral("Eve\r\nAdmin\u202eevil") == "Eve Adminevil"
    assert neutral("see http://evil.example/a and www.evil.example, 10.0.0.1") == (
        "see http[:]//evil[.]example/a and www[.]evil[.]example, 10[.]0[.]0[.]1"
    )
    assert neutral("@room @all") == f"@{WORD_JOINER}room @{WORD_JOINER}all"


def test_each_markdown_escapes_only_what_its_parser_takes_back() -> None:
    # Rocket.Chat's parser leaves "\[" as it is: the link is broken by a joiner instead.
    assert ROCKETCHAT.text("[a](b) *c*") == f"[a]{WORD_JOINER}(b) \\*c\\*"
    assert MATTERMOST.text("[a](b) ~~c~~") == (
        f"\\[a\\]{WORD_JOINER}\\(b\\) \\~{WORD_JOINER}\\~c\\~{WORD_JOINER}\\~"
    )
    assert ZULIP.text("a & b &lt;") == f"a & b &{WORD_JOINER}lt;"
    assert ZULIP.line("# title") == f"{WORD_JOINER}\\# title"


def test_only_the_products_own_link_is_a_link() -> None:
    lines = ["Head", ("Online: ", Link("https://meet.example.org/r1"))]
    assert mrkdwn(lines) == "*Head*\n• Online: <https://meet.example.org/r1>"
    # An address that could carry syntax is shown as text, defanged.
    assert "<" not in mrkdwn(["Head", ("x ", Link("https://a.example/>|<!channel>"))])
