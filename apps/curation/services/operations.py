"""Long jobs started from the panel: a Job row and its audit row now, the Celery task once they commit.

The task id is chosen here, so the page can follow the task from the first poll; the task is sent only
on commit, so it never runs for a job the database does not have.
"""

import uuid

from django.db import transaction

from apps.curation.models import Job
from apps.curation.services.audit import audit_record
from apps.recommendations.models import ModelVersion
from apps.recommendations.services.training import NOT_ACTIVATABLE, NOTHING_TO_ROLL_BACK_TO, rollback_target

ALREADY_SERVING = "Model #{pk} is already serving."


def _task(kind: str):
    # Imported here: apps must not import the task modules at load time (they import the apps).
    from tasks.embed import embed_papers_task
    from tasks.ingest import ingest_arxiv_task
    from tasks.recommendations import serve_model_version_task, train_retriever_task

    return {
        Job.Kind.INGEST: ingest_arxiv_task,
        Job.Kind.BACKFILL: ingest_arxiv_task,
        Job.Kind.EMBED: embed_papers_task,
        Job.Kind.TRAIN: train_retriever_task,
        Job.Kind.SERVE: serve_model_version_task,
    }[kind]


@transaction.atomic
def job_start(*, kind: str, by, target: str = "", **params) -> Job:
    """Enqueue the kind's Celery task with `params` as its keyword arguments; returns the Job to follow."""
    job = Job.objects.create(kind=kind, task_id=str(uuid.uuid4()), params=params, started_by=by)
    audit_record(actor=by, action=f"job:{kind}", target=target or job.get_kind_display(), after=params or None)
    task = _task(kind)
    transaction.on_commit(lambda: task.apply_async(kwargs=params, task_id=job.task_id))
    return job


def ingest_now(*, by) -> Job:
    return job_start(kind=Job.Kind.INGEST, by=by)


def backfill(*, since, until, by) -> Job:
    """Ingest what arXiv updated in [since, until] (aware datetimes), whatever was fetched before."""
    return job_start(
        kind=Job.Kind.BACKFILL,
        by=by,
        target=f"{since:%Y-%m-%d} – {until:%Y-%m-%d}",
        since=since.isoformat(),
        until=until.isoformat(),
    )


def embed_now(*, by) -> Job:
    return job_start(kind=Job.Kind.EMBED, by=by)


def train_now(*, by) -> Job:
    return job_start(kind=Job.Kind.TRAIN, by=by)


def version_activate(*, version: ModelVersion, by) -> Job:
    """Serve any trained version again, however far back (roll back only goes one step). ValueError, for
    the editor, when it cannot serve: nothing is started then."""
    if version.status == ModelVersion.Status.ACTIVE:
        raise ValueError(ALREADY_SERVING.format(pk=version.pk))
    servable = {ModelVersion.Status.READY, ModelVersion.Status.RETIRED}
    if version.status not in servable or not version.checkpoint:
        raise ValueError(NOT_ACTIVATABLE.format(pk=version.pk, status=version.get_status_display()))
    return job_start(kind=Job.Kind.SERVE, by=by, target=f"model #{version.pk}", version_id=version.pk)


def rollback(*, by) -> Job:
    """Serve the version that served before the active one. ValueError when there is none."""
    target = rollback_target()
    if target is None:
        raise ValueError(NOTHING_TO_ROLL_BACK_TO)
    return job_start(kind=Job.Kind.SERVE, by=by, target=f"roll back to model #{target.pk}", version_id=target.pk)
