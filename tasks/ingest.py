"""Thin Celery wrappers around the ingestion service: they own the retry policy, nothing else."""
import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from apps.papers.arxiv_client import FeedUnavailable
from apps.papers.services import IngestAlreadyRunning, ingest_arxiv
from tasks.embed import embed_papers_task

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(FeedUnavailable,),
    retry_backoff=60,
    retry_backoff_max=60 * 60,
    retry_jitter=True,
    max_retries=5,
)
def ingest_arxiv_task(self, max_results: int | None = None) -> dict:
    """Incremental ingestion from the last high-water mark; a second run while one goes does nothing."""
    try:
        run = ingest_arxiv(max_results=max_results)
    except IngestAlreadyRunning as skipped:
        logger.info(str(skipped))
        return {"status": "skipped", "reason": str(skipped)}
    logger.info("IngestRun #%s %s", run.pk, run.summary())
    if (run.created or run.updated) and settings.RETRIEVER_EMBED_AFTER_INGEST:
        # New text needs vectors; once the run's writes are committed, so the worker sees them.
        transaction.on_commit(embed_papers_task.delay)
    return {"status": run.status, "run": run.pk, "created": run.created, "updated": run.updated}
