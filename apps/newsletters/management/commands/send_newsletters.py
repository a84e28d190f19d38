from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from apps.digests.selectors import digest_record, latest_week
from apps.newsletters import selectors
from apps.newsletters.models import NewsletterDelivery
from apps.newsletters.services import Outcome, deliveries_send, newsletters_start, subscribers, unsubscribed
from apps.papers.weeks import Week

Status = NewsletterDelivery.Status


class Command(BaseCommand):
    help = (
        "Send a week's newsletter to every subscribed reader, here and now, as publishing the week does "
        "through the worker. Each reader gets it once: a second run sends nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--week", help="the ISO week, e.g. 2026-W48 (default: the newest week with papers)")
        parser.add_argument("--dry-run", action="store_true", help="count who would get it; send and store nothing")

    def handle(self, *args, week=None, dry_run=False, **options):
        try:
            week = Week.from_label(week) if week else latest_week()
        except ValueError as error:
            raise CommandError(str(error)) from error
        if week is None:
            raise CommandError("No papers yet, so no week to send.")
        if dry_run:
            self._dry_run(week)
            return
        digest = digest_record(week)
        if digest is None or not digest.is_published:
            self.stdout.write(
                self.style.WARNING(f"{week.label} is not published: the emails go without editors' picks.")
            )
        before = selectors.week_status_counts(week)
        with transaction.atomic():
            delivery_ids = newsletters_start(week=week)
        bar = tqdm(
            total=len(delivery_ids), unit="email", desc=f"sending {week.label}", disable=options["verbosity"] == 0
        )
        try:
            result = deliveries_send(delivery_ids=delivery_ids, on_progress=lambda outcome: bar.update())
        finally:
            bar.close()
        counts = result.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"{week.label}: sent {counts[Outcome.SENT]}, skipped as already sent "
                f"{before[Status.SENT] + counts[Outcome.SKIPPED]}, unsubscribed {unsubscribed().count()}, "
                f"failed {counts[Outcome.FAILED]}."
            )
        )
        for reason, count in selectors.failure_reasons(week, limit=5):
            self.stdout.write(f"  failed ({count}): {reason}")
        if result.retry_ids:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(result.retry_ids)} left queued after a temporary error ({result.retry_reason}); "
                    "run the command again later, or let the worker's hourly pass retry them."
                )
            )

    def _dry_run(self, week: Week) -> None:
        counts = selectors.week_status_counts(week)
        new = subscribers().exclude(newsletter_deliveries__week=week.monday).count()
        self.stdout.write(
            f"{week.label} (dry run, nothing sent): would send {new + counts[Status.QUEUED] + counts[Status.SENDING]}, "
            f"already sent {counts[Status.SENT]}, unsubscribed {unsubscribed().count()}, failed earlier {counts[Status.FAILED]}."
        )
