"""Rounds, the groups formed in them, and whether the groups met."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.lib.leases import Leased
from kaffeeklatsch.matching.model import Reason
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import MeetingMode, Programme

# Reasons that are the organisers' own notes: shown on their pages, never to the
# people of the group.
ORGANISER_ONLY = frozenset({"moved_by_organiser"})

# Reasons that name the answers to one profile question.
QUESTION_OF_REASON = {
    "departments": "department",
    "levels": "level",
    "organisations": "organisation",
}


def render_reasons(
    reasons: list[dict[str, Any]], lang: str | None = None, for_participants: bool = False
) -> list[str]:
    """The reasons in words; ``for_participants`` leaves out the organisers' notes."""
    language = (lang or get_language() or "en")[:2]
    texts = []
    for item in reasons:
        if for_participants and item.get("code") in ORGANISER_ONLY:
            continue
        if item.get("code") == "moved_by_organiser":
            texts.append(str(_("Moved here by the organiser.")))
            continue
        texts.append(Reason(item["code"], item.get("params", {})).text(language))
    return texts


class Round(models.Model):
    class Status(models.TextChoices):
        PREVIEW = "preview", _("Preview")
        PUBLISHED = "published", _("Published")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveIntegerField(_("number"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    meet_from = models.DateField(_("meet from"))
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    score = models.FloatField(default=0)
    bound = models.FloatField(default=0)
    exact = models.BooleanField(default=False)
    seconds = models.FloatField(default=0)
    edited = models.BooleanField(default=False)
    # Groups, people, mixes and left-out people counted (see rounds/figures.py).
    figures = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "number"],
                condition=models.Q(status="published"),
                name="one_published_round_per_number",
            ),
            models.UniqueConstraint(
                fields=["programme"],
                condition=models.Q(status="preview"),
                name="one_preview_per_programme",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} #{self.number}"

    @property
    def gap(self) -> float:
        if self.bound <= 0:
            return 0.0
        return max(0.0, (self.bound - self.score) / self.bound)

    @property
    def quality_percent(self) -> int:
        return round(100 * (1 - self.gap))

    @property
    def shown_bound(self) -> float:
        """The bound to one decimal, rounded up: it stays an upper bound as shown."""
        return math.ceil(round(self.bound * 10, 6)) / 10

    @property
    def shown_score(self) -> float:
        """The score to one decimal, rounded down and never above the bound as shown
        (a score may come out a rounding error above its bound)."""
        return min(math.floor(round(self.score * 10, 6)) / 10, self.shown_bound)


class Group(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="groups")
    # The group's number in its round, as the organiser's pages and searches name it.
    number = models.PositiveIntegerField(_("number"), default=0)
    members = models.ManyToManyField(Participant, related_name="groups", blank=True)
    mode = models.CharField(max_length=10, choices=MeetingMode.choices)
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    suggested_start = models.DateTimeField(null=True, blank=True)
    # False when the members' times never overlap: the suggested time is the
    # programme's default and the members are asked to agree on another.
    common_time = models.BooleanField(default=True, db_default=True)
    video_url = models.URLField(blank=True, max_length=500)
    # Members who erased themselves or were removed: the group keeps their place as
    # "a former participant", with nothing else about them.
    former_members = models.PositiveSmallIntegerField(default=0)
    # Whether the members came from more than one department, level or organisation
    # when the group was formed (or last changed by hand): the round's summary counts them.
    across_departments = models.BooleanField(default=False)
    across_levels = models.BooleanField(default=False)
    across_organisations = models.BooleanField(default=False)
    moved = models.BooleanField(_("changed by hand"), default=False)
    # Members when formed (or last changed by hand), and how many of them Kaffeeklatsch
    # cannot introduce by e-mail: what the round's summary adds up without a join.
    size = models.PositiveSmallIntegerField(default=0)
    unreached = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["number", "id"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        indexes = [models.Index(fields=["round", "number", "id"], name="group_round_number")]

    def __str__(self) -> str:
        return ", ".join(m.name for m in self.members.all())

    def reason_texts(self, lang: str | None = None) -> list[str]:
        """The reasons as the organisers read them."""
        return render_reasons(self.reasons, lang)

    def participant_reasons(self, lang: str | None = None) -> list[str]:
        """The reasons as the group's members read them: without organisers' notes, and
        without differences in answers to questions the programme does not ask (no
        department or level for neighbours)."""
        programme = self.round.programme
        reasons = [
            item
            for item in self.reasons
            if programme.asks(QUESTION_OF_REASON.get(item.get("code", ""), ""))
            or (item.get("code") not in QUESTION_OF_REASON)
        ]
        return render_reasons(reasons, lang, for_participants=True)


class LeftOut(models.Model):
    """A person who was in no group of a round, and why."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="left_out")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    reason = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def reason_text(self, lang: str | None = None) -> str:
        texts = render_reasons([self.reason], lang) if self.reason else []
        return texts[0] if texts else ""


class Feedback(models.Model):
    """A participant's answer to "Did you meet?" for one group."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="feedback")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="feedback")
    met = models.BooleanField(_("we met"))
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "participant"], name="one_answer_per_person")
        ]
        # New answers since a time, found without reading every answer (the insights
        # of a large programme: kaffeeklatsch.insights.snapshot).
        indexes = [models.Index(fields=["answered_at"], name="feedback_answered_at")]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")


