"""What the operations page shows: ingestion runs, embedding coverage, model versions, jobs."""

from dataclasses import dataclass

from celery.result import AsyncResult
from django.db import connection

from apps.common.keys import INGEST_RUN_ALIVE_LOCK
from apps.curation.models import AuditEntry, Job
from apps.embeddings.selectors import active_model, configured_model, coverage
from apps.papers.models import IngestRun
from apps.recommendations.models import ModelVersion
from apps.recommendations.services.training import BASELINES, PRIMARY_METRIC

DIED = "Its process stopped before finishing (a worker restart or crash); nothing more will come from it."
FINISHED_STATES = {"SUCCESS", "FAILURE", "REVOKED"}
METRICS = ["recall@20", "ndcg@20", "recall@100"]


def _live_run_ids() -> set[int]:
    """Runs whose process still holds their (INGEST_RUN_ALIVE_LOCK, run id) advisory lock; read, not taken."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
            " AND classid::bigint = %s",
            [INGEST_RUN_ALIVE_LOCK],
        )
        return {row[0] for row in cursor.fetchall()}


@dataclass
class RunRow:
    run: IngestRun
    died: bool

    @property
    def status(self) -> str:
        return IngestRun.Status.FAILED if self.died else self.run.status

    @property
    def error(self) -> str:
        return DIED if self.died else self.run.error_message

    @property
    def seconds(self) -> float | None:
        if self.run.finished_at is None:
            return None
        return (self.run.finished_at - self.run.started_at).total_seconds()


def ingest_runs(limit: int = 20) -> list[RunRow]:
    """The latest runs; a "running" one whose process is gone shows as failed at once (the next run
    records it so: apps.papers.services.runs)."""
    runs = list(IngestRun.objects.all()[:limit])
    running = any(run.status == IngestRun.Status.RUNNING for run in runs)
    alive = _live_run_ids() if running else set()
    return [RunRow(run, died=run.status == IngestRun.Status.RUNNING and run.pk not in alive) for run in runs]


@dataclass
class Coverage:
    model_name: str
    embedded: int
    total: int
    active: bool  # search serves this model's vectors

    @property
    def percent(self) -> float:
        return 100.0 * self.embedded / self.total if self.total else 100.0

    @property
    def complete(self) -> bool:
        return self.embedded >= self.total


def embedding_coverage() -> Coverage:
    """Coverage of the configured text model (the one the worker embeds with)."""
    name, _ = configured_model()
    embedded, total = coverage(name)
    active = active_model()
    return Coverage(model_name=name, embedded=embedded, total=total, active=active is not None and active.name == name)


def model_versions(limit: int = 30) -> list[ModelVersion]:
    return list(ModelVersion.objects.all()[:limit])


def baseline_methods(versions: list[ModelVersion]) -> list[str]:
    present = {method for version in versions for method in version.baselines}
    return [method for method in BASELINES if method in present]


@dataclass
class JobState:
    job: Job
    state: str  # Celery's: PENDING, STARTED, RETRY, SUCCESS, FAILURE
    result: dict | str | None
    progress: str

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def outcome(self) -> str:
        if self.state == "FAILURE":
            return f"failed: {self.result}"
        if isinstance(self.result, dict):
            return ", ".join(f"{key} {value}" for key, value in self.result.items() if key != "metrics")
        return ""


def job_state(job: Job) -> JobState:
    result = AsyncResult(job.task_id)
    state = result.state
    value = result.result if state in FINISHED_STATES else None
    if isinstance(value, BaseException):
        value = f"{type(value).__name__}: {value}"
    return JobState(job=job, state=state, result=value, progress=_progress(job))


def _progress(job: Job) -> str:
    """What the job has done so far, read from the rows it writes."""
    if job.kind in (Job.Kind.INGEST, Job.Kind.BACKFILL):
        run = IngestRun.objects.filter(started_at__gte=job.created_at).order_by("started_at").first()
        return f"run #{run.pk}: {run.summary()}" if run else "waiting for the worker"
    if job.kind == Job.Kind.EMBED:
        now = embedding_coverage()
        return f"{now.embedded} of {now.total} papers embedded ({now.percent:.0f}%)"
    if job.kind == Job.Kind.TRAIN:
        version = ModelVersion.objects.filter(created_at__gte=job.created_at).order_by("created_at").first()
        if version is None:
            return "waiting for the worker"
        metric = version.metrics.get(PRIMARY_METRIC)
        return f"model #{version.pk}: {version.get_status_display()}" + (
            f", {PRIMARY_METRIC} {metric:.4f}" if metric is not None else ""
        )
    if job.kind == Job.Kind.SERVE:
        version = ModelVersion.objects.filter(pk=job.params.get("version_id")).first()
        return f"model #{version.pk}: {version.get_status_display()}" if version else "unknown version"
    return ""


def recent_jobs(limit: int = 10) -> list[JobState]:
    return [job_state(job) for job in Job.objects.select_related("started_by")[:limit]]


def audit_entries(*, week=None, action: str = "", limit: int = 200) -> list[AuditEntry]:
    entries = AuditEntry.objects.select_related("actor")
    if week is not None:
        entries = entries.filter(week=week.monday)
    if action:
        entries = entries.filter(action__startswith=action)
    return list(entries[:limit])
