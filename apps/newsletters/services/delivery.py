"""Sending the weekly email: a row per reader and week first, then each row sent at most once.

A batch claims its queued rows (-> sending), then sends them one by one. Each send holds the row's
lock (select_for_update) from the status check until "sent" is committed, so a duplicated task waits
and then finds it sent, and a worker killed mid-send rolls back to a sendable row for the redelivered
task. (The one gap no SMTP client can close: the server accepts and the worker dies before committing.)
"""

import enum
import functools
import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from apps.common.keys import NEWSLETTER_START_LOCK
from apps.digests.models import Digest
from apps.embeddings.selectors import paper_vectors_remembered
from apps.newsletters.compose import Edition, edition_for, newsletter_for, newsletter_message
from apps.newsletters.models import NewsletterDelivery
from apps.newsletters.services.subscription import is_subscribed, subscribers
from apps.papers.weeks import Week

logger = logging.getLogger(__name__)
Status = NewsletterDelivery.Status


class Outcome(enum.StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # already sent, failed or cancelled: a retried or duplicated task
    CANCELLED = "cancelled"
    FAILED = "failed"
    RETRY = "retry"  # a transient SMTP error: the row is queued again


@dataclass
class BatchResult:
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    retry_ids: list[int] = field(default_factory=list)  # not sent yet because of a transient error
    retry_reason: str = ""


def newsletters_start(*, week: Week, published_only: bool = False) -> list[int] | None:
    """Queues the week's email for every subscribed reader who has no row for it yet (call in a transaction).

    Returns the ids of the week's rows still to send (new ones and ones left by an earlier start), for
    the caller to send or enqueue once this transaction commits; running it again adds nobody twice.
    Stamps the week's digest `newsletters_started_at`, which blocks unpublishing from then on.
    `published_only` (publishing's start): None, nothing queued, when the digest was unpublished meanwhile.
    """
    with db.cursor() as cursor:  # concurrent starts (publish, beat, the command) queue one after another
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NEWSLETTER_START_LOCK])
    digest = Digest.objects.select_for_update().filter(week=week.monday).first()  # unpublishing waits for us
    if published_only and (digest is None or not digest.is_published):
        return None
    if digest is not None and digest.newsletters_started_at is None:
        digest.newsletters_started_at = timezone.now()
        digest.save(update_fields=["newsletters_started_at", "updated_at"])
    week_rows = NewsletterDelivery.objects.filter(week=week.monday)
    new_readers = subscribers().exclude(id__in=week_rows.values("user_id")).values_list("id", flat=True)
    NewsletterDelivery.objects.bulk_create(
        [NewsletterDelivery(user_id=user_id, week=week.monday) for user_id in new_readers.iterator()],
        batch_size=2000,
    )
    return list(week_rows.filter(status__in=NewsletterDelivery.SENDABLE).order_by("id").values_list("id", flat=True))


def is_transient(error: BaseException) -> bool:
    """4xx answers and lost connections are worth retrying; a 5xx refusal of this message is not.

    A refused sender or login is the server's setup, not this reader's: retried, then failed.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError)):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, (smtplib.SMTPException, OSError))


def describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{addr}: {code} {reply.decode(errors='replace')}" for addr, (code, reply) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"SMTP {error.smtp_code}: {message}"
    return f"{type(error).__name__}: {error}"[:1000]


def delivery_send(*, delivery_id: int, connection, edition: Callable[[Week], Edition]) -> tuple[Outcome, str]:
    """Sends one row if it is still sendable; returns the outcome and, on failure, the reason."""
    with transaction.atomic():
        delivery = (
            NewsletterDelivery.objects.select_for_update(of=("self",))
            .select_related("user", "user__profile")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status not in NewsletterDelivery.SENDABLE:
            return Outcome.SKIPPED, ""
        if not is_subscribed(delivery.user):
            delivery.status = Status.CANCELLED
            delivery.save(update_fields=["status", "updated_at"])
            return Outcome.CANCELLED, ""
        delivery.attempts += 1
        try:
            newsletter = newsletter_for(edition=edition(Week(delivery.week)), user=delivery.user)
            message = newsletter_message(newsletter=newsletter, to=delivery.user.email, connection=connection)
        except Exception as error:  # one reader's bad data fails their email, not the batch
            logger.exception("Newsletter %s could not be built", delivery.pk)
            return _record_failure(delivery, f"Could not build the email: {describe(error)}", transient=False)
        try:
            connection.open()  # a no-op while the batch's session is up; reconnects after an error
            message.send()
        except Exception as error:
            connection.close()  # the session may be broken; the next send opens a fresh one
            if not isinstance(error, (smtplib.SMTPException, OSError)):
                raise
            return _record_failure(delivery, describe(error), transient=is_transient(error))
        delivery.status = Status.SENT
        delivery.sent_at = timezone.now()
        delivery.message_id = message.extra_headers["Message-ID"]
        delivery.error = ""
        delivery.save(update_fields=["status", "sent_at", "message_id", "error", "attempts", "updated_at"])
        return Outcome.SENT, ""


def _record_failure(delivery: NewsletterDelivery, reason: str, *, transient: bool) -> tuple[Outcome, str]:
    delivery.status = Status.QUEUED if transient else Status.FAILED
    delivery.error = reason
    delivery.save(update_fields=["status", "error", "attempts", "updated_at"])
    return (Outcome.RETRY if transient else Outcome.FAILED), reason


def deliveries_send(*, delivery_ids: list[int], on_progress: Callable[[Outcome], None] | None = None) -> BatchResult:
    """Sends the rows in order over one SMTP connection, at most NEWSLETTER_RATE_LIMIT a second.

    Stops at the first transient error: the rest come back in `retry_ids` for a later try.
    """
    NewsletterDelivery.objects.filter(id__in=delivery_ids, status__in=NewsletterDelivery.SENDABLE).update(
        status=Status.SENDING, updated_at=timezone.now()
    )
    edition = functools.cache(edition_for)  # the week's papers and picks, read once per batch
    result = BatchResult()
    rate = settings.NEWSLETTER_RATE_LIMIT
    next_send = 0.0
    connection = get_connection()
    with paper_vectors_remembered():  # the week's vectors read once, not once per reader
        try:
            for index, delivery_id in enumerate(delivery_ids):
                outcome, reason = delivery_send(delivery_id=delivery_id, connection=connection, edition=edition)
                result.counts[outcome] += 1
                if on_progress:
                    on_progress(outcome)
                if outcome is Outcome.RETRY:
                    result.retry_ids, result.retry_reason = delivery_ids[index:], reason
                    break
                if outcome is Outcome.SENT and rate > 0:
                    next_send = max(next_send, time.monotonic()) + 1 / rate
                    time.sleep(max(0.0, next_send - time.monotonic()))
        finally:
            connection.close()
    return result


def deliveries_fail(*, delivery_ids: list[int], reason: str) -> int:
    """Gives up on rows that transient errors kept from sending, with the last reason."""
    return NewsletterDelivery.objects.filter(id__in=delivery_ids, status__in=NewsletterDelivery.SENDABLE).update(
        status=Status.FAILED, error=reason, updated_at=timezone.now()
    )