class RoundTask(Leased):
    """A preview or a publication of a round, done by ``kaffeeklatsch worker``.

    The row is both the queue entry and what the organiser's page shows while the work
    runs: the stage, a progress share and, at the end, the round or why it failed. At
    most one task per programme is waiting or running, so a second press of a button
    (by the same organiser or another) finds the running task instead of starting one.
    """

    class Kind(models.TextChoices):
        PREVIEW = "preview", _("Preview")
        PUBLISH = "publish", _("Publication")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for the worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Stage(models.TextChoices):
        WAITING = "waiting", _("Waiting for the worker")
        READING = "reading", _("Reading people")
        MATCHING = "matching", _("Matching")
        STORING = "storing", _("Storing the groups")
        CHECKING = "checking", _("Checking the groups against the rules")
        WRITING = "writing", _("Writing the e-mails")
        DONE = "done", _("Done")

    ACTIVE = (Status.WAITING, Status.RUNNING)

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="round_tasks")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # For a publication: the preview it publishes. For a preview: the stored result.
    round = models.ForeignKey(
        Round, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.WAITING)
    progress = models.FloatField(default=0.0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # attempts, claimed_until, claimed_by (Leased): while running, the worker that took
    # the task owns it until then; it renews the lease as it reports progress. A task
    # whose worker died is taken again after it.
    # Why it failed: a code the page explains, and for rules broken the problems in words.
    error = models.CharField(max_length=20, blank=True)
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("round task")
        verbose_name_plural = _("round tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["programme"],
                condition=models.Q(status__in=["waiting", "running"]),
                name="one_active_round_task_per_programme",
            )
        ]
        indexes = [models.Index(fields=["status", "claimed_until"], name="round_task_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.programme_id} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        return round(100 * min(max(self.progress, 0.0), 1.0))


class TermVector(models.Model):
    """An interest as the engine's language model reads it: a unit vector of
    ``float32`` numbers, kept so that each distinct term is embedded once, not on every
    preview (see :mod:`kaffeeklatsch.rounds.vectors`). ``term`` is the text as people
    wrote it (whitespace collapsed); ``model`` names the model that made the vector, so
    a new model never reads an old one's vectors. Vectors of terms nobody uses any more
    are erased by the retention clean-up."""

    model = models.CharField(max_length=64)
    term = models.TextField()
    vector = models.BinaryField()

    class Meta:
        verbose_name = _("meaning of an interest")
        verbose_name_plural = _("meanings of interests")
        constraints = [
            models.UniqueConstraint(fields=["model", "term"], name="one_vector_per_term")
        ]

    def __str__(self) -> str:
        return self.term
