"""The ingestion task through a real worker and the real Redis broker."""

import pytest

from apps.papers.models import IngestRun, Paper
from tasks.ingest import ingest_arxiv_task


def test_a_503_is_retried_by_the_task_and_nothing_is_stored_twice(celery_worker, arxiv_feed, recsys_entries, settings):
    settings.ARXIV_NUM_RETRIES = 0  # the client gives up at once; the task's retry takes over
    settings.ARXIV_RETRY_BACKOFF_SECONDS = 0
    settings.RETRIEVER_EMBED_AFTER_INGEST = False  # this test is about ingestion alone
    arxiv_feed.entries = recsys_entries
    arxiv_feed.fail(page=2, status=503, times=1)

    result = ingest_arxiv_task.delay().get(timeout=60)

    assert result["status"] == IngestRun.Status.SUCCEEDED
    failed, succeeded = IngestRun.objects.order_by("started_at")
    assert failed.status == IngestRun.Status.FAILED and "HTTP 503" in failed.error_message
    assert failed.created == 10
    assert (succeeded.created, succeeded.skipped) == (15, 10)
    assert Paper.objects.count() == len(recsys_entries)


def test_a_persistent_outage_gives_up_after_the_retries(celery_worker, arxiv_feed, recsys_entries, settings):
    settings.ARXIV_NUM_RETRIES = 0
    settings.ARXIV_RETRY_BACKOFF_SECONDS = 0
    settings.RETRIEVER_EMBED_AFTER_INGEST = False  # this test is about ingestion alone
    arxiv_feed.entries = recsys_entries
    arxiv_feed.fail(page=1, status=503, times=100)

    with pytest.raises(Exception, match="HTTP 503"):  # the final error, re-raised from the result backend
        ingest_arxiv_task.delay().get(timeout=60)
    runs = IngestRun.objects.all()
    assert runs.count() == ingest_arxiv_task.max_retries + 1
    assert {run.status for run in runs} == {IngestRun.Status.FAILED}
