"""Thin Celery wrappers around newsletter delivery: they own the retry policy, nothing else."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from apps.newsletters import selectors
from apps.newsletters.services import deliveries_fail, deliveries_send, newsletters_start
from apps.papers.weeks import Week

logger = logging.getLogger(__name__)


def backoff_seconds(retries: int) -> float:
    return min(settings.NEWSLETTER_RETRY_BACKOFF_SECONDS * 2**retries, 60 * 60)


def enqueue_batches(delivery_ids: list[int]) -> None:
    size = settings.NEWSLETTER_BATCH_SIZE
    for start in range(0, len(delivery_ids), size):
        send_newsletter_batch_task.delay(delivery_ids[start : start + size])


@shared_task(acks_late=True)
def start_newsletters_task(week_label: str, published_only: bool = False) -> dict:
    """Queues a row per subscribed reader, then sends them in batches once the rows are committed.

    `published_only`: publishing's start, skipped if an editor unpublished the week before it ran.
    """
    with transaction.atomic():
        delivery_ids = newsletters_start(week=Week.from_label(week_label), published_only=published_only)
        if delivery_ids is None:
            logger.info("Newsletters for %s not started: the week was unpublished", week_label)
            return {"week": week_label, "status": "skipped", "reason": "unpublished"}
        transaction.on_commit(lambda: enqueue_batches(delivery_ids))
    logger.info("Newsletters for %s: %s to send", week_label, len(delivery_ids))
    return {"week": week_label, "to_send": len(delivery_ids)}


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_newsletter_batch_task(self, delivery_ids: list[int]) -> dict:
    """Sends a batch; a transient SMTP error retries what is left with exponential backoff.

    Safe to run twice or to redeliver after a crash: rows already sent are skipped under their lock.
    """
    result = deliveries_send(delivery_ids=delivery_ids)
    summary = {outcome.value: count for outcome, count in result.counts.items() if count}
    if result.retry_ids:
        if self.request.retries >= settings.NEWSLETTER_MAX_RETRIES:
            reason = f"Gave up after {self.request.retries + 1} tries: {result.retry_reason}"
            summary["failed"] = summary.get("failed", 0) + deliveries_fail(delivery_ids=result.retry_ids, reason=reason)
            return summary
        logger.warning("Newsletter batch: %s, retrying %s emails", result.retry_reason, len(result.retry_ids))
        raise self.retry(args=[result.retry_ids], countdown=backoff_seconds(self.request.retries))
    return summary


@shared_task(acks_late=True)
def newsletters_fallback_task() -> dict:
    """The beat's safety net: starts published weeks whose start was missed (no worker at publish
    time), the last complete week once NEWSLETTER_SEND_UNPUBLISHED_AFTER has passed even if nobody
    published it (readers still get their papers, without picks), and re-enqueues rows whose task
    was lost. Sending stays once per row, so overlapping a live batch is harmless.
    """
    started = [week.label for week in selectors.weeks_to_start()]
    for label in started:
        start_newsletters_task.delay(label)  # a week published meanwhile goes out with its picks
    stalled = selectors.stalled_delivery_ids()
    enqueue_batches(stalled)
    return {"started": started, "re_enqueued": len(stalled)}
