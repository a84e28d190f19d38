"""Sending the weekly email: a row per reader and week first, then each row sent at most once.

A batch claims its rows in one statement (queued -> sending), reads them with their readers in one
query, and builds every email up front: the readers' dismissals and histories in a few queries, one
ranking for the batch, the week's shared parts rendered once (compose.newsletters_for). Then it sends
them one by one over one SMTP connection, and each send is its own transaction: the row's lock
(select_for_update) is held from the status check until "sent" is committed, right after the server
accepted that one message. So a duplicated task waits and then finds the row sent, and a worker
killed mid-batch leaves every accepted email marked sent and every other row sendable for the
redelivered task. The guarantee is per email, as it was before batching:

- never twice from a retried, redelivered or duplicated task (the lock and the status check);
- the one gap no SMTP client can close: the server accepts a message and the worker dies before
  the commit that follows it (a few milliseconds): that one email may go out again;
- a reader who unsubscribes or changes address after the batch was built is checked again under
  the lock: cancelled, or their email rebuilt for the new address.
"""

import enum
import functools
import logging
import smtplib
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from apps.common.keys import NEWSLETTER_START_LOCK
from apps.digests.models import Digest
from apps.embeddings.selectors import paper_vectors_remembered
from apps.newsletters.compose import (
    Edition,
    Newsletter,
    edition_for,
    newsletter_for,
    newsletter_message,
    newsletters_for,
)
from apps.newsletters.models import NewsletterDelivery
from apps.newsletters.services.rows import row_locked, row_update
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


@dataclass(frozen=True)
class Prepared:
    """An email built ahead of its send, for the address it was built for."""

    to: str
    newsletter: Newsletter


def deliveries_prepare(*, delivery_ids: list[int], edition: Callable[[Week], Edition]) -> dict[int, Prepared]:
    """{delivery id: its email} for the rows still sendable to subscribed readers, built together.

    Rows left out (not sendable, unsubscribed, or a batch that could not be built together) are
    decided or built one at a time by `delivery_send`, under their lock.
    """
    rows = NewsletterDelivery.objects.filter(id__in=delivery_ids, status__in=NewsletterDelivery.SENDABLE)
    by_week: dict = defaultdict(list)
    for delivery in rows.select_related("user", "user__profile"):
        if is_subscribed(delivery.user):
            by_week[delivery.week].append(delivery)
    prepared = {}
    for week, deliveries in by_week.items():
        try:
            newsletters = newsletters_for(edition=edition(Week(week)), users=[d.user for d in deliveries])
        except Exception:  # one bad reader must not fail the batch: each is then built on its own
            logger.exception("Newsletters for %s could not be built as a batch; building them one by one", week)
            continue
        prepared |= {d.pk: Prepared(d.user.email, newsletters[d.user_id]) for d in deliveries}
    return prepared


def delivery_send(
    *, delivery_id: int, connection, edition: Callable[[Week], Edition], prepared: Prepared | None = None
) -> tuple[Outcome, str]:
    """Sends one row if it is still sendable (its `prepared` email if built for the address it has
    now); returns the outcome and, on failure, the reason."""
    with transaction.atomic():
        row = row_locked(delivery_id)
        if row is None or row.status not in NewsletterDelivery.SENDABLE:
            return Outcome.SKIPPED, ""
        if not row.subscribed:
            row_update(delivery_id, status=Status.CANCELLED, attempted=False)
            return Outcome.CANCELLED, ""
        try:
            if prepared is not None and prepared.to == row.email:
                newsletter = prepared.newsletter
            else:
                user = get_user_model().objects.select_related("profile").get(pk=row.user_id)
                newsletter = newsletter_for(edition=edition(Week(row.week)), user=user)
            message = newsletter_message(newsletter=newsletter, to=row.email, connection=connection)
        except Exception as error:  # one reader's bad data fails their email, not the batch
            logger.exception("Newsletter %s could not be built", delivery_id)
            return _record_failure(delivery_id, f"Could not build the email: {describe(error)}", transient=False)
        try:
            connection.open()  # a no-op while the batch's session is up; reconnects after an error
            message.send()
        except Exception as error:
            connection.close()  # the session may be broken; the next send opens a fresh one
            if not isinstance(error, (smtplib.SMTPException, OSError)):
                raise
            return _record_failure(delivery_id, describe(error), transient=is_transient(error))
        # Accepted: committed as sent before the next email, so a crash from here on resends nothing but this.
        row_update(
            delivery_id, status=Status.SENT, sent_at=timezone.now(), message_id=message.extra_headers["Message-ID"]
        )
        return Outcome.SENT, ""


def _record_failure(delivery_id: int, reason: str, *, transient: bool) -> tuple[Outcome, str]:
    row_update(delivery_id, status=Status.QUEUED if transient else Status.FAILED, error=reason)
    return (Outcome.RETRY if transient else Outcome.FAILED), reason


def deliveries_send(*, delivery_ids: list[int], on_progress: Callable[[Outcome], None] | None = None) -> BatchResult:
    """Claims the rows, builds their emails together, then sends them in order over one SMTP
    connection, each marked sent as soon as it is accepted; at most NEWSLETTER_RATE_LIMIT a second.

    Stops at the first transient error: the rest come back in `retry_ids` for a later try.
    """
    NewsletterDelivery.objects.filter(id__in=delivery_ids, status__in=NewsletterDelivery.SENDABLE).update(
        status=Status.SENDING, updated_at=timezone.now()
    )
    edition = functools.cache(edition_for)  # the week's papers, picks and rendered parts, once per batch
    result = BatchResult()
    rate = settings.NEWSLETTER_RATE_LIMIT
    next_send = 0.0
    connection = get_connection()
    with paper_vectors_remembered():  # the week's vectors read once, not once per reader
        prepared = deliveries_prepare(delivery_ids=delivery_ids, edition=edition)
        try:
            for index, delivery_id in enumerate(delivery_ids):
                outcome, reason = delivery_send(
                    delivery_id=delivery_id, connection=connection, edition=edition, prepared=prepared.get(delivery_id)
                )
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
