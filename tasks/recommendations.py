"""Thin Celery wrappers around the retriever's training: they own the retry policy, nothing else."""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.db import DatabaseError, OperationalError, connection

from apps.recommendations.models import ModelVersion
from apps.recommendations.services.demo import demo_readers_seed
from apps.recommendations.services.training import (
    TrainingAlreadyRunning,
    model_version_serve,
    model_version_train,
    stopped_versions_fail,
)
from tasks.digests import warm_digest_weeks_task

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=60, max_retries=3)
def train_retriever_task(self, unless_active: bool = False) -> dict:
    """Train on everything stored; the new version serves only if it matches or beats the active one.

    `unless_active`: do nothing when a version already serves (the demo setup, run at every start).
    """
    if unless_active and ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).exists():
        return {"status": "skipped", "reason": "a model version is already active"}
    try:
        version = model_version_train()
    except TrainingAlreadyRunning as skipped:
        logger.info(str(skipped))
        return {"status": "skipped", "reason": str(skipped)}
    logger.info("Model version %s: %s %s", version.pk, version.status, version.metrics or version.error)
    if version.status == ModelVersion.Status.ACTIVE:  # it ranks every reader's week from now on
        warm_digest_weeks_task.delay()
    return {"status": version.status, "version": version.pk, "metrics": version.metrics}


@shared_task(acks_late=True)
def serve_model_version_task(version_id: int) -> dict:
    """Activate a trained version from its checkpoint (an editor's "activate" or "roll back")."""
    try:
        version = model_version_serve(version=ModelVersion.objects.get(pk=version_id))
    except (TrainingAlreadyRunning, ValueError, ModelVersion.DoesNotExist) as refused:
        return {"status": "refused", "reason": str(refused)}
    warm_digest_weeks_task.delay()
    return {"status": version.status, "version": version.pk}


@shared_task(acks_late=True)
def seed_demo_readers_task(readers: int = 500) -> dict:
    return {"interactions": demo_readers_seed(readers=readers)}


@worker_ready.connect
def versions_left_training_fail(**kwargs) -> None:
    """A worker starting (after a crash or a stop, perhaps its own) fails the versions a stopped run left
    "training" now, rather than at the next training run."""
    try:
        if failed := stopped_versions_fail():
            logger.warning("%s model version(s) left training by a stopped worker marked failed.", failed)
    except DatabaseError:  # the worker still starts; the next run or the operations page clears them
        logger.exception("Could not look for model versions left training.")
    finally:
        connection.close()  # the pool's processes open their own
