"""Printed matter for people without e-mail: one large-print letter per person and a
phone list for the volunteers who call people, each in the reader's language."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from xml.sax.saxutils import escape

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from kaffeeklatsch.front.pdf import fitted_widths, pdf_fonts
from kaffeeklatsch.insights.exports import csv_lines
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.reach.services import Meeting, Partner, meeting_for, no_common_time_line
from kaffeeklatsch.rounds.models import Feedback, Group, Round
from kaffeeklatsch.rounds.schedule import letters_post_by

NUMBER_SPACE = re.compile(r"(?<=[\d+]) (?=\d)")

#: Large print: letters are read by people who may not see well.
LETTER_POINTS = 16
OFFLINE = (Participant.ReachedBy.POST, Participant.ReachedBy.PHONE)


def _styles(points: int) -> dict[str, ParagraphStyle]:
    regular, bold = pdf_fonts()
    body = ParagraphStyle(
        "body",
        fontName=regular,
        fontSize=points,
        leading=points * 1.25,
        spaceAfter=points * 0.3,
        textColor=colors.black,
    )
    return {
        "body": body,
        "title": ParagraphStyle(
            "title",
            parent=body,
            fontName=bold,
            fontSize=points + 6,
            leading=(points + 6) * 1.3,
            spaceAfter=points,
        ),
        "strong": ParagraphStyle("strong", parent=body, fontName=bold),
        "small": ParagraphStyle(
            "small", parent=body, fontSize=max(points - 5, 9), leading=max(points - 5, 9) * 1.3
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(unbroken(text)).replace("\n", "<br/>"), style)


def offline_members(rnd: Round) -> Iterator[tuple[Group, Participant]]:
    """Each person of the round reached by post or by phone, with their group.

    Only the groups with such a person are read (with all their members, whom the
    letters name): a few hundred of a round of 100,000 people, found from the people."""
    offline = Group.members.through.objects.filter(
        group__round=rnd,
        participant__programme=rnd.programme_id,
        participant__reached_by__in=OFFLINE,
    ).values("group_id")
    groups = (
        rnd.groups.filter(pk__in=offline)
        .prefetch_related("members")
        .select_related("round__programme")
    )
    # A few hundred groups at a time, so a long list can be sent while it is read.
    for group in groups.iterator(chunk_size=200):
        for member in group.members.all():
            if member.reached_by in OFFLINE:
                yield group, member


def _partner_lines(partner: Partner, programme: Programme) -> list[str]:
    """Who the partner is and how the reader reaches them on paper: their phone
    number where they agreed to share it, otherwise their e-mail address or the
    programme's contact person."""
    lines = [partner.name]
    if partner.details:
        lines.append(partner.details)
    if partner.phone:
        lines.append(_("Phone: %(phone)s") % {"phone": partner.phone})
    elif programme.contact_name and programme.contact_phone:
        lines.append(
            _(
                "%(name)s has not shared a phone number. Call %(contact)s on %(phone)s, "
                "who will put you in touch."
            )
            % {
                "name": partner.name,
                "contact": programme.contact_name,
                "phone": programme.contact_phone,
            }
        )
    elif partner.email:
        lines.append(
            _("%(name)s has not shared a phone number; you can write by e-mail.")
            % {"name": partner.name}
        )
    else:
        lines.append(
            _("%(name)s has not shared contact details. The organisers will put you in touch.")
            % {"name": partner.name}
        )
    if partner.email:
        lines.append(_("E-mail: %(email)s") % {"email": partner.email})
    if partner.languages:
        lines.append(_("Speaks: %(languages)s") % {"languages": partner.languages})
    return lines


def _reply_slip(meeting: Meeting, styles: dict[str, ParagraphStyle]) -> list:
    """A slip to cut off and give back: the answer to "Did you meet?" on paper."""
    person, rnd = meeting.person, meeting.round
    names = ", ".join(p.name for p in meeting.partners)
    return [
        Spacer(1, 4 * mm),
        _p("- " * 32, styles["body"]),
        _p(
            _("Reply slip: round %(number)s of “%(programme)s”")
            % {"number": rnd.number, "programme": rnd.programme.name},
            styles["strong"],
        ),
        _p(_("Name: %(name)s") % {"name": person.name}, styles["body"]),
        _p(_("Did you meet %(names)s?") % {"names": names}, styles["body"]),
        _p("[   ]  " + _("Yes, we met"), styles["body"]),
        _p("[   ]  " + _("No, we did not meet"), styles["body"]),
    ]


def _letter(meeting: Meeting, styles: dict[str, ParagraphStyle]) -> list:
    person, rnd = meeting.person, meeting.round
    programme = rnd.programme
    story: list = []
    if person.reached_by == Participant.ReachedBy.POST and person.postal_address:
        story.append(_p(f"{person.name}\n{person.postal_address}", styles["body"]))
        story.append(Spacer(1, 6 * mm))
    story.append(_p(date_format(timezone.localdate(), "DATE_FORMAT"), styles["body"]))
    story.append(_p(programme.name, styles["title"]))
    story.append(_p(_("Dear %(name)s,") % {"name": person.name}, styles["body"]))
    story.append(
        _p(
            ngettext_partners(len(meeting.partners)) % {"number": rnd.number},
            styles["body"],
        )
    )
    for partner in meeting.partners:
        story.append(_p("\n".join(_partner_lines(partner, programme)), styles["strong"]))
    if meeting.when:
        story.append(_p(_("Suggested time: %(when)s") % {"when": meeting.when}, styles["body"]))
        if not meeting.common_time:
            story.append(_p(no_common_time_line(), styles["body"]))
    else:
        story.append(_p(_("Please agree on a time together."), styles["body"]))
    story.append(_p(_("Where: %(how)s") % {"how": meeting.how}, styles["body"]))
    story.append(
        _p(
            _("A question to start with: %(starter)s") % {"starter": meeting.starter},
            styles["body"],
        )
    )
    if programme.contact_name and programme.contact_phone:
        answer = _(
            "Afterwards, please tell us whether you met: call %(contact)s on %(phone)s, or "
            "fill in the slip below and send it back or hand it in."
        ) % {"contact": programme.contact_name, "phone": programme.contact_phone}
    else:
        answer = _(
            "Afterwards, please tell us whether you met: fill in the slip below and send "
            "it back or hand it in."
        )
    story.append(_p(answer, styles["body"]))
    story += _reply_slip(meeting, styles)
    return story


