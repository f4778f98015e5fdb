"""Chat text is data, never markup: every text goes out escaped for its platform.

A name, a programme's name, a place or an interest is typed by people, and chat
platforms read formatting, links and mentions out of the text they are sent. So every
word of a message, the product's own sentences included, is escaped for the format of
the platform it goes to, and the product's own markup (the bold headline, the list)
is written by the renderers here around text that is already escaped. The only link
the product sends itself, a group's video room, is a :class:`Link`, never text.

Escaping goes in three steps:

1. :func:`neutral`, for every chat format: line breaks and other control characters
   become spaces and bidirectional controls are dropped, so a text stays on its line
   and reads in its own order; a ``@`` that could start a mention (``@room``,
   ``@all``, ``@here``, ``@channel``, ``@everyone``) gets an invisible WORD JOINER
   after it; a web address is defanged the readable way security reports write them
   (``http[:]//evil[.]example``). Zero-width characters would not do for addresses:
   IDNA ignores them, so ``evil\u2060.com`` still opens ``evil.com``. E-mail addresses
   stay as written: they can only open a mail to the address one reads.
2. The format's own escaping: HTML entities for Matrix; ``&amp; &lt; &gt;`` and
   look-alikes of ``* _ ~ ``` for Slack's mrkdwn, which knows no backslash; for the
   Markdown of Mattermost, Zulip and Rocket.Chat a backslash before exactly those
   characters the platform's parser takes back from one, so no stray backslash shows.
3. Where an escape is not understood by every parser, the syntax is broken with a
   WORD JOINER instead: between ``]`` and ``(``, after ``<``, inside ``~~``, ``$$``
   and ``||``, and before a list entry that starts with a character that could open a
   heading, a quote, a list or a rule.

The webhook's JSON is data already: it gets the texts as written (:func:`text`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape

from kaffeeklatsch.matching.text import clean_one_line

WORD_JOINER = "\u2060"


@dataclass(frozen=True)
class Link:
    """An address the product itself sends (a group's video room): clickable, and
    shown as the address it opens."""

    url: str


Piece = str | Link
#: One line of a message: text, or text and the product's links in a row.
Line = str | tuple[Piece, ...]

# "@" where a mention can begin: at the start or after anything but a letter or digit.
_MENTION = re.compile(r"(?<![^\W_])@")
_SCHEME = re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*):(?=//)")
# A dot between a letter or digit and two letters: "evil.example", "www.x", not "J.R.".
_DOMAIN_DOT = re.compile(r"(?<=[^\W_])\.(?=[^\W\d_]{2}|xn--)")
_IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_EMAIL = re.compile(r"[\w.+-]+@[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)+")
# What the product sends as a link: http(s) and nothing a format could read as syntax.
_LINK_URL = re.compile(r"https?://[^\s<>\"'`|\\()\[\]{}*]+")


def _defang(text: str) -> str:
    text = _SCHEME.sub(r"\1[:]", text)
    text = _IPV4.sub(lambda m: m.group(0).replace(".", "[.]"), text)
    return _DOMAIN_DOT.sub("[.]", text)


def neutral(text: str) -> str:
    """``text`` on one line (as :func:`clean_one_line` makes it: no line breaks, no
    invisible characters), without mentions or addresses a platform would act on; it
    reads as before."""
    text = clean_one_line(text).text
    text = _MENTION.sub("@" + WORD_JOINER, text)
    parts: list[str] = []
    end = 0
    for email in _EMAIL.finditer(text):
        parts += [_defang(text[end : email.start()]), email.group(0)]
        end = email.end()
    parts.append(_defang(text[end:]))
    return "".join(parts)


def linked(value: str, url: str) -> Line:
    """``value`` with ``url`` in it as a :class:`Link`; ``value`` alone when the address
    is not in it."""
    if not url or url not in value:
        return value
    before, _, after = value.partition(url)
    return tuple(p for p in (before, Link(url), after) if p)


def text(line: Line) -> str:
    """The line as written, links as their addresses: for formats that are data."""
    return "".join(p if isinstance(p, str) else p.url for p in _pieces(line))


def _pieces(line: Line) -> tuple[Piece, ...]:
    return (line,) if isinstance(line, str) else line


def pieces(line: Line) -> list[Piece]:
    """The line's texts and links, a link that is no plain http(s) address as text;
    spaces at the line's ends dropped, so that it starts with what it says."""
    out: list[Piece] = [
        p if isinstance(p, str) or _LINK_URL.fullmatch(p.url) else p.url for p in _pieces(line)
    ]
    if out and isinstance(out[0], str):
        out[0] = out[0].lstrip()
    if out and isinstance(out[-1], str):
        out[-1] = out[-1].rstrip()
    return out


def _render(line: Line, escape_text: Callable[[str], str], link: Callable[[str], str]) -> str:
    return "".join(link(p.url) if isinstance(p, Link) else escape_text(p) for p in pieces(line))


def headline_and_entries(lines: Sequence[Line]) -> tuple[Line, Sequence[Line]]:
    """A message's headline and entries. A single string is a message of one line (a
    string is a sequence of strings too: this keeps it from becoming a line per
    character)."""
    if isinstance(lines, str):
        return lines, ()
    if not lines:
        return "", ()
    return lines[0], lines[1:]


# --- Plain text: Matrix's body, the fallback text of a Teams card ----------------


def plain_line(line: Line) -> str:
    return _render(line, neutral, lambda url: url)


def plain(lines: Sequence[Line]) -> str:
    """The headline, then one ``- `` line per entry."""
    head, rest = headline_and_entries(lines)
    return "\n".join([plain_line(head), *(f"- {plain_line(line)}" for line in rest)])


# --- HTML: Matrix's formatted_body ----------------------------------------------


def html_text(value: str) -> str:
    return str(escape(neutral(value)))


def html(lines: Sequence[Line]) -> str:
    """The headline in bold, the entries as a list."""
    head, rest = headline_and_entries(lines)

    def link(url: str) -> str:
        return f'<a href="{escape(url)}">{escape(url)}</a>'

    out = f"<p><strong>{_render(head, html_text, link)}</strong></p>"
    if rest:
        items = "".join(f"<li>{_render(line, html_text, link)}</li>" for line in rest)
        out += f"<ul>{items}</ul>"
    return out


# --- Slack mrkdwn -----------------------------------------------------------------

_SLACK_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Slack has no escape for its formatting characters: outside a word they become
# look-alikes that it does not read (inside a word Slack formats nothing).
_SLACK_LOOKALIKES = {"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"}
_SLACK_MARK = re.compile(r"(?<![^\W_])[*_~`]|[*_~`](?![^\W_])")
_SLACK_ENTITY = re.compile(r"[&<>]")


def slack_text(value: str) -> str:
    value = _SLACK_MARK.sub(lambda m: _SLACK_LOOKALIKES[m.group(0)], neutral(value))
    return _SLACK_ENTITY.sub(lambda m: _SLACK_ENTITIES[m.group(0)], value)


def mrkdwn(lines: Sequence[Line]) -> str:
    """The headline in bold, the entries as a list, in Slack's mrkdwn."""
    head, rest = headline_and_entries(lines)

    def link(url: str) -> str:
        return f"<{_SLACK_ENTITY.sub(lambda m: _SLACK_ENTITIES[m.group(0)], url)}>"

    return "\n".join(
        [f"*{_render(head, slack_text, link)}*"]
        + [f"• {_render(line, slack_text, link)}" for line in rest]
    )


# --- Markdown: Mattermost, Zulip, Rocket.Chat --------------------------------------

# Syntax that needs two characters in a row, broken by a WORD JOINER between them:
# links "](", autolinks and tags "<", entities "&lt;", strikethrough "~~", maths "$$",
# spoilers "||".
_JOINED = re.compile(
    r"(?<=\])(?=\()|(?<=<)|(?<=&)(?=[#\w])|(?<=~)(?=~)|(?<=\$)(?=\$)|(?<=\|)(?=\|)"
)


@dataclass(frozen=True)
class Markdown:
    """One platform's Markdown, known by the characters its parser takes back from a
    backslash."""

    escapable: str

    def text(self, value: str) -> str:
        value = _JOINED.sub(WORD_JOINER, neutral(value))
        if "\\" not in self.escapable:
            # A backslash the parser keeps must not escape the product's own markup.
            value = value.replace("\\", "\\" + WORD_JOINER)
        return re.sub(f"([{re.escape(self.escapable)}])", r"\\\1", value)

    def line(self, line: Line) -> str:
        rendered = _render(line, self.text, lambda url: url)
        # A list entry or a headline never starts a heading, quote, list or rule.
        if rendered and not rendered[0].isalpha():
            rendered = WORD_JOINER + rendered
        return rendered

    def render(self, lines: Sequence[Line]) -> str:
        """The headline in bold, the entries as a list."""
        head, rest = headline_and_entries(lines)
        return "\n".join([f"**{self.line(head)}**", *(f"- {self.line(line)}" for line in rest)])


#: CommonMark takes back a backslash before any ASCII punctuation.
MATTERMOST = Markdown("\\`*_{}[]()#>!|~")
#: Python-Markdown's escapes.
ZULIP = Markdown("\\`*_{}[]()#>!")
#: Rocket.Chat's message parser only unescapes these.
ROCKETCHAT = Markdown("*_~`#")
