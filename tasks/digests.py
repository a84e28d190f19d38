"""Thin Celery wrapper around ranking readers' weeks ahead: it owns the retry policy, nothing else."""

import logging

from celery import shared_task
from django.db import OperationalError

from apps.digests.services.warming import digest_weeks_warm
from apps.papers.weeks import Week

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=60, max_retries=3)
def warm_digest_weeks_task(week_label: str | None = None) -> dict:
    """After new papers and their vectors, a model activation or a publish: recent readers' weeks ranked ahead."""
    result = digest_weeks_warm(week=Week.from_label(week_label) if week_label else None)
    logger.info("Digest weeks ranked ahead: %s", result)
    return result
