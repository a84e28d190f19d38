from django.conf import settings
from django.db import models

from apps.papers.weeks import Week
from apps.papers.models import Paper


class Pin(models.Model):
    """An editors' pick: shown first in its week's digest, with the editors' note."""

    week = models.DateField(help_text="The Monday of the ISO week the pick belongs to.", db_index=True)
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    note = models.TextField(blank=True, max_length=2000)
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
