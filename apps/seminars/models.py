"""The reading seminar: series, their sessions, the talk given at each, who comes, and what was sent."""

import calendar
import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import validate_time_zone
from apps.papers.models import Paper


class SeminarSeries(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Sessions are planned on this zone's wall clock (DST included).",
    )
    weekday = models.PositiveSmallIntegerField(
        default=2, choices=list(enumerate(calendar.day_name)), help_text="Usual day."
    )
    start_time = models.TimeField(default=dt.time(18, 0), help_text="Usual start, in the series' zone.")
    duration = models.DurationField(default=dt.timedelta(hours=1))
    place = models.CharField(max_length=200, blank=True)
    video_link = models.URLField(blank=True)
    organizers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="organized_series")
    talks_need_approval = models.BooleanField(default=False)
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="followed_series",
        help_text="Readers who get each talk's announcement.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "seminar series"

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def is_organizer(self, user) -> bool:
        return user.is_authenticated and (user.is_superuser or self.organizers.filter(pk=user.pk).exists())


class SessionQuerySet(models.QuerySet):
    def with_end(self):
        return self.alias(
            end=models.ExpressionWrapper(models.F("start") + models.F("duration"), output_field=models.DateTimeField())
        )

    def upcoming(self):
        """Not over yet (one under way still counts), cancelled ones included: readers should see those."""
        return self.with_end().filter(end__gt=timezone.now())

    def past(self):
        return self.with_end().filter(end__lte=timezone.now())


class Session(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        CANCELLED = "cancelled"

    series = models.ForeignKey(SeminarSeries, on_delete=models.CASCADE, related_name="sessions")
    start = models.DateTimeField(db_index=True)
    duration = models.DurationField(default=dt.timedelta(hours=1))
    place = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit.")
    # iCalendar SEQUENCE: bumped on every change a calendar shows, so clients replace their copy.
    sequence = models.PositiveIntegerField(default=0)
    modified_at = models.DateTimeField(auto_now=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        constraints = [models.UniqueConstraint(fields=["series", "start"], name="session_once_per_start")]

    def __str__(self) -> str:
        return f"{self.series.name}, {timezone.localtime(self.start, self.series.zone):%Y-%m-%d %H:%M %Z}"

    @property
    def end(self) -> dt.datetime:
        return self.start + self.duration

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def is_past(self) -> bool:
        return self.end <= timezone.now()


class Talk(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "proposed, awaiting an organizer"
        CONFIRMED = "confirmed"
        CANCELLED = "cancelled"

    HOLDING = (Status.PROPOSED, Status.CONFIRMED)

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="talks")
    speaker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="talks")
    paper = models.ForeignKey(Paper, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=500)
    abstract = models.TextField(blank=True)
    slides_url = models.URLField("slides", blank=True)
    video_url = models.URLField("video", blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    decision_message = models.TextField(blank=True, help_text="The organizers' word on a proposal.")
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["session__start"]
        constraints = [
            # One talk holds a session: a confirmed one, or a proposal waiting for the organizers.
            # Two readers claiming one slot at once: the second insert fails here, whatever the views did.
            models.UniqueConstraint(
                fields=["session"], condition=Q(status__in=["proposed", "confirmed"]), name="one_talk_per_session"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def speaker_name(self) -> str:
        return speaker_name(self.speaker)


def speaker_name(user) -> str:
    return user.get_full_name() or user.email.split("@")[0] or user.username


class RSVP(models.Model):
    class Status(models.TextChoices):
        GOING = "going"
        WAITLISTED = "waitlisted"
        CANCELLED = "cancelled"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps")
    status = models.CharField(max_length=16, choices=Status.choices)
    # The waitlist's order: when the reader last asked for a seat.
    requested_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "RSVP"
        ordering = ["requested_at", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="rsvp_once_per_reader")]
        indexes = [models.Index(fields=["session", "status", "requested_at"], name="rsvp_waitlist")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.status} for session {self.session_id}"


class Notice(models.Model):
    """An email we owe someone: written as a row first, so a retried task never sends it twice.

    `key` says what it is about (a reminder for session 12, an announcement of talk 5, ...); a reader
    gets each key once.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder"
        ANNOUNCEMENT = "announcement"
        PROMOTED = "promoted", "off the waitlist"
        MATERIALS = "materials", "slides or video added"
        DECISION = "decision", "proposal confirmed or declined"
        CHANGE = "change", "session moved or cancelled"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        SKIPPED = "skipped", "skipped: no longer true"
        FAILED = "failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seminar_notices")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=200)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="notices")
    talk = models.ForeignKey(Talk, null=True, blank=True, on_delete=models.CASCADE, related_name="notices")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notice_once_per_key")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.user_id} ({self.status})"


class WordCloud(models.Model):
    """A cached word-cloud image and its top terms; rebuilt by a task when its titles change."""

    key = models.CharField(max_length=100, unique=True, help_text="series:<slug> or week:<2026-W48>.")
    titles_digest = models.CharField(max_length=64, help_text="SHA-256 of the titles it was drawn from.")
    titles = models.PositiveIntegerField(default=0)
    terms = models.JSONField(default=list, help_text="[[term, count], ...], most frequent first.")
    image = models.CharField(max_length=300, blank=True, help_text="File name under the clouds directory.")
    built_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key

    @property
    def alt_text(self) -> str:
        top = ", ".join(term for term, _ in self.terms[:10])
        return f"Word cloud of {self.titles} titles; most frequent terms: {top}." if top else ""
