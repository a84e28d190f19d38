"""Publishing to inbox through a real Celery worker, the real Redis broker and a real SMTP server."""

from collections import Counter

import pytest
from django.utils import timezone

from apps.digests.models import Digest
from apps.digests.services import DigestStateError, digest_unpublish
from apps.newsletters.models import NewsletterDelivery
from tasks.newsletters import (
    newsletters_fallback_task,
    send_newsletter_batch_task,
    start_newsletters_task,
)
from tests.newsletters.conftest import WEEK, publish, wait_for

pytestmark = pytest.mark.usefixtures("newsletter_settings")
Status = NewsletterDelivery.Status


def statuses() -> Counter:
    return Counter(NewsletterDelivery.objects.values_list("status", flat=True))


def test_publishing_a_week_mails_every_subscriber_once_and_then_it_cannot_be_unpublished(
    celery_worker, smtp_server, week_papers, readers
):
    digest = publish()  # commits for real: digest_published reaches the worker

    assert wait_for(lambda: statuses() == {Status.SENT: 3})
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(u.email for u in readers["subscribed"])
    assert week_papers[2].title in smtp_server.messages[0].get_body(("plain",)).get_content()  # the pick
    digest.refresh_from_db()
    assert digest.newsletters_started_at is not None
    with pytest.raises(DigestStateError, match="newsletters started"):
        digest_unpublish(digest=digest, by=None)


def test_the_start_task_run_twice_sends_each_email_once(celery_worker, smtp_server, week_papers, readers):
    start_newsletters_task.delay(WEEK.label).get(timeout=30)
    start_newsletters_task.delay(WEEK.label).get(timeout=30)
    assert wait_for(lambda: statuses() == {Status.SENT: 3})
    ids = list(NewsletterDelivery.objects.values_list("id", flat=True))
    send_newsletter_batch_task.delay(ids).get(timeout=30)  # a duplicated batch, after the fact
    assert Counter(m["To"] for m in smtp_server.messages) == {u.email: 1 for u in readers["subscribed"]}


def test_a_week_unpublished_before_the_worker_starts_it_is_not_sent(celery_worker, smtp_server, week_papers, readers):
    digest = publish()
    # What the worker would find had an editor unpublished between the press and the task's start.
    Digest.objects.filter(pk=digest.pk).update(
        status=Digest.Status.DRAFT, published_at=None, newsletters_started_at=None
    )
    NewsletterDelivery.objects.all().delete()
    smtp_server.messages.clear()
    result = start_newsletters_task.delay(WEEK.label, published_only=True).get(timeout=30)
    assert result["status"] == "skipped" and not NewsletterDelivery.objects.exists()


def test_an_smtp_outage_then_recovery_sends_each_email_exactly_once(celery_worker, smtp_server, week_papers, readers):
    smtp_server.refuse_next(3)  # three tries meet "421 try again later", with backoff between them
    start_newsletters_task.delay(WEEK.label).get(timeout=30)

    assert wait_for(lambda: statuses() == {Status.SENT: 3})
    assert smtp_server.refused == 3
    assert Counter(m["To"] for m in smtp_server.messages) == {u.email: 1 for u in readers["subscribed"]}
    first = NewsletterDelivery.objects.order_by("id").first()
    assert first.attempts == 4 and first.error == ""


def test_a_lasting_outage_fails_the_emails_with_the_reason_after_the_retries(
    celery_worker, smtp_server, week_papers, readers, settings
):
    settings.NEWSLETTER_MAX_RETRIES = 2
    smtp_server.refuse_next(100, "421 4.7.0 Too many connections")
    start_newsletters_task.delay(WEEK.label).get(timeout=30)

    assert wait_for(lambda: statuses() == {Status.FAILED: 3})
    reasons = set(NewsletterDelivery.objects.values_list("error", flat=True))
    assert reasons == {"Gave up after 3 tries: SMTP 421: 4.7.0 Too many connections"}
    assert not smtp_server.messages


def test_the_fallback_starts_a_published_week_whose_start_was_missed_and_resumes_lost_rows(
    celery_worker, smtp_server, week_papers, readers, settings
):
    digest = publish()
    assert wait_for(lambda: statuses() == {Status.SENT: 3})
    # A week whose start never happened (the worker was down at publish): published, not started.
    Digest.objects.filter(pk=digest.pk).update(newsletters_started_at=None)
    NewsletterDelivery.objects.all().delete()
    smtp_server.messages.clear()
    result = newsletters_fallback_task.delay().get(timeout=30)
    assert result["started"] == [WEEK.label]
    assert wait_for(lambda: statuses() == {Status.SENT: 3})

    # A row whose batch was lost: queued, untouched for longer than NEWSLETTER_STALLED_AFTER.
    lost = NewsletterDelivery.objects.order_by("id").first()
    NewsletterDelivery.objects.filter(pk=lost.pk).update(
        status=Status.QUEUED, updated_at=timezone.now() - settings.NEWSLETTER_STALLED_AFTER * 2
    )
    smtp_server.messages.clear()
    assert newsletters_fallback_task.delay().get(timeout=30)["re_enqueued"] == 1
    assert wait_for(lambda: statuses() == {Status.SENT: 3})
    assert [m["To"] for m in smtp_server.messages] == [lost.user.email]
