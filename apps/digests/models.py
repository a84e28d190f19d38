"""A week's digest as the editors shape it: the picks, the decisions on the week's papers, publishing.

Everything is addressed by ISO week (the Monday, as in apps.papers.weeks). Writes go through
apps.digests.services; every change to what readers see of a week bumps Digest.revision and sends
apps.digests.signals.week_changed.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.papers.models import Paper
from apps.papers.weeks import Week

MONDAY_ONLY = Q(week__iso_week_day=1)


class Pin(models.Model):
    """An editors' pick: shown first in its week's digest, with the editors' note (Markdown).

    Any catalogue paper may be pinned to any week (an older classic too): it shows in the week it is
    pinned to, whenever it was announced.
    """

    week = models.DateField(help_text="The Monday of the ISO week the pick belongs to.", db_index=True)
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    note = models.TextField(blank=True, max_length=2000, help_text="Markdown; rendered sanitized.")
    order = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["week", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["week", "paper"], name="pin_once_a_week")]

    def __str__(self) -> str:
        return f"{Week(self.week).label}: {self.paper.arxiv_id}"

    def save(self, *args, **kwargs):
        self.week = Week.containing(self.week).monday  # any day of the week names the week
        super().save(*args, **kwargs)


class Digest(models.Model):
    """One per ISO week: a draft until an editor publishes it.

    Publishing freezes the picks and their notes into `picks` (what readers see from then on, whatever
    happens to the Pin rows) and records who and when. `newsletters_started_at` is set by the
    newsletters once sending starts; from then on the digest cannot be unpublished.
    """

    class Status(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"

    week = models.DateField(unique=True, help_text="The Monday of the ISO week.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    picks = models.JSONField(
        default=list, blank=True, help_text='Frozen at publish: [{"paper": id, "note": markdown}, ...] in order.'
    )
    revision = models.PositiveIntegerField(
        default=0, help_text="Bumped whenever picks, decisions or publishing change what readers see."
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    newsletters_started_at = models.DateTimeField(
        null=True, blank=True, help_text="Set by the newsletters when sending starts; unpublishing is refused after."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-week"]
        constraints = [
            models.CheckConstraint(condition=MONDAY_ONLY, name="digest_week_is_a_monday"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False), name="digest_published_has_a_time"
            ),
        ]

    def __str__(self) -> str:
        return f"Digest {self.week_label} ({self.status})"

    @property
    def iso_week(self) -> Week:
        return Week(self.week)

    @property
    def week_label(self) -> str:
        return self.iso_week.label

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Decision(models.Model):
    """An editor's verdict on a paper for a week's digest; no row means undecided.

    Rejected papers leave that week's digest for everyone (they stay in the catalogue). Kept as data,
    one row per (week, paper) with who decided and when, so the relevance rule can learn from them;
    the full history of changes is in the curation audit log.
    """

    class Verdict(models.TextChoices):
        ACCEPT = "accept", "accepted"
        REJECT = "reject", "rejected"

    week = models.DateField(help_text="The Monday of the ISO week.")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="editor_decisions")
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-week", "-decided_at"]
        constraints = [
            models.UniqueConstraint(fields=["week", "paper"], name="decision_once_a_week"),
            models.CheckConstraint(condition=MONDAY_ONLY, name="decision_week_is_a_monday"),
        ]
        indexes = [models.Index(fields=["week", "verdict"], name="decision_week_verdict")]

    def __str__(self) -> str:
        return f"{Week(self.week).label}: {self.paper_id} {self.verdict}"
