"""Thin Celery wrapper around the embedding service: it owns the retry policy, nothing else."""

import logging

from celery import shared_task
from django.db import OperationalError

from apps.embeddings.services import EmbeddingAlreadyRunning, embed_papers
from apps.recommendations.services.training import item_vectors_fill
from tasks.digests import warm_digest_weeks_task

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=5,
)
def embed_papers_task(self, batch_size: int | None = None, refresh_all: bool = False) -> dict:
    """Embed what lacks a vector; each batch commits, so a retry or a redelivery resumes, never repeats."""
    try:
        progress = embed_papers(batch_size=batch_size, refresh_all=refresh_all)
    except EmbeddingAlreadyRunning as skipped:
        # The run in progress re-reads what is missing batch by batch, so it picks up these papers too.
        logger.info(str(skipped))
        return {"status": "skipped", "reason": str(skipped)}
    # New papers join the active retriever's item index, so "For you" can rank them too.
    items = item_vectors_fill() if progress.embedded else 0
    if progress.embedded:  # every reader's ranked week was retired: rank recent readers' ahead
        warm_digest_weeks_task.delay()
    return {
        "status": "done",
        "model": progress.model_name,
        "embedded": progress.embedded,
        "activated": progress.activated,
        "item_vectors": items,
    }
