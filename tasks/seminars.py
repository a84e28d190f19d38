"""Thin Celery wrappers around the seminar's services: they own the retry policy, nothing else."""

import logging

from celery import shared_task

from apps.seminars.services import cloud_rebuild, notice_send, reminders_queue
from apps.seminars.services.clouds import refresh_keys
from apps.seminars.services.notices import SEND_ERRORS

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=SEND_ERRORS, retry_backoff=60, retry_backoff_max=3600, max_retries=5)
def send_notice_task(notice_id: int) -> str:
    """Send one queued email; the locked Notice row makes a redelivered or retried task a no-op."""
    return notice_send(notice_id)


@shared_task(acks_late=True)
def send_reminders_task() -> int:
    """Beat, every 15 minutes: remind speakers and attendees of sessions within the next day, once."""
    queued = reminders_queue()
    logger.info("Queued %s seminar reminders", queued)
    return queued


@shared_task(acks_late=True)
def rebuild_word_cloud_task(key: str) -> dict:
    cloud = cloud_rebuild(key)
    return {"key": key, "titles": cloud.titles, "image": cloud.image}


@shared_task(acks_late=True)
def refresh_word_clouds_task() -> list[str]:
    """Beat, hourly: sessions pass into the archive and weeks gain papers; unchanged clouds cost a hash."""
    keys = refresh_keys()
    for key in keys:
        cloud_rebuild(key)
    return keys