def ngettext_partners(count: int) -> str:
    return ngettext(
        "In round %(number)s you meet this person:",
        "In round %(number)s you meet these people:",
        count,
    )


def letters_pdf(rnd: Round) -> bytes:
    """One letter per person reached by post or phone, each in their own language."""
    styles = _styles(LETTER_POINTS)
    story: list = []
    deadline = letters_post_by(rnd)
    if deadline is not None:
        # A first page for the organiser, who posts the letters.
        story.append(_p(_("Letters"), styles["title"]))
        story.append(
            _p(
                _(
                    "Please post these letters by %(day)s at the latest, so that each "
                    "arrives before its group's suggested time."
                )
                % {"day": date_format(deadline, "DATE_FORMAT")},
                styles["body"],
            )
        )
    for group, person in offline_members(rnd):
        with translation.override(person.language):
            if story:
                story.append(PageBreak())
            story += _letter(meeting_for(group, person), styles)
    if not story:
        story.append(_p(_("Nobody in this round is reached by post or by phone."), styles["body"]))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=20 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=_("Letters"),
        author="Kaffeeklatsch",
    )
    doc.build(story)
    return buffer.getvalue()


def _answer(feedback: dict[tuple[int, int], bool], group: Group, person: Participant) -> str:
    met = feedback.get((group.pk, person.pk))
    if met is None:
        return ""
    return _("we met") if met else _("we did not meet")


def unbroken(text: str) -> str:
    """The text with the spaces inside numbers made no-break spaces, so that a phone
    number stays on one line in a table cell."""
    return NUMBER_SPACE.sub("\u00a0", text)


def phone_rows(rnd: Round) -> Iterator[list[str]]:
    """The phone list for volunteers, in the organiser's language: people reached by
    phone, their partners as far as the partners agreed, and what to tell them."""
    answers = Feedback.objects.filter(
        group__round=rnd, participant__reached_by=Participant.ReachedBy.PHONE
    ).values_list("group_id", "participant_id", "met")
    feedback = {(group_id, person_id): met for group_id, person_id, met in answers}
    for group, person in offline_members(rnd):
        if person.reached_by != Participant.ReachedBy.PHONE:
            continue
        meeting = meeting_for(group, person)
        partners = "; ".join(
            p.name + (f" ({', '.join(p.contact)})" if p.contact else "") for p in meeting.partners
        )
        yield [
            person.name,
            person.phone or person.phone_note,
            person.get_language_display(),
            partners,
            meeting.when,
            meeting.how,
            meeting.starter,
            _answer(feedback, group, person),
        ]


def phone_header() -> list[str]:
    return [
        _("Name"),
        _("Phone"),
        _("Language"),
        _("Meets"),
        _("Suggested time"),
        _("Where"),
        _("Question to start with"),
        _("Did they meet?"),
    ]


def phone_list_csv(rnd: Round) -> Iterator[bytes]:
    """The phone list as CSV, line by line (see :func:`insights.exports.csv_lines`)."""
    return csv_lines(phone_header(), phone_rows(rnd))


#: The phone list's print size, and the smallest it shrinks to for very long words.
PHONE_LIST_POINTS = 11
PHONE_LIST_SMALLEST = 7


def phone_list_pdf(rnd: Round) -> bytes:
    """The phone list as a landscape table. Columns are as wide as their longest word
    at least, and lines wrap between words only: no word is broken in a cell."""
    margin = 12 * mm
    available = landscape(A4)[0] - 2 * margin
    texts = [phone_header(), *([unbroken(c) for c in row] for row in phone_rows(rnd))]
    # (fitted_widths measures the cells as _p prints them: numbers unbroken.)
    regular, bold = pdf_fonts()
    points = PHONE_LIST_POINTS
    widths = fitted_widths(texts, regular, bold, points, available)
    while widths is None and points > PHONE_LIST_SMALLEST:
        points -= 1
        widths = fitted_widths(texts, regular, bold, points, available)
    styles = _styles(points)
    for style in styles.values():
        style.splitLongWords = 0
    title = _p(
        _("Phone list, round %(number)s of “%(programme)s”")
        % {"number": rnd.number, "programme": rnd.programme.name},
        _styles(PHONE_LIST_POINTS)["title"],
    )
    story: list = [title]
    if len(texts) > 1:
        header = [_p(h, styles["strong"]) for h in texts[0]]
        rows = [[_p(c, styles["body"]) for c in row] for row in texts[1:]]
        table = Table([header, *rows], colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#efe6dc")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    else:
        story.append(_p(_("Nobody in this round is reached by phone."), styles["body"]))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=_("Phone list"),
        author="Kaffeeklatsch",
    )
    doc.build([KeepTogether(story[:1]), *story[1:]])
    return buffer.getvalue()
