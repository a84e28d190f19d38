from django.conf import settings
from django.db import models

from apps.papers.weeks import Week


class NewsletterDelivery(models.Model):
    """One reader's email for one week: written before anything is sent, so it is sent at most once.

    queued -> sending (claimed by a worker's batch) -> sent, or failed with the reason; cancelled when
    the reader unsubscribed between queueing and sending. Queued and sending rows are sent only under
    the row's lock, and "sent" is committed by the same transaction, so a retried task never resends.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"
        CANCELLED = "cancelled", "cancelled (unsubscribed before sending)"

    SENDABLE = (Status.QUEUED, Status.SENDING)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="newsletter_deliveries")
    week = models.DateField(help_text="The Monday of the digest's ISO week.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the last try failed.")
    message_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week", "id"]
        verbose_name_plural = "newsletter deliveries"
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="newsletter_once_per_reader_week")]
        indexes = [models.Index(fields=["week", "status"], name="newsletter_week_status")]

    def __str__(self) -> str:
        return f"{Week(self.week).label} to {self.user_id}: {self.status}"
