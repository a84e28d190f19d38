"""The editors' audit log: every action taken in the panel, who, when, and what it changed."""

from django.conf import settings
from django.db import models

from apps.papers.weeks import Week


class AuditEntry(models.Model):
    """One editor action. `before`/`after` are small JSON snapshots of what changed (None: nothing)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=64, db_index=True)
    week = models.DateField(null=True, blank=True, db_index=True, help_text="The ISO week it concerns, if any.")
    target = models.CharField(max_length=300, blank=True, help_text="What it acted on, readable.")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target}"

    @property
    def week_label(self) -> str:
        return Week(self.week).label if self.week else ""


class Job(models.Model):
    """A long job an editor started from the panel: the Celery task, followed live until it ends.

    The task's state comes from Celery's result backend; its progress from the rows the job writes
    (the IngestRun, embedding coverage, the ModelVersion), so the page shows both while it runs.
    """

    class Kind(models.TextChoices):
        INGEST = "ingest", "ingest now"
        BACKFILL = "backfill", "backfill a window"
        EMBED = "embed", "embed the catalogue"
        TRAIN = "train", "train the retriever"
        SERVE = "serve", "activate a model version"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    task_id = models.CharField(max_length=64, unique=True)
    params = models.JSONField(default=dict, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"
