"""Thin Celery wrappers around the ingestion service: they own the retry policy, nothing else."""

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction

from apps.papers.arxiv_client import FeedUnavailable
from apps.papers.services import IngestAlreadyRunning, ingest_arxiv
from tasks.embed import embed_papers_task

logger = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 60 * 60
TRANSIENT = (FeedUnavailable, OperationalError, InterfaceError)


def backoff_seconds(retries: int) -> float:
    return min(settings.ARXIV_RETRY_BACKOFF_SECONDS * 2**retries, MAX_BACKOFF_SECONDS)


@shared_task(bind=True, acks_late=True, max_retries=5)
def ingest_arxiv_task(self, max_results: int | None = None, since: str | None = None, until: str | None = None) -> dict:
    """Incremental ingestion from the last high-water mark, or a backfill of [since, until] (ISO 8601
    datetimes); a second run while one goes does nothing.

    What is transient (network trouble, 5xx/429 answers, a truncated page, a database that does not
    answer) is retried with exponential backoff; anything else (a 4xx, a bug) fails at once. Every try
    is an IngestRun, and what a failed try stored stays (the next one skips it).
    """
    try:
        run = ingest_arxiv(
            max_results=max_results,
            since=dt.datetime.fromisoformat(since) if since else None,
            until=dt.datetime.fromisoformat(until) if until else None,
        )
    except IngestAlreadyRunning as skipped:
        logger.info(str(skipped))
        return {"status": "skipped", "reason": str(skipped)}
    except TRANSIENT as error:
        raise self.retry(exc=error, countdown=backoff_seconds(self.request.retries)) from error
    logger.info("IngestRun #%s %s", run.pk, run.summary())
    if (run.created or run.updated) and settings.RETRIEVER_EMBED_AFTER_INGEST:
        # New text needs vectors; once the run's writes are committed, so the worker sees them.
        transaction.on_commit(embed_papers_task.delay)
    return {"status": run.status, "run": run.pk, "created": run.created, "updated": run.updated}
