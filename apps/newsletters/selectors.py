"""Reads for the curation pages and the beat's safety net."""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from apps.digests.models import Digest
from apps.newsletters.models import NewsletterDelivery
from apps.papers.models import Paper
from apps.papers.weeks import Week

Status = NewsletterDelivery.Status


@dataclass
class WeekDeliveries:
    week: Week
    counts: dict[str, int]  # by status, every status present
    reasons: list[tuple[str, int]] = field(default_factory=list)  # failure reasons, most frequent first

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def deliveries_by_week(*, weeks: int = 12) -> list[WeekDeliveries]:
    """Delivery counts for the newest weeks that have any, with why emails failed."""
    rows = NewsletterDelivery.objects.values("week", "status").annotate(n=Count("id")).order_by("-week")
    by_week: dict[dt.date, WeekDeliveries] = {}
    for row in rows:
        if row["week"] not in by_week:
            if len(by_week) == weeks:
                break
            by_week[row["week"]] = WeekDeliveries(Week(row["week"]), dict.fromkeys(Status.values, 0))
        by_week[row["week"]].counts[row["status"]] = row["n"]
    reasons = (
        NewsletterDelivery.objects.filter(week__in=list(by_week), status=Status.FAILED)
        .exclude(error="")
        .values("week", "error")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    for row in reasons:
        by_week[row["week"]].reasons.append((row["error"], row["n"]))
    return list(by_week.values())


def stalled_delivery_ids() -> list[int]:
    """Rows still to send that no task has touched for a while: their task was lost."""
    cutoff = timezone.now() - settings.NEWSLETTER_STALLED_AFTER
    return list(
        NewsletterDelivery.objects.filter(status__in=NewsletterDelivery.SENDABLE, updated_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)
    )


def weeks_to_start() -> list[Week]:
    """Published weeks whose newsletters never started, and the last complete week once it is
    NEWSLETTER_SEND_UNPUBLISHED_AFTER past its end without a start (published or not)."""
    weeks = [
        Week(monday)
        for monday in Digest.objects.filter(status=Digest.Status.PUBLISHED, newsletters_started_at__isnull=True)
        .order_by("week")
        .values_list("week", flat=True)
    ]
    last_complete = Week.containing((timezone.now() - settings.NEWSLETTER_SEND_UNPUBLISHED_AFTER).date()).previous
    started = (
        Digest.objects.filter(week=last_complete.monday, newsletters_started_at__isnull=False).exists()
        or NewsletterDelivery.objects.filter(week=last_complete.monday).exists()
    )
    has_papers = Paper.objects.visible().filter(announced__range=(last_complete.monday, last_complete.sunday)).exists()
    if not started and has_papers and last_complete not in weeks:
        weeks.append(last_complete)
    return weeks


def week_status_counts(week: Week) -> dict[str, int]:
    counts = dict.fromkeys(Status.values, 0)
    rows = NewsletterDelivery.objects.filter(week=week.monday).values("status").annotate(n=Count("id"))
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def failure_reasons(week: Week, *, limit: int = 10) -> list[tuple[str, int]]:
    rows = (
        NewsletterDelivery.objects.filter(week=week.monday, status=Status.FAILED)
        .values("error")
        .annotate(n=Count("id"))
        .order_by("-n")[:limit]
    )
    return [(row["error"], row["n"]) for row in rows]
