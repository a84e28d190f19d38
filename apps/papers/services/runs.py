"""The life of an IngestRun: it always ends succeeded, partial or failed, with its reason.

While a run works, its process holds a two-key advisory lock (INGEST_RUN_ALIVE_LOCK, run id). The lock
goes with the process's database connection, so a run still marked running whose lock is free was left
by a process that died (killed, out of memory, machine restarted): the next run marks it failed.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.utils import timezone

from apps.common.keys import INGEST_RUN_ALIVE_LOCK
from apps.papers.models import IngestRun

ABANDONED = "The process running it stopped before it finished (found by run #{by})."
REJECTED = "{count} record{s} rejected: {examples}"
EXAMPLES = 5


def _try_lock(run_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [INGEST_RUN_ALIVE_LOCK, run_id])
        return cursor.fetchone()[0]


def _unlock(run_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [INGEST_RUN_ALIVE_LOCK, run_id])


def fail_abandoned_runs(*, by: IngestRun) -> list[int]:
    """Mark failed every other run still 'running' that no live process holds; returns their ids."""
    abandoned = []
    for run in IngestRun.objects.filter(status=IngestRun.Status.RUNNING).exclude(pk=by.pk):
        if _try_lock(run.pk):  # nobody holds it: its process is gone
            _unlock(run.pk)
            finish(run, IngestRun.Status.FAILED, ABANDONED.format(by=by.pk))
            abandoned.append(run.pk)
    return abandoned


def rejected_message(run: IngestRun) -> str:
    examples = "; ".join(f"{item['id']}: {item['reason']}" for item in run.rejected[:EXAMPLES])
    more = run.errors - min(len(run.rejected), EXAMPLES)
    return REJECTED.format(count=run.errors, s="s" if run.errors != 1 else "", examples=examples) + (
        f" (and {more} more)" if more else ""
    )


def finish(run: IngestRun, status: str, reason: str = "") -> None:
    run.status = status
    run.error_message = reason
    run.finished_at = timezone.now()
    run.save()


@contextmanager
def recorded_run(**fields) -> Iterator[IngestRun]:
    """A new run for the block: failed with the exception's message if the block raises (the exception
    goes on), else partial when records were rejected, else succeeded. Unless the block ended it itself.
    """
    run = IngestRun.objects.create(**fields)
    _try_lock(run.pk)
    try:
        fail_abandoned_runs(by=run)
        yield run
    except BaseException as error:  # KeyboardInterrupt and SystemExit end a run too
        finish(run, IngestRun.Status.FAILED, (str(error) or f"Interrupted ({type(error).__name__})")[:2000])
        raise
    else:
        if run.status == IngestRun.Status.RUNNING:
            if run.errors:
                finish(run, IngestRun.Status.PARTIAL, rejected_message(run))
            else:
                finish(run, IngestRun.Status.SUCCEEDED)
    finally:
        _unlock(run.pk)
